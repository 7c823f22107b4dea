"""IRC chat in, against a real IRC server (Debian's ngircd) on loopback: messages become comments, and the
adapter reconnects by itself when the server goes away and comes back."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from host_engine.host.irc import IrcChat, parse_line

NGIRCD = shutil.which("ngircd") or "/usr/sbin/ngircd"
CHANNEL = "#shop"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, folder: Path, port: int) -> None:
        self.port = port
        self.config = folder / "ngircd.conf"
        self.config.write_text(
            f"[Global]\n Name = irc.test.local\n Info = host-engine test\n Listen = 127.0.0.1\n Ports = {port}\n"
            f" PidFile = {folder}/ngircd.pid\n MotdPhrase = test\n ServerUID = 0\n ServerGID = 0\n"
            "[Options]\n PAM = no\n Ident = no\n DNS = no\n"
            "[Limits]\n MaxNickLength = 30\n"
        )
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen([NGIRCD, "-n", "-f", str(self.config)], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)  # fmt: skip
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError("ngircd did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    if not Path(NGIRCD).exists():
        pytest.skip("ngircd is not installed (make setup installs it)")
    irc = Server(tmp_path, _free_port())
    irc.start()
    yield irc
    irc.stop()


async def _viewer(port: int, nick: str, lines: list[str]) -> None:
    """A plain IRC client typing into the channel, as a viewer's chat bridge would."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"NICK {nick}\r\nUSER {nick} 0 * :viewer\r\n".encode())
    while b" 001 " not in (await reader.readline()):
        pass
    writer.write(f"JOIN {CHANNEL}\r\n".encode())
    while b"JOIN" not in (await reader.readline()):
        pass
    for line in lines:
        writer.write(f"PRIVMSG {CHANNEL} :{line}\r\n".encode())
    await writer.drain()
    await asyncio.sleep(0.2)
    writer.write(b"QUIT\r\n")
    writer.close()


def test_parse_twitch_style_lines() -> None:
    line = parse_line("@id=abc-1;display-name=Ana\\sMaria :ana!ana@tmi PRIVMSG #shop :¿Cuánto cuesta?")
    assert (line.command, line.nick, line.params) == ("PRIVMSG", "ana", ["#shop", "¿Cuánto cuesta?"])
    assert line.tags == {"id": "abc-1", "display-name": "Ana Maria"}
    assert parse_line("PING :tmi.twitch.tv").params == ["tmi.twitch.tv"]


def test_comments_arrive_and_survive_a_server_restart(server: Server) -> None:
    async def scenario() -> tuple[list, int]:
        chat = IrcChat("127.0.0.1", server.port, CHANNEL, "mika")
        inbox: asyncio.Queue = asyncio.Queue()

        async def consume() -> None:
            async for comment in chat.comments():
                inbox.put_nowait(comment)

        task = asyncio.create_task(consume())
        await asyncio.wait_for(chat.connected.wait(), 10)
        await _viewer(server.port, "lucia", ["¿Cuánto cuesta la chaqueta?", "Berapa harga jaket hujan?"])
        await _viewer(server.port, "yuki", ["返品できますか？", "هل يمكنني إرجاعه؟"])
        received = [await asyncio.wait_for(inbox.get(), 10) for _ in range(4)]
        server.stop()
        await asyncio.sleep(0.5)
        assert not chat.connected.is_set()
        server.start()
        await asyncio.wait_for(chat.connected.wait(), 20)
        await _viewer(server.port, "budi", ["Masih ada stok?"])
        received.append(await asyncio.wait_for(inbox.get(), 10))
        task.cancel()
        return received, chat.connections

    received, connections = asyncio.run(scenario())
    assert [(c.user, c.text) for c in received] == [
        ("lucia", "¿Cuánto cuesta la chaqueta?"),
        ("lucia", "Berapa harga jaket hujan?"),
        ("yuki", "返品できますか？"),
        ("yuki", "هل يمكنني إرجاعه؟"),
        ("budi", "Masih ada stok?"),
    ]
    assert connections == 2
    assert all(c.platform == "irc" for c in received) and len({c.id for c in received}) == 5
