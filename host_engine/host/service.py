"""`host-engine host`: the show plus its HTTP side on one event loop: a chat endpoint for any platform bridge
(HTTP POST and WebSocket) and Prometheus metrics; stops cleanly on SIGINT/SIGTERM or after `--minutes`."""

from __future__ import annotations

import asyncio
import logging
import signal
import uuid
from collections.abc import Iterator

import psutil
from fastapi import FastAPI, WebSocket, WebSocketDisconnect
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from pydantic import BaseModel, Field

from host_engine.engines import Engines
from host_engine.host.chat import Comment
from host_engine.host.logfile import log_to_file
from host_engine.host.pipeline import Pipeline
from host_engine.host.show import Show, Spoken
from host_engine.server.app import Channel, mount_overlay

log = logging.getLogger(__name__)


class ChatMessage(BaseModel):
    user: str = Field(min_length=1, max_length=80)
    text: str = Field(min_length=1, max_length=2000)
    id: str | None = None
    """The platform's message id (answered ids are remembered across restarts); one is made up when absent."""
    platform: str = "http"

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
        queued = self.show.avatar.queued_seconds
        yield GaugeMetricFamily("host_speech_queued_seconds", "Speech queued ahead of the avatar", queued)
        repeated = self.show.avatar.frames_repeated
        yield CounterMetricFamily(
            "host_frames_repeated", "Frames sent again to keep time while the CPU was busy", repeated
        )
        restarts = CounterMetricFamily("host_stage_restarts", "Stages started again after a failure", labels=["stage"])
        restarts.add_metric(["render"], counters.render_restarts)
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


def create_chat_app(show: Show, collector: ShowCollector, captions: Channel) -> FastAPI:
    """Chat in, metrics, and the overlay of what the host says (`/overlay?lang=src,es,ja`)."""
    app = FastAPI(title="host-engine host")
    mount_overlay(app, lambda session: captions)
    registry = CollectorRegistry()
    registry.register(collector)  # type: ignore[arg-type]

    @app.post("/chat")
    async def chat(message: ChatMessage) -> dict[str, bool]:
        return {"queued": await show.submit(message.comment())}

    @app.websocket("/ws/chat")
    async def chat_socket(socket: WebSocket) -> None:
        await socket.accept()
        try:
            while True:
                try:
                    message = ChatMessage.model_validate_json(await socket.receive_text())
                except ValueError as exc:
                    await socket.send_json({"type": "error", "message": str(exc).splitlines()[0]})
                    continue
                await socket.send_json({"type": "ack", "queued": await show.submit(message.comment())})
        except WebSocketDisconnect:
            return

    @app.get("/metrics")
    async def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return app


async def serve_show(
    pipeline: Pipeline, minutes: float | None, outputs: list[str] | None, address: tuple[str, int]
) -> Show:
    import uvicorn

    logfile = log_to_file(pipeline.state_dir / "host.log")
    engines = Engines()
    captions = Channel()
    show = Show(pipeline, engines, on_caption=captions.publish)
    collector = ShowCollector(show)
    show.on_spoken = collector.spoken
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    if minutes:
        loop.call_later(minutes * 60, stop.set)
    server = uvicorn.Server(
        uvicorn.Config(
            create_chat_app(show, collector, captions), host=address[0], port=address[1], log_level="warning"
        )
    )
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    web = asyncio.create_task(server.serve())
    log.info("chat: POST http://%s:%s/chat, metrics: /metrics, captions: /overlay?lang=src,es,ja", *address)
    try:
        await show.run(stop, outputs)
    finally:
        server.should_exit = True
        await web
        logging.getLogger("host_engine").removeHandler(logfile)
        logfile.close()
    return show
