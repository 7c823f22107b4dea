"""Twitch-style IRC chat in: join a channel, turn every message into a `Comment`, reconnect when the link drops.

Plain IRC (RFC 1459/2812) as Twitch's chat speaks it: PASS/NICK/USER, JOIN, PING/PONG, PRIVMSG, with IRCv3 message
tags (`@id=...;display-name=...`) read where the server sends them. Reconnects back off from 1 s to 30 s and
never give up: the host runs all night.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

from host_engine.host.chat import Comment

log = logging.getLogger(__name__)

BACKOFF_SECONDS = (1.0, 30.0)
IDLE_SECONDS = 300.0
"""No line at all (not even PING) for this long: the link is dead even if the socket says otherwise."""


@dataclass(frozen=True)
class IrcLine:
    tags: dict[str, str]
    prefix: str
    command: str
    params: list[str]

    @property
    def nick(self) -> str:
        return self.prefix.split("!", 1)[0]


def parse_line(raw: str) -> IrcLine:
    tags: dict[str, str] = {}
    if raw.startswith("@"):
        tag_text, _, raw = raw[1:].partition(" ")
        for item in tag_text.split(";"):
            key, _, value = item.partition("=")
            tags[key] = value.replace("\\s", " ").replace("\\:", ";").replace("\\\\", "\\")
    prefix = ""
    if raw.startswith(":"):
        prefix, _, raw = raw[1:].partition(" ")
    head, _, trailing = raw.partition(" :")
    parts = head.split()
    params = parts[1:] + ([trailing] if trailing or " :" in raw else [])
    return IrcLine(tags, prefix, parts[0].upper() if parts else "", params)


class IrcChat:
    def __init__(self, server: str, port: int, channel: str, nick: str, password: str | None = None) -> None:
        self.server, self.port, self.channel, self.nick, self.password = server, port, channel, nick, password
        self.connected = asyncio.Event()
        self.connections = 0
        self._writer: asyncio.StreamWriter | None = None

    async def comments(self) -> AsyncIterator[Comment]:
        """Every channel message, across reconnects, until the consumer stops iterating."""
        delay = BACKOFF_SECONDS[0]
        while True:
            try:
                async for comment in self._session():
                    delay = BACKOFF_SECONDS[0]
                    yield comment
                log.warning("IRC %s:%s closed the connection", self.server, self.port)
            except (OSError, asyncio.IncompleteReadError, TimeoutError) as exc:
                log.warning(
                    "IRC %s:%s: %s; retrying in %.0f s", self.server, self.port, exc or type(exc).__name__, delay
                )
            self.connected.clear()
            await asyncio.sleep(delay)
            delay = min(delay * 2, BACKOFF_SECONDS[1])

    async def _session(self) -> AsyncIterator[Comment]:
        reader, writer = await asyncio.open_connection(self.server, self.port)
        self._writer = writer
        try:
            if self.password:
                await self._send(f"PASS {self.password}")
            await self._send(f"NICK {self.nick}")
            await self._send(f"USER {self.nick} 0 * :host-engine")
            while raw := await asyncio.wait_for(reader.readline(), IDLE_SECONDS):
                line = parse_line(raw.decode("utf-8", errors="replace").rstrip("\r\n"))
                if line.command == "PING":
                    await self._send(f"PONG :{line.params[-1] if line.params else ''}")
                elif line.command == "001":
                    await self._send(f"JOIN {self.channel}")
                elif line.command == "JOIN" and line.nick == self.nick:
                    self.connections += 1
                    self.connected.set()
                    log.info("IRC: joined %s on %s:%s", self.channel, self.server, self.port)
                elif line.command == "433":  # nickname in use (our old connection lingers): take another
                    self.nick = f"{self.nick}_"
                    await self._send(f"NICK {self.nick}")
                elif line.command == "PRIVMSG" and len(line.params) == 2 and line.params[0] == self.channel:
                    yield _comment(line)
        finally:
            self._writer = None
            writer.close()

    async def _send(self, line: str) -> None:
        assert self._writer is not None
        self._writer.write(line.encode() + b"\r\n")
        await self._writer.drain()


def _comment(line: IrcLine) -> Comment:
    user = line.tags.get("display-name") or line.nick
    text = line.params[1]
    ident = line.tags.get("id") or uuid.uuid4().hex
    return Comment(id=f"irc-{ident}", user=user, text=text, platform="irc")
