"""A real IRC server (Debian's ngircd) on a free loopback port, and a viewer typing into it, for the host tests."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import time
from pathlib import Path

NGIRCD = shutil.which("ngircd") or "/usr/sbin/ngircd"
CHANNEL = "#shop"


def free_port() -> int:
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


async def _line(reader: asyncio.StreamReader) -> bytes:
    """The server's next line; at the end of the stream an error, not b"" again and again without yielding."""
    line = await reader.readline()
    if not line:
        raise ConnectionError("ngircd closed the connection")
    return line


async def _connect(port: int, nick: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A client registered as `nick` (the server's welcome, 001, received)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"NICK {nick}\r\nUSER {nick} 0 * :viewer\r\n".encode())
    while b" 001 " not in await _line(reader):
        pass
    return reader, writer


async def viewer(port: int, nick: str, lines: list[str]) -> None:
    """A plain IRC client typing into the channel, as a viewer's chat bridge would."""
    reader, writer = await _connect(port, nick)
    writer.write(f"JOIN {CHANNEL}\r\n".encode())
    while b"JOIN" not in await _line(reader):
        pass
    for line in lines:
        writer.write(f"PRIVMSG {CHANNEL} :{line}\r\n".encode())
    await writer.drain()
    await asyncio.sleep(0.2)
    writer.write(b"QUIT\r\n")
    writer.close()


async def joined(port: int, nick: str) -> None:
    """Wait until `nick` is in the channel: IRC does not replay to a client what was typed before it joined."""
    reader, writer = await _connect(port, "watcher")
    names: set[str] = set()
    while nick not in names:
        await asyncio.sleep(0.1)
        writer.write(f"NAMES {CHANNEL}\r\n".encode())
        while b" 366 " not in (line := await _line(reader)):  # 353: some of the names; 366: the end of them
            if b" 353 " in line:
                names |= {name.lstrip("@+") for name in line.decode().rstrip().rpartition(" :")[2].split()}
    writer.write(b"QUIT\r\n")
    writer.close()
