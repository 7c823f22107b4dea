"""`host-engine serve`: caption WebSockets, a PCM ingest WebSocket, and the OBS overlay page.

Sessions are named (`?session=...`, default "default"). A session's events go to every caption subscriber of
that name; each subscriber has its own bounded queue, so a slow browser loses old events, never the server's
memory. One failing session (a dead URL, a client sending garbage) ends with an error event; others carry on.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from fastapi import FastAPI, HTTPException, WebSocket, WebSocketDisconnect
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel

from host_engine.asr import SAMPLE_RATE
from host_engine.engines import Engines
from host_engine.errors import HostEngineError
from host_engine.events import ErrorEvent, LiveEvent
from host_engine.languages import parse_language_list
from host_engine.live.session import LiveRequest, LiveSession
from host_engine.live.sources import AudioSource, FFmpegSource, PushedSource
from host_engine.media import resample

STATIC = Path(__file__).parent / "static"
SUBSCRIBER_QUEUE = 512
REPLAY_EVENTS = 32
"""A page that connects mid-session first gets this many recent events, so it shows the current captions."""
PCM_RATES = range(8000, 96001)
log = logging.getLogger(__name__)


@dataclass
class Channel:
    """Fan-out of one session's events to its subscribers."""

    subscribers: set[asyncio.Queue[str]] = field(default_factory=set)
    recent: deque[str] = field(default_factory=lambda: deque(maxlen=REPLAY_EVENTS))
    running: bool = False

    def publish(self, event: LiveEvent) -> None:
        line = event.to_json()
        self.recent.append(line)
        for queue in self.subscribers:
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(line)


class StartSession(BaseModel):
    input: str
    to: str = ""
    src: str | None = None
    realtime: bool = False
    session: str = "default"


class Hub:
    def __init__(self, engines: Engines) -> None:
        self.engines = engines
        self.channels: dict[str, Channel] = {}
        self.tasks: set[asyncio.Task[None]] = set()

    def channel(self, name: str) -> Channel:
        return self.channels.setdefault(name, Channel())

    def request(self, to: str, src: str | None) -> LiveRequest:
        return LiveRequest(targets=tuple(parse_language_list(to)) if to else (), source_lang=src or None)

    def start(self, name: str, source: AudioSource, request: LiveRequest) -> Channel:
        """Run a session in the background, publishing into channel `name`."""
        channel = self.channel(name)
        if channel.running:
            raise HostEngineError(f"session '{name}' is already running")
        channel.running = True
        task = asyncio.create_task(self._pump(channel, LiveSession(source, self.engines, request).events()))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return channel

    async def _pump(self, channel: Channel, events: AsyncIterator[LiveEvent]) -> None:
        try:
            async for event in events:
                channel.publish(event)
        finally:
            channel.running = False

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


def create_app(engines: Engines | None = None, boot: StartSession | None = None) -> FastAPI:
    """The app; `boot` starts one session (e.g. `serve --input URL`) when the server starts."""
    hub = Hub(engines or Engines())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if boot is not None:
            _start(boot)
        yield
        await hub.stop()

    app = FastAPI(title="host-engine", lifespan=lifespan)
    app.state.hub = hub
    mount_overlay(app, hub.channel)

    def _start(body: StartSession) -> None:
        hub.start(body.session, FFmpegSource(body.input, body.realtime), hub.request(body.to, body.src))

    @app.get("/sessions")
    async def sessions() -> dict[str, dict[str, object]]:
        return {name: {"running": ch.running, "subscribers": len(ch.subscribers)} for name, ch in hub.channels.items()}

    @app.post("/sessions", status_code=201)
    async def start_session(body: StartSession) -> dict[str, str]:
        """Caption a file or stream URL (rtmp://, srt://, udp://, HLS) into session `body.session`."""
        try:
            _start(body)
        except HostEngineError as exc:
            raise HTTPException(400, str(exc)) from None
        return {"session": body.session}

    @app.websocket("/ws/audio")
    async def audio(
        socket: WebSocket, session: str = "default", to: str = "", src: str | None = None, rate: int = SAMPLE_RATE
    ) -> None:
        """Client pushes 16-bit little-endian mono PCM at `rate` in binary messages; sends {"type": "end"} (or
        closes) when done. The session's events come back on this socket and go to /ws/captions subscribers."""
        await socket.accept()
        try:
            if rate not in PCM_RATES:
                raise HostEngineError(f"rate={rate} is not a PCM sample rate (8000-96000 Hz)")
            request = hub.request(to, src)
            source = PushedSource(f"websocket session '{session}'")
            channel = hub.start(session, source, request)
        except HostEngineError as exc:
            await socket.send_text(ErrorEvent(str(exc), 0.0, fatal=True).to_json())
            await socket.close(code=1008)
            return
        queue: asyncio.Queue[str] = asyncio.Queue(SUBSCRIBER_QUEUE)
        channel.subscribers.add(queue)
        sender = asyncio.create_task(_forward(socket, queue))
        try:
            await _receive_pcm(socket, source, rate)
        finally:
            await source.close()
            await sender
            channel.subscribers.discard(queue)

    return app


def mount_overlay(app: FastAPI, channel_for: Callable[[str], Channel]) -> None:
    """The OBS overlay page and its caption WebSocket (`/overlay`, `/ws/captions?session=`), for any app that
    publishes caption events into named channels."""
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/overlay", include_in_schema=False)
    async def overlay() -> FileResponse:
        return FileResponse(STATIC / "overlay.html")

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> Response:
        return Response(status_code=204)

    @app.websocket("/ws/captions")
    async def captions(socket: WebSocket, session: str = "default") -> None:
        await socket.accept()
        channel = channel_for(session)
        queue: asyncio.Queue[str] = asyncio.Queue(SUBSCRIBER_QUEUE)
        for line in channel.recent:
            queue.put_nowait(line)
        channel.subscribers.add(queue)
        try:
            while True:
                await socket.send_text(await queue.get())
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            channel.subscribers.discard(queue)


async def _forward(socket: WebSocket, queue: asyncio.Queue[str]) -> None:
    """Send events to the pushing client until its session ends."""
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        while True:
            line = await queue.get()
            await socket.send_text(line)
            if json.loads(line)["type"] == "end":
                await socket.close()
                return


async def _receive_pcm(socket: WebSocket, source: PushedSource, rate: int) -> None:
    """Bad messages get a non-fatal error event and are skipped; the session carries on."""
    with contextlib.suppress(WebSocketDisconnect):
        while True:
            message = await socket.receive()
            if message["type"] == "websocket.disconnect":
                return
            if message.get("text") is not None:  # control messages
                if _is_end(message["text"]):
                    return
                await socket.send_text(_warning('text messages other than {"type": "end"} are ignored'))
                continue
            data = message.get("bytes") or b""
            if len(data) % 2:
                await socket.send_text(_warning(f"dropped a {len(data)}-byte message: 16-bit PCM has an even size"))
                continue
            samples = np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0
            if rate != SAMPLE_RATE and samples.size:
                samples = resample(samples, rate, SAMPLE_RATE)
            await source.push(samples)


def _is_end(text: str) -> bool:
    try:
        return json.loads(text).get("type") == "end"
    except (ValueError, AttributeError):
        return False


def _warning(message: str) -> str:
    return ErrorEvent(message, 0.0, fatal=False).to_json()
