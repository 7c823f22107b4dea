"""IRC chat in, against a real IRC server (Debian's ngircd) on loopback: messages become comments, and the
adapter reconnects by itself when the server goes away and comes back."""

from __future__ import annotations

import asyncio

from ircd import CHANNEL, Server, viewer

from host_engine.host.irc import IrcChat, parse_line


def test_parse_twitch_style_lines() -> None:
    line = parse_line("@id=abc-1;display-name=Ana\\sMaria :ana!ana@tmi PRIVMSG #shop :¿Cuánto cuesta?")
    assert (line.command, line.nick, line.params) == ("PRIVMSG", "ana", ["#shop", "¿Cuánto cuesta?"])
    assert line.tags == {"id": "abc-1", "display-name": "Ana Maria"}
    assert parse_line("PING :tmi.twitch.tv").params == ["tmi.twitch.tv"]


def test_comments_arrive_and_survive_a_server_restart(ircd: Server) -> None:
    async def scenario() -> tuple[list, int]:
        chat = IrcChat("127.0.0.1", ircd.port, CHANNEL, "mika")
        inbox: asyncio.Queue = asyncio.Queue()

        async def consume() -> None:
            async for comment in chat.comments():
                inbox.put_nowait(comment)

        task = asyncio.create_task(consume())
        await asyncio.wait_for(chat.connected.wait(), 10)
        await viewer(ircd.port, "lucia", ["¿Cuánto cuesta la chaqueta?", "Berapa harga jaket hujan?"])
        await viewer(ircd.port, "yuki", ["返品できますか？", "هل يمكنني إرجاعه؟"])
        received = [await asyncio.wait_for(inbox.get(), 10) for _ in range(4)]
        ircd.stop()
        await asyncio.sleep(0.5)
        assert not chat.connected.is_set()
        ircd.start()
        await asyncio.wait_for(chat.connected.wait(), 20)
        await viewer(ircd.port, "budi", ["Masih ada stok?"])
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
