"""The OBS overlay page and its caption WebSocket, for any app that publishes caption events into named channels.

Each subscriber has its own bounded queue, so a slow browser loses old events, never the server's memory. Channels
and subscribers are capped; a channel with no session running and nobody subscribed is forgotten. A subscriber's
socket is watched for its close while it waits for events, so a client that left is let go at once (and a
stopping server never waits on one).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from fastapi import FastAPI, Query, WebSocket, WebSocketDisconnect
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

from host_engine.errors import HostEngineError
from host_engine.events import OverlayEvent, ProductEvent

STATIC = Path(__file__).parent / "static"
SUBSCRIBER_QUEUE = 512
REPLAY_EVENTS = 32
"""A page that connects mid-session first gets this many recent events, so it shows the current captions."""
MAX_CHANNELS = 64
MAX_SUBSCRIBERS = 32
"""Caption subscribers per channel (an OBS scene has a few)."""
TRY_LATER = 1013
"""WebSocket close code: the server is at a cap; try again later."""
SESSION_PATTERN = r"^[A-Za-z0-9_.-]{1,64}$"
SessionName = Annotated[str, Query(pattern=SESSION_PATTERN)]


@dataclass
class Channel:
    """Fan-out of one session's events to its subscribers."""

    subscribers: set[asyncio.Queue[str]] = field(default_factory=set)
    recent: deque[str] = field(default_factory=lambda: deque(maxlen=REPLAY_EVENTS))
    on_air: dict[str, str] = field(default_factory=dict)
    """Market -> the product on air there (the host's): a page that connects at any time shows it."""
    running: bool = False

    def publish(self, event: OverlayEvent) -> None:
        line = event.to_json()
        if isinstance(event, ProductEvent):
            self.on_air[event.market] = line
        else:
            self.recent.append(line)
        for queue in self.subscribers:
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(line)

    def subscribe(self) -> asyncio.Queue[str]:
        if len(self.subscribers) >= MAX_SUBSCRIBERS:
            raise HostEngineError(f"this session has {MAX_SUBSCRIBERS} caption subscribers already")
        queue: asyncio.Queue[str] = asyncio.Queue(SUBSCRIBER_QUEUE)
        for line in (*self.on_air.values(), *self.recent):
            queue.put_nowait(line)
        self.subscribers.add(queue)
        return queue

    @property
    def idle(self) -> bool:
        return not self.running and not self.subscribers


class Channels:
    """Channels by session name, at most `MAX_CHANNELS`."""

    def __init__(self) -> None:
        self._named: dict[str, Channel] = {}

    def get(self, name: str) -> Channel:
        if name not in self._named:
            self._named = {key: channel for key, channel in self._named.items() if not channel.idle}
            if len(self._named) >= MAX_CHANNELS:
                raise HostEngineError(f"{MAX_CHANNELS} sessions are open; end one first")
            self._named[name] = Channel()
        return self._named[name]

    def forget_idle(self, name: str) -> None:
        if (channel := self._named.get(name)) is not None and channel.idle:
            del self._named[name]

    def items(self) -> list[tuple[str, Channel]]:
        return list(self._named.items())


def mount_overlay(app: FastAPI, channels: Channels) -> None:
    """`/overlay` (the page; its assets are asked for with the page's own token) and `/ws/captions?session=`."""
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    page = (STATIC / "overlay.html").read_text(encoding="utf-8")

    @app.get("/overlay", include_in_schema=False)
    async def overlay(token: str | None = None) -> HTMLResponse:
        suffix = escape(f"?token={quote(token, safe='')}") if token else ""
        return HTMLResponse(page.replace('.css"', f'.css{suffix}"').replace('.js"', f'.js{suffix}"'))

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> Response:
        return Response(status_code=204)

    @app.websocket("/ws/captions")
    async def captions(socket: WebSocket, session: SessionName = "default") -> None:
        await socket.accept()
        try:
            channel = channels.get(session)
            queue = channel.subscribe()
        except HostEngineError as exc:
            await socket.close(code=TRY_LATER, reason=str(exc))
            return
        sender = asyncio.create_task(_send_all(socket, queue))
        try:
            await until_closed(socket)
        finally:  # bookkeeping before any await: a cancelled handler (server stopping) must still unsubscribe
            channel.subscribers.discard(queue)
            channels.forget_idle(session)
            sender.cancel()
            await asyncio.gather(sender, return_exceptions=True)


async def until_closed(socket: WebSocket) -> None:
    """Wait for the client to close (or the server to shut down); what it sends meanwhile is ignored."""
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        while (await socket.receive())["type"] != "websocket.disconnect":
            pass


async def _send_all(socket: WebSocket, queue: asyncio.Queue[str]) -> None:
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        while True:
            await socket.send_text(await queue.get())
