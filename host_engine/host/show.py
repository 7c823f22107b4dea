"""The overnight show, wired: chat sources -> `Gate` -> `Answering` (host/answering.py, typed events) -> the
`Scheduler` (a bounded reply queue, the rundown: what is said next; each line voiced as it is made by the
`LineVoicer`) -> the `Speaker` (pieces into the avatar as they are synthesized, barge-in) -> the `LiveAvatar`, whose
render thread paces frames and voice into every `Outlet`; `StartUp` (overlay translations, the voice's memory) runs
behind it, and the `Ledger` is told what plays (journal, captions, counters, the state's pending and answered
comments). The show puts each market's product on air on the overlay and the video, saves the state after every
line (rundown position) so a restarted process resumes where it was, and supervises each long-running part: a
failure is logged, counted and the part started again."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from functools import partial

import numpy as np

from host_engine.avatar.live import LiveAvatar
from host_engine.avatar.pack import load_pack
from host_engine.avatar.stage import frame_size
from host_engine.engines import Engines
from host_engine.errors import HostEngineError
from host_engine.events import Admitted, AnswerReady, CommentIn, LineKind, OverlayEvent, Refused, Spoken
from host_engine.host.answering import Answering, Gate
from host_engine.host.answers import Answer, Answerer, Translations
from host_engine.host.chat import ChatGate, Comment
from host_engine.host.irc import IrcChat
from host_engine.host.journal import Journal
from host_engine.host.ledger import Ledger
from host_engine.host.lines import Line
from host_engine.host.moderation import check_line
from host_engine.host.open_answers import load_model
from host_engine.host.outlet import Outlet
from host_engine.host.phrases import phrase
from host_engine.host.pipeline import Pipeline
from host_engine.host.scheduler import REPLY_QUEUE, Scheduler
from host_engine.host.speaker import Speaker
from host_engine.host.startup import StartUp
from host_engine.host.state import ShowState
from host_engine.host.studio import backdrop, cards, product_events
from host_engine.host.voicer import LineVoicer
from host_engine.host.voicing import SpeechMemory, Voice
from host_engine.media import recover_partials
from host_engine.tts.common import FRONT_END_VERSION

log = logging.getLogger(__name__)

AUDIO_RATE = 24000
RENDER_RETRY_SECONDS = 0.5
"""A renderer that failed starts again after this pause (the outputs hold their last frame meanwhile)."""
RESTART_SECONDS = (1.0, 30.0)
"""A stage that failed (the speaker, the IRC reader, the start-up work) starts again after this pause, doubling."""
VOICE_ATTEMPTS = 2
"""An answer whose voice failed (studio voice and fallback) is queued again this many times in all."""
STOP_SECONDS = 5.0
"""Longest wait for a thread at shutdown."""


def _voice_of(engines: Engines, pipeline: Pipeline, lang: str) -> str:
    """What the show's audio of `lang` depends on besides the text: the voice profile and the voices' front-end."""
    return f"{FRONT_END_VERSION} {engines.voice_profile(lang, pipeline.voices.get(lang)).model_dump_json()}"


class Show:
    def __init__(
        self,
        pipeline: Pipeline,
        engines: Engines,
        on_spoken: Callable[[Spoken], None] | None = None,
        on_overlay: Callable[[OverlayEvent], None] | None = None,
    ) -> None:
        self.pipeline = pipeline
        self.engines = engines
        self.on_overlay = on_overlay or (lambda event: None)
        self.lang = pipeline.market_by_id(pipeline.default_market).languages[0]
        self.state = ShowState.load(pipeline.state_dir / "state.json")
        pipeline.state_dir.mkdir(parents=True, exist_ok=True)
        journal = Journal(pipeline.state_dir / "events.jsonl")
        self.ledger = Ledger(self.state, journal, on_spoken or (lambda spoken: None), self.on_overlay, self._retry)
        self.counters = self.ledger.counters
        chat_gate = ChatGate(pipeline)
        chat_gate.prepare()
        translator = engines.live_translator
        translations = Translations(translator.translate, pipeline.state_dir / "translations.json", translator.models)
        self.answerer = Answerer(pipeline, translations, load_model(pipeline.language_model, pipeline.host_name))
        rundown = [translations.each(p.talking_points, self.lang) for p in pipeline.products]
        translations.save()
        self._check_rundown(rundown)
        self.avatar = LiveAvatar(
            load_pack(pipeline.avatar.pack),
            frame_size(pipeline.avatar.size),
            pipeline.avatar.fps,
            AUDIO_RATE,
            backdrop=backdrop(pipeline.avatar),
        )
        self.cards = cards(pipeline, self.answerer.name, self.lang, self.avatar.scene)
        """Per product: its card and the ad label, shown over the host while it is on air."""
        self.products = product_events(pipeline, self.answerer.name)
        """Per product: what each market's overlay shows while it is on air (name, price, label)."""
        self.voice = Voice(
            lambda lang: engines.synthesizer(lang, pipeline.voices.get(lang)),
            SpeechMemory(folder=pipeline.state_dir / "voice", voice_of=partial(_voice_of, engines, pipeline)),
            fallback_for=engines.fallback_synthesizer,
        )
        self.voicer = LineVoicer(self.voice, self._failed)
        self.scheduler = Scheduler(pipeline, self.state, self.lang, rundown, self.voicer.start, self._on_air)
        self.speaker = Speaker(self.avatar, self.scheduler, self.ledger)
        self.gate = Gate(chat_gate, self.state, self._room)
        self.answering = Answering(self.answerer, lambda: pipeline.products[self.scheduler.on_air], self._failed)
        self.avatar.scene.show(self.cards[self.scheduler.on_air])
        self._acks = 0
        self._answering = 0
        """Comments between the gate and the reply queue (their answers being built): they count against it."""
        self.outlets: list[Outlet] = []
        self.startup = StartUp(
            pipeline, self.scheduler, translations, self.answerer, self.voice, self._answers_in_flight
        )
        self.ready = self.startup.ready

    def _failed(self, stage: str) -> None:
        """Log the exception being handled with its traceback, and count it."""
        self.counters.restarts[stage] += 1
        log.exception("stage %s failed (%d so far); it starts again", stage, self.counters.restarts[stage])

    @property
    def reply_queue_depth(self) -> int:
        return self.scheduler.depth

    def _on_air(self, product: int) -> None:
        """`product` goes on air: its card on the video, its name, price and label on each market's overlay."""
        self.avatar.scene.show(self.cards[product])
        for event in self.products[product]:
            self.on_overlay(event)

    def _check_rundown(self, rundown: list[list[str]]) -> None:
        """The rundown is said to every market at once: it must pass every market's rules."""
        for market in self.pipeline.markets:
            for text in (point for points in rundown for point in points):
                verdict = check_line(text, market.rules)
                if not verdict.allowed:
                    raise HostEngineError(f"the rundown breaks market '{market.id}' rules: {verdict.reason}")

    async def submit(self, comment: Comment, restored: bool = False) -> bool:
        """Take one comment from any chat source; True when an answer was queued (the gate, then its answer). A
        comment accepted before a restart (`restored`) is not throttled again: it was admitted once, and is
        answered once."""
        self.counters.comments_in += 1
        admitted = None
        async for event in self.gate.process(CommentIn(comment, time.monotonic(), restored)):
            if isinstance(event, Refused):
                self.ledger.refused(event)
            elif isinstance(event, Admitted):
                admitted = event
        if admitted is None:
            return False
        self.ledger.take(comment.id)  # from now: `restore_pending` must not queue it again while it is answered
        self._answering += 1
        try:
            async for ready in self.answering.process(admitted):
                if isinstance(ready, AnswerReady):
                    self._queue(ready.answer, ready.comment, ready.name, ready.received)
        finally:
            self._answering -= 1
        return True

    def _answers_in_flight(self) -> bool:
        """Whether an answer is being made (built, or its audio synthesized): the start-up work waits for it."""
        return self._answering > 0 or self.voicer.answers_voicing > 0

    def _room(self) -> int:
        return REPLY_QUEUE - self.scheduler.depth - self._answering

    async def restore_pending(self) -> None:
        """Queue the comments accepted before a restart and never heard answered, as far as the queue has room
        (the speaker calls this between lines, so the rest follow as it empties)."""
        for comment_id in self.ledger.waiting():
            kept = self.state.pending.get(comment_id)
            if kept is None or self._room() <= 0:
                return
            await self.submit(Comment(comment_id, kept["user"], kept["text"], kept["platform"]), restored=True)

    def _queue(self, answer: Answer, comment: Comment, name: str, received: float, attempts: int = 1) -> None:
        """Queue the answer and start voicing it (the caller made sure the queue has room)."""
        self._acks += 1
        acks = phrase(answer.lang, "ack")
        acks = [ack for ack in acks if self.voice.memory.knows(answer.lang, ack)] or acks  # one that plays at once
        ack = acks[self._acks % len(acks)] if answer.acknowledged else None
        line = Line(answer.text, answer.lang, LineKind.ANSWER, comment, received, answer, ack=ack, name=name)
        line.attempts = attempts
        line.captions = {line.lang: line.said}
        self.scheduler.queue(line, received, answer.product)
        self.ledger.take(comment.id)
        self.voicer.start(line)

    async def prepare(self, progress: Callable[[str, int, int], None]) -> None:
        """The start-up work done ahead, off air and at full speed (`host-engine host --prepare`): a new show's first
        minutes then answer as fast as a restarted one's, its voice's memory and translations being on disk."""
        try:
            await self.startup.run(threading.Event(), share=1.0, progress=partial(progress, "voice memory"))
        finally:
            await asyncio.to_thread(self.voice.close)

    def _retry(self, line: Line) -> bool:
        """Queue again an answer whose voice failed, up to `VOICE_ATTEMPTS` in all and as the queue has room."""
        if line.attempts >= VOICE_ATTEMPTS or self._room() <= 0:
            return False
        answer, comment, name, received = line.answer, line.comment, line.name, line.received
        assert answer is not None and comment is not None and name is not None and received is not None  # ledger's
        self._queue(answer, comment, name, received, line.attempts + 1)
        return True

    async def _supervised(self, stage: str, run: Callable[[], Awaitable[None]], stop: asyncio.Event) -> None:
        """Run a stage until it returns or `stop`; a failure is logged, counted and the stage started again after
        a pause that doubles while it keeps failing (no stage dies silently)."""
        delay = RESTART_SECONDS[0]
        while not stop.is_set():
            began = time.monotonic()
            try:
                await run()
                return
            except Exception:
                self._failed(stage)
            if time.monotonic() - began > RESTART_SECONDS[1]:
                delay = RESTART_SECONDS[0]
            await asyncio.sleep(delay)
            delay = min(2 * delay, RESTART_SECONDS[1])

    async def _speaker(self) -> None:
        """One line after another (a line that fails ends this run; the supervisor starts the next); the comments
        pending since before a restart are queued first, and as the queue makes room."""
        while True:
            if self.ledger.waiting():
                await self.restore_pending()
            await self.speaker.speak(self.scheduler.next_line())
            self.state.save()

    async def _irc(self) -> None:
        irc = self.pipeline.chat.irc
        if irc is None:
            return
        async for comment in IrcChat(irc.server, irc.port, irc.channel, irc.nick).comments():
            await self.submit(comment)

    def _render(self, sink: Callable[[np.ndarray, np.ndarray], None], halt: threading.Event) -> None:
        """The avatar's frames into `sink` until `halt`; a renderer that fails is logged and started again, so a bad
        frame costs the stream a moment, never its end (speech queued meanwhile is kept)."""
        while not halt.is_set():
            try:
                self.avatar.run(sink, halt)
            except Exception:
                self._failed("render")
                halt.wait(RENDER_RETRY_SECONDS)

    async def run(self, stop: asyncio.Event, outputs: list[str] | None = None) -> None:
        """Stream the show into `outputs` (the pipeline's, unless given) until `stop` is set. File names may hold
        strftime fields (`night-%Y%m%d-%H%M.mkv`), so a restarted show starts a new file; recordings a killed run
        left hidden are made visible first (`NAME-recovered.EXT`)."""
        targets = outputs if outputs is not None else [o.target for o in self.pipeline.outputs]
        for target in targets:  # before any output opens: a fixed name would be overwritten
            if "://" not in target:
                recover_partials(target)
        self._on_air(self.scheduler.on_air)
        size, fps = self.avatar.renderer.size, self.avatar.fps
        self.outlets = [Outlet(target, size, fps, AUDIO_RATE) for target in targets]
        halt = threading.Event()

        def sink(frame: np.ndarray, audio: np.ndarray) -> None:
            for outlet in self.outlets:
                outlet.write(frame, audio)

        renderer = threading.Thread(target=self._render, args=(sink, halt), name="avatar-render", daemon=True)
        renderer.start()
        stages = {"speaker": self._speaker, "irc": self._irc, "prepare": lambda: self.startup.run(halt)}
        running = [asyncio.create_task(self._supervised(name, run, stop)) for name, run in stages.items()]
        try:
            await stop.wait()
        finally:
            halt.set()
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)
            closing = [asyncio.to_thread(renderer.join, STOP_SECONDS), asyncio.to_thread(self.voice.close)]
            await asyncio.gather(*closing, *(asyncio.to_thread(outlet.close) for outlet in self.outlets))
            self.state.save()
