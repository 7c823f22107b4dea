"""One live captioning session: source -> recognizer -> translators -> subtitle writers, on the stage runtime.

The CPU-heavy calls (Whisper passes, translation) run in worker threads, which CTranslate2 lets run in parallel
with the event loop. Source-language partials and finals go out as soon as a pass produces them; each closed
sentence is translated into every target language concurrently (one branch per language, each in order).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from host_engine.asr import SAMPLE_RATE
from host_engine.engines import Engines
from host_engine.errors import HostEngineError
from host_engine.events import AudioChunk, CaptionEvent, EndEvent, ErrorEvent, Event, LiveEvent
from host_engine.languages import get_language
from host_engine.live.retranslate import Growing, Stability
from host_engine.live.sources import CHUNK_SECONDS, AudioSource, SourceError
from host_engine.live.streaming import ClosedSentence, SentenceWords, StreamSettings, Transcriber, make_transcriber
from host_engine.mt.checked import CheckedTranslator
from host_engine.stages import Clock, Parallel, Pipeline, Stage
from host_engine.subtitles import Cue, SubtitleAppender, cues_from_words

log = logging.getLogger(__name__)

MAX_BEHIND_SECONDS = 10.0
"""Audio one pass takes at most: past it a pass takes what it has. The source is not read until the pipe before
the recognizer has room, so a source faster than the recognizer (a file, a client pushing faster than real time)
waits instead of filling memory."""
PIPE_SECONDS = 10.0
"""Audio the pipe before the recognizer holds. The recognizer reads none during a pass (1-2 s on two cores once
its buffer is long): a real-time source must not wait behind it, or every word is late by the wait (the session
before the stage runtime buffered as much; measured runs could not tell 1 s from 10 s through this machine's noise)."""
PIPE_EVENTS = round(PIPE_SECONDS / CHUNK_SECONDS)
"""Events any pipe of the session holds (captions use far fewer)."""


@dataclass(frozen=True)
class LiveRequest:
    targets: tuple[str, ...] = ()
    source_lang: str | None = None
    policy: str = "agreement"
    subtitles_dir: Path | None = None
    """Where `<lang>.srt` / `<lang>.vtt` grow as finals arrive; None writes no files."""
    stability: Stability = Stability.mask_k
    """How translations of a sentence still being said are shown (`live.retranslate`); `none`: closed ones only.
    mask-k: less stable text rewritten than agreement on the sample in three runs out of three, for at most 0.1-0.2 s
    more lag at p50 (live bench)."""


class Recognize(Stage):
    """Audio in, source captions and closed sentences out: a pass once `step_seconds` of new audio is in, taking
    all the audio waiting when the recognizer fell behind (one pass, not one per step)."""

    name = "recognizer"
    essential = True

    def __init__(self, transcriber: Transcriber, settings: StreamSettings) -> None:
        self.transcriber = transcriber
        self.settings = settings
        self._pending: list[np.ndarray] = []
        self._seconds = 0.0

    async def process(self, event: Event) -> AsyncIterator[Event]:
        if not isinstance(event, AudioChunk):
            yield event
            return
        self._pending.append(event.samples)
        self._seconds += event.samples.size / SAMPLE_RATE
        if self._seconds >= self.settings.step_seconds and (not self.waiting() or self._seconds >= MAX_BEHIND_SECONDS):
            for produced in await self._pass(ended=False):
                yield produced

    async def finish(self) -> AsyncIterator[Event]:
        for produced in await self._pass(ended=True):
            yield produced

    async def _pass(self, ended: bool) -> list[Event]:
        audio = np.concatenate(self._pending) if self._pending else np.zeros(0, np.float32)
        self._pending, self._seconds = [], 0.0
        began = time.monotonic()
        result = await asyncio.to_thread(self.transcriber.process, audio, ended)
        log.debug(
            "pass: %.2f s of new audio, %.2f s buffered, took %.2f s",
            audio.size / SAMPLE_RATE, self.transcriber.buffer.size / SAMPLE_RATE, time.monotonic() - began,
        )  # fmt: skip
        return [*result.captions, *result.sentences]


class Translate(Stage):
    """Sentences into one target language, in order: a sentence still being said is translated again as its final
    words grow (`live.retranslate`: a stable prefix and an unstable tail), a closed one whole. A sentence lost to a
    translator fault is one error event, not the language's captions.

    A growing sentence is translated no sooner than the last such translation took after it ended, so a slow route
    (a Gemma pivot, 0.5-1.2 s a call) re-translates less often instead of falling behind: sentences queued meanwhile
    are passed over at no cost, and the newest one is translated. A growing sentence is tried on the best route
    only: one whose translation loses a fact shows nothing new, instead of holding the closed sentence behind up to
    three routes' time (ja->en on Gemma: lag p95 10.7 s with three)."""

    def __init__(self, lang: str, translator: CheckedTranslator, clock: Clock, rule: Stability) -> None:
        self.name = f"translator-{lang}"
        self.lang = lang
        self.translator = translator
        self.clock = clock
        self.rule = rule
        self._growing: Growing | None = None
        self._idle_from = 0.0

    async def process(self, event: Event) -> AsyncIterator[Event]:
        if not isinstance(event, SentenceWords) or event.lang == self.lang:
            return
        growing = self._growing
        if growing is None or growing.number != event.number:
            growing = self._growing = Growing(event.number, self.rule, get_language(self.lang).spaced)
        closed = isinstance(event, ClosedSentence)
        if not closed and not (growing.due(len(event.words)) and self.clock() >= self._idle_from):
            return
        began = self.clock()
        routes = None if closed else 1  # a prefix that loses a fact on the best route waits for more words
        try:
            [checked] = await asyncio.to_thread(
                self.translator.translate_checked, [event.text], event.lang, self.lang, routes
            )
        except HostEngineError as exc:
            if closed:
                yield ErrorEvent(f"no {event.lang}->{self.lang} translation: {exc}", self.clock(), fatal=False)
            return
        done = self.clock()
        if not closed:
            self._idle_from = done + (done - began)
            if checked.refused:  # a prefix that loses a fact shows nothing; its closed sentence will say why
                return
            text, stable, unstable = growing.update(checked.text, len(event.words))
            revision = growing.revision
        else:
            self._growing = None
            text, stable, unstable, revision = checked.text, checked.text, "", growing.revision + 1
        yield CaptionEvent(
            lang=self.lang, text=text, start=event.words[0].start, end=event.words[-1].end,
            emitted=done, segment=f"{self.lang}-{event.number}", revision=revision,
            final=closed, sentence=event.number, source=False, untranslated=checked.reason if closed else "",
            stable=stable, unstable=unstable, source_end=event.words[-1].end,
        )  # fmt: skip


class WriteSubtitles(Stage):
    """`<lang>.srt` / `.vtt` in `folder`, grown as source sentences close and translations arrive; closed sentences
    (internal) stop here, captions and errors go on."""

    name = "subtitles"

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self._files: dict[str, SubtitleAppender] = {}

    async def process(self, event: Event) -> AsyncIterator[Event]:
        if isinstance(event, SentenceWords):
            if isinstance(event, ClosedSentence):
                self._write(event.lang, cues_from_words(event.words, get_language(event.lang)))
            return
        if isinstance(event, CaptionEvent) and not event.source and event.final and event.text:
            self._write(event.lang, [Cue(event.start, event.end, event.text)])
        yield event

    def _write(self, lang: str, cues: list[Cue]) -> None:
        if self.folder is None or not cues:
            return
        if lang not in self._files:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._files[lang] = SubtitleAppender(
                self.folder / f"{lang}.srt", self.folder / f"{lang}.vtt", get_language(lang)
            )
        self._files[lang].append(cues)


class LiveSession:
    def __init__(self, source: AudioSource, engines: Engines, request: LiveRequest) -> None:
        self.source = source
        self.engines = engines
        self.request = request
        self.settings = StreamSettings()
        self._t0: float | None = None
        self._received = 0.0
        self._failure: SourceError | None = None

    def clock(self) -> float:
        """Seconds since the source started, the clock of every event's `emitted`."""
        return 0.0 if self._t0 is None else time.monotonic() - self._t0

    async def events(self) -> AsyncIterator[LiveEvent]:
        """Run the session, yielding its events; the last one is always an `EndEvent`. A source failure is kept
        for the end: what was heard before it is still recognized and translated."""
        try:
            async with contextlib.aclosing(self._run()) as events:  # stopped (the source closed) on a fatal error
                async for event in events:
                    yield event
                    if isinstance(event, ErrorEvent) and event.fatal:
                        break
                else:
                    if self._failure is not None:
                        yield ErrorEvent(str(self._failure), self.clock(), fatal=True)
        except HostEngineError as exc:
            yield ErrorEvent(str(exc), self.clock(), fatal=True)
        yield EndEvent(self.clock(), round(self._received, 3))

    async def _run(self) -> AsyncIterator[LiveEvent]:
        self._check_targets()
        transcriber = make_transcriber(
            self.request.policy, self.engines.recognizer, self.request.source_lang, self.clock
        )
        translators = [
            Translate(lang, self.engines.live_translator, self.clock, self.request.stability)
            for lang in self.request.targets
        ]
        stages = [
            Recognize(transcriber, self.settings),
            Parallel(translators, accepts=(SentenceWords,)),
            WriteSubtitles(self.request.subtitles_dir),
        ]
        async with contextlib.aclosing(Pipeline(stages, self.clock, PIPE_EVENTS).run(self._chunks())) as events:
            async for event in events:
                if isinstance(event, CaptionEvent | ErrorEvent):  # stamped as it goes out: branches join out of order
                    yield replace(event, emitted=self.clock())

    async def _chunks(self) -> AsyncGenerator[Event, None]:
        try:
            async with contextlib.aclosing(self.source.chunks()) as chunks:  # closed at once if cancelled (FFmpeg)
                async for samples in chunks:
                    seconds = samples.size / SAMPLE_RATE
                    if self._t0 is None:
                        self._t0 = time.monotonic() - seconds
                    self._received += seconds
                    yield AudioChunk(samples)
        except SourceError as exc:
            self._failure = exc

    def _check_targets(self) -> None:
        for lang in self.request.targets:
            get_language(lang)
        if self.request.source_lang:
            src = get_language(self.request.source_lang).code
            for lang in self.request.targets:
                if lang != src:
                    self.engines.live_translator.check(src, lang)
