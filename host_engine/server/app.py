"""`host-engine serve`: caption WebSockets, a PCM ingest WebSocket, and the OBS overlay page.

Sessions are named (`?session=...`, default "default"). A session's events go to every caption subscriber of
that name. One failing session (a dead URL, a client sending garbage) ends with an error event; others carry on.
Every route needs the token (server/auth.py). A client may start a session on a network stream only (urls.py),
never on a local file, unless the operator started the server with `allow_local_inputs`. Running sessions are
capped, and a client pushing audio faster than it is recognized is slowed down, never buffered without bound.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

import numpy as np
from fastapi import FastAPI, HTTPException, Query, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, Field

from host_engine.asr import SAMPLE_RATE
from host_engine.engines import Engines
from host_engine.errors import HostEngineError
from host_engine.events import ErrorEvent, LiveEvent
from host_engine.languages import get_language, parse_language_list
from host_engine.live.session import LiveRequest, LiveSession
from host_engine.live.sources import AudioSource, FFmpegSource, PushedSource
from host_engine.media import resample
from host_engine.server.auth import Access, protect
from host_engine.server.overlay import (
    SESSION_PATTERN,
    SUBSCRIBER_QUEUE,
    Channel,
    Channels,
    SessionName,
    mount_overlay,
)
from host_engine.urls import check_stream_url

MAX_SESSIONS = 4
"""Sessions running at once: each runs Whisper passes, and a 2-core machine keeps up with about two."""
PCM_RATES = range(8000, 96001)
log = logging.getLogger(__name__)


class StartSession(BaseModel):
    input: str = Field(min_length=1, max_length=2048)
    to: str = Field(default="", max_length=120)
    src: str | None = Field(default=None, max_length=16)
    realtime: bool = False
    session: str = Field(default="default", pattern=SESSION_PATTERN)


class Hub:
    def __init__(self, engines: Engines) -> None:
        self.engines = engines
        self.channels = Channels()
        self.tasks: set[asyncio.Task[None]] = set()

    def request(self, to: str, src: str | None) -> LiveRequest:
        """The session's request; a target the source cannot be shown live in (no route, or one measured below
        the live floor) is refused here, before anything starts."""
        targets = tuple(parse_language_list(to)) if to else ()
        if src:
            for target in targets:
                if target != get_language(src).code:
                    self.engines.live_translator.check(src, target)
        return LiveRequest(targets=targets, source_lang=src or None)

    def start(self, name: str, source: AudioSource, request: LiveRequest) -> Channel:
        """Run a session in the background, publishing into channel `name`."""
        if len(self.tasks) >= MAX_SESSIONS:
            raise HostEngineError(f"{MAX_SESSIONS} sessions are running; wait for one to end")
        channel = self.channels.get(name)
        if channel.running:
            raise HostEngineError(f"session '{name}' is already running")
        channel.running = True
        channel.recent.clear()  # a page connecting now gets this session's captions, not the last one's
        task = asyncio.create_task(self._pump(name, channel, LiveSession(source, self.engines, request).events()))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return channel

    async def _pump(self, name: str, channel: Channel, events: AsyncIterator[LiveEvent]) -> None:
        try:
            async for event in events:
                channel.publish(event)
        finally:
            channel.running = False
            self.channels.forget_idle(name)

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


def create_app(
    access: Access, engines: Engines | None = None, boot: StartSession | None = None, allow_local_inputs: bool = False
) -> FastAPI:
    """The app; `boot` starts one session (the operator's `serve --input`, which may be a file) when it starts.
    `allow_local_inputs` lets clients start sessions on local files too (trusted clients only)."""
    hub = Hub(engines or Engines())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if boot is not None:
            _start(boot, trusted=True)
        yield
        await hub.stop()

    app = FastAPI(title="host-engine", lifespan=lifespan)
    protect(app, access)
    app.state.hub = hub
    mount_overlay(app, hub.channels)

    def _start(body: StartSession, trusted: bool = False) -> None:
        url = body.input if trusted or allow_local_inputs else check_stream_url(body.input)
        source = FFmpegSource(url, body.realtime, show_ffmpeg_errors=trusted)
        hub.start(body.session, source, hub.request(body.to, body.src))

    @app.get("/sessions")
    async def sessions() -> dict[str, dict[str, object]]:
        return {name: {"running": ch.running, "subscribers": len(ch.subscribers)} for name, ch in hub.channels.items()}

    @app.post("/sessions", status_code=201)
    async def start_session(body: StartSession) -> dict[str, str]:
        """Caption a network stream (rtmp://, rtmps://, srt://, udp://, rtp://, an http(s) HLS .m3u8) into
        session `body.session`; local files only on a server started with --allow-local-inputs."""
        try:
            _start(body)
        except HostEngineError as exc:
            raise HTTPException(400, str(exc)) from None
        return {"session": body.session}

    @app.websocket("/ws/audio")
    async def audio(
        socket: WebSocket,
        session: SessionName = "default",
        to: Annotated[str, Query(max_length=120)] = "",
        src: Annotated[str | None, Query(max_length=16)] = None,
        rate: int = SAMPLE_RATE,
    ) -> None:
        """Client pushes 16-bit little-endian mono PCM at `rate` in binary messages; sends {"type": "end"} (or
        closes) when done. The session's events come back on this socket and go to /ws/captions subscribers.
        A client sending faster than real time is told so once and read no faster than the session takes it."""
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
        queue: asyncio.Queue[str] = asyncio.Queue(SUBSCRIBER_QUEUE)  # the session's own client: no cap, no replay
        channel.subscribers.add(queue)
        sender = asyncio.create_task(_forward(socket, queue))
        receiver = asyncio.create_task(_receive_pcm(socket, source, rate))
        try:  # the client ends (it closes or says end), or the session does (it failed): either ends both
            await asyncio.wait({sender, receiver}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            receiver.cancel()
            try:
                await asyncio.gather(receiver, return_exceptions=True)
                await source.close()
                await sender
            finally:  # also when the handler is cancelled mid-way (server stopping): never a stale subscriber
                sender.cancel()
                channel.subscribers.discard(queue)
                hub.channels.forget_idle(session)

    return app


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
    """Bad messages get a non-fatal error event and are skipped; the session carries on. While the session is
    behind, no message is read: the client's sends wait (TCP), the server holds at most the source's few seconds."""
    told = False
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):  # RuntimeError: the session ended and closed it
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
            if await source.push(samples) and not told:
                told = True
                await socket.send_text(_warning("audio arrives faster than it is recognized; reading slowed down"))


def _is_end(text: str) -> bool:
    try:
        return json.loads(text).get("type") == "end"
    except (ValueError, AttributeError):
        return False


def _warning(message: str) -> str:
    return ErrorEvent(message, 0.0, fatal=False).to_json()
