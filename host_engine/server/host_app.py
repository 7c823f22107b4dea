"""`host-engine host`: the show plus its HTTP side on one event loop: a chat endpoint for any platform bridge
(HTTP POST and WebSocket), the caption overlay and Prometheus metrics, all behind the token (server/auth.py); stops
cleanly on SIGINT/SIGTERM or after `--minutes`.

Chat is bounded before the show sees it: fields have lengths, messages a byte cap, each client address and each
WebSocket a token bucket (a flood is answered 429 / an error message, and costs the show nothing)."""

from __future__ import annotations

import asyncio
import logging
import signal
import uuid
from collections.abc import Iterator

import psutil
from fastapi import FastAPI, HTTPException, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from pydantic import BaseModel, Field

from host_engine.engines import Engines
from host_engine.events import Spoken
from host_engine.host.chat import Comment
from host_engine.host.logfile import log_to_file
from host_engine.host.pipeline import Pipeline
from host_engine.host.show import Show
from host_engine.server.auth import Access, protect
from host_engine.server.limits import Buckets, TokenBucket, server_config
from host_engine.server.overlay import Channels, mount_overlay

log = logging.getLogger(__name__)

MAX_CHAT_BYTES = 8192
"""A chat message over the WebSocket, at most (the text itself is capped at 2,000 characters)."""
CHATS_PER_ADDRESS = (5.0, 20.0)
"""Comments a second from one client address, and its burst (a platform bridge sends many viewers' comments)."""
CHATS_PER_SOCKET = (2.0, 10.0)
CAPTIONS = "default"
"""The overlay session the host's own lines are published to."""


class ChatMessage(BaseModel):
    user: str = Field(min_length=1, max_length=80)
    """The viewer's display name as the platform gives it (hostile until the chat gate checks it)."""
    text: str = Field(min_length=1, max_length=2000)
    id: str | None = Field(default=None, min_length=1, max_length=128, pattern=r"^[\w.:@/+=-]+$")
    """The platform's message id (answered ids are remembered across restarts); one is made up when absent."""
    platform: str = Field(default="http", min_length=1, max_length=32, pattern=r"^[a-z0-9_-]+$")

    def comment(self) -> Comment:
        return Comment(self.id or uuid.uuid4().hex, self.user, self.text, self.platform)


class ShowCollector:
    """Prometheus metrics read from the show at scrape time."""

    def __init__(self, show: Show) -> None:
        self.show = show
        self.latencies: list[float] = []

    def spoken(self, line: Spoken) -> None:
        if line.ready_s is not None:
            self.latencies = [*self.latencies[-999:], line.ready_s]

    def collect(self) -> Iterator[Metric]:
        counters = self.show.counters
        yield CounterMetricFamily("host_comments_in", "Comments received from every chat source", counters.comments_in)
        yield CounterMetricFamily("host_comments_answered", "Comments answered aloud", counters.answered)
        blocked = CounterMetricFamily("host_comments_blocked", "Comments not answered, by reason", labels=["reason"])
        for reason, count in counters.blocked.items():
            blocked.add_metric([reason], count)
        yield blocked
        yield GaugeMetricFamily("host_reply_queue", "Answers waiting to be spoken", self.show.reply_queue_depth)
        ready = float(self.show.ready.is_set())
        yield GaugeMetricFamily("host_ready", "1 once the start-up work (translations, voice warm-up) is done", ready)
        queued = self.show.avatar.queued_seconds
        yield GaugeMetricFamily("host_speech_queued_seconds", "Speech queued ahead of the avatar", queued)
        repeated = self.show.avatar.frames_repeated
        yield CounterMetricFamily(
            "host_frames_repeated", "Frames sent again to keep time while the CPU was busy", repeated
        )
        restarts = CounterMetricFamily("host_stage_restarts", "Stages started again after a failure", labels=["stage"])
        for stage, count in counters.restarts.items():
            restarts.add_metric([stage], count)
        dropped = CounterMetricFamily(
            "host_output_frames_dropped", "Frames an output could not take (their audio rides on)", labels=["output"]
        )
        lost = CounterMetricFamily(
            "host_output_audio_lost_frames", "Frames of audio an output lost (FFmpeg down or stuck)", labels=["output"]
        )
        for index, outlet in enumerate(self.show.outlets):
            label = [f"output {index}"]  # by position: an RTMP URL may hold the stream key
            restarts.add_metric(label, outlet.failures)
            dropped.add_metric(label, outlet.dropped)
            lost.add_metric(label, outlet.audio_lost)
        yield from (restarts, dropped, lost)
        failed = self.show.state.save_failures
        yield CounterMetricFamily("host_state_save_failures", "State saves the disk refused (full or failing)", failed)
        fallbacks = self.show.voice.fallbacks
        yield CounterMetricFamily("host_voice_fallbacks", "Lines said in the fallback voice (espeak-ng)", fallbacks)
        memory = psutil.Process().memory_info().rss
        yield GaugeMetricFamily("host_memory_bytes", "Resident memory of the host process", memory)
        if self.latencies:
            ordered = sorted(self.latencies)
            latency = GaugeMetricFamily("host_answer_seconds", "Comment -> first answer audio, recent", labels=["q"])
            latency.add_metric(["0.5"], ordered[len(ordered) // 2])
            latency.add_metric(["0.95"], ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))])
            yield latency


def create_chat_app(show: Show, collector: ShowCollector, channels: Channels, access: Access) -> FastAPI:
    """Chat in, metrics, and the overlay of what the host says (`/overlay?lang=src,es,ja`)."""
    app = FastAPI(title="host-engine host")
    protect(app, access)
    mount_overlay(app, channels)
    registry = CollectorRegistry()
    registry.register(collector)  # type: ignore[arg-type]
    per_address = Buckets(*CHATS_PER_ADDRESS)

    @app.post("/chat")
    async def chat(message: ChatMessage, request: Request) -> dict[str, bool]:
        if not per_address.take(_address(request)):
            show.ledger.count_blocked("flood")
            raise HTTPException(429, "too many comments from this client; slow down", {"Retry-After": "1"})
        return {"queued": await show.submit(message.comment())}

    @app.websocket("/ws/chat")
    async def chat_socket(socket: WebSocket) -> None:
        await socket.accept()
        per_socket = TokenBucket(*CHATS_PER_SOCKET)
        try:
            while True:
                frame = await socket.receive()
                if frame["type"] == "websocket.disconnect":
                    return
                raw = frame.get("text") or (frame.get("bytes") or b"").decode("utf-8", errors="replace")
                if not (per_socket.take() and per_address.take(_address(socket))):
                    show.ledger.count_blocked("flood")
                    await socket.send_json({"type": "error", "message": "too many comments; slow down"})
                    continue
                try:
                    if len(raw.encode()) > MAX_CHAT_BYTES:
                        raise ValueError(f"a chat message is at most {MAX_CHAT_BYTES} bytes")
                    message = ChatMessage.model_validate_json(raw)
                except ValueError as exc:
                    await socket.send_json({"type": "error", "message": str(exc).splitlines()[0]})
                    continue
                await socket.send_json({"type": "ack", "queued": await show.submit(message.comment())})
        except (WebSocketDisconnect, RuntimeError):
            return

    @app.get("/metrics")
    async def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return app


def _address(connection: Request | WebSocket) -> str:
    return connection.client.host if connection.client else "unknown"


async def serve_show(
    pipeline: Pipeline, minutes: float | None, outputs: list[str] | None, address: tuple[str, int], access: Access
) -> Show:
    import uvicorn

    logfile = log_to_file(pipeline.state_dir / "host.log")
    engines = Engines()
    channels = Channels()
    captions = channels.get(CAPTIONS)
    captions.running = True  # the show publishes into it all night, watched or not
    show = Show(pipeline, engines, on_overlay=captions.publish)
    collector = ShowCollector(show)
    show.ledger.on_spoken = collector.spoken
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    if minutes:
        loop.call_later(minutes * 60, stop.set)
    server = uvicorn.Server(server_config(create_chat_app(show, collector, channels, access), *address))
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    web = asyncio.create_task(server.serve())
    log.info("chat: POST http://%s:%s/chat, metrics: /metrics, captions: /overlay?lang=src,es,ja", *address)

    async def close_web_on_stop() -> None:  # clients are let go while the show winds down, not after
        await stop.wait()
        server.should_exit = True

    closing = asyncio.create_task(close_web_on_stop())
    try:
        await show.run(stop, outputs)
    finally:
        stop.set()
        await closing
        await web
        logging.getLogger("host_engine").removeHandler(logfile)
        logfile.close()
    return show
