"""One live captioning session: source -> streaming recognizer -> translators -> events and subtitle files.

Stages run as asyncio tasks; the CPU-heavy calls (Whisper passes, translation) run in worker threads, which
CTranslate2 lets run in parallel with the event loop. Source-language partials and finals go out as soon as a
pass produces them; each closed sentence is translated into every target language concurrently.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from host_engine.asr import SAMPLE_RATE
from host_engine.engines import Engines
from host_engine.errors import HostEngineError
from host_engine.events import CaptionEvent, EndEvent, ErrorEvent, LiveEvent
from host_engine.languages import get_language
from host_engine.live.sources import AudioSource, SourceError
from host_engine.live.streaming import ClosedSentence, StreamSettings, make_transcriber
from host_engine.subtitles import Cue, SubtitleAppender, cues_from_words

log = logging.getLogger(__name__)

MAX_BEHIND_SECONDS = 10.0
"""Audio read but not yet recognized, at most: past it the source is not read until a pass takes it, so a source
faster than the recognizer (a file, a client pushing faster than real time) waits instead of filling memory."""


@dataclass(frozen=True)
class LiveRequest:
    targets: tuple[str, ...] = ()
    source_lang: str | None = None
    policy: str = "agreement"
    subtitles_dir: Path | None = None
    """Where `<lang>.srt` / `<lang>.vtt` grow as finals arrive; None writes no files."""


class LiveSession:
    def __init__(self, source: AudioSource, engines: Engines, request: LiveRequest) -> None:
        self.source = source
        self.engines = engines
        self.request = request
        self.settings = StreamSettings()
        self._queue: asyncio.Queue[LiveEvent] = asyncio.Queue()
        self._t0: float | None = None
        self._pending: list[np.ndarray] = []
        self._pending_seconds = 0.0
        self._received = 0.0
        self._ended = False
        self._failure: SourceError | None = None
        self._wake = asyncio.Event()
        self._taken = asyncio.Event()
        self._files: dict[str, SubtitleAppender] = {}
        self._to_translate: dict[str, asyncio.Queue[ClosedSentence | None]] = {}

    def clock(self) -> float:
        """Seconds since the source started, the clock of every event's `emitted`."""
        return 0.0 if self._t0 is None else time.monotonic() - self._t0

    async def events(self) -> AsyncIterator[LiveEvent]:
        """Run the session, yielding its events; the last one is always an `EndEvent`."""
        runner = asyncio.create_task(self._run())
        try:
            while True:
                event = await self._queue.get()
                yield event
                if isinstance(event, EndEvent):
                    break
        finally:
            runner.cancel()
            await asyncio.gather(runner, return_exceptions=True)

    async def _run(self) -> None:
        try:
            self._check_targets()
            self._to_translate = {lang: asyncio.Queue() for lang in self.request.targets}
            translators = [asyncio.create_task(self._translate(lang, q)) for lang, q in self._to_translate.items()]
            reader = asyncio.create_task(self._read())
            try:
                await self._recognize()
            finally:  # a recognizer that failed must not leave the reader waiting for it (nor the source open)
                reader.cancel()
                for queue in self._to_translate.values():
                    queue.put_nowait(None)  # before any await: a session cancelled again here still ends them all
                await asyncio.gather(reader, *translators, return_exceptions=True)
            if self._failure is not None:
                raise self._failure
        except HostEngineError as exc:
            self._publish(ErrorEvent(str(exc), self.clock(), fatal=True))
        except Exception:  # one broken session must not take the others (or the server) down
            log.exception("live session %s failed", self.source.name)
            self._publish(ErrorEvent("internal error (the server's log says why)", self.clock(), fatal=True))
        self._publish(EndEvent(self.clock(), round(self._received, 3)))

    def _check_targets(self) -> None:
        for lang in self.request.targets:
            get_language(lang)
        if self.request.source_lang:
            src = get_language(self.request.source_lang).code
            for lang in self.request.targets:
                if lang != src:
                    self.engines.live_translator.check(src, lang)

    def _publish(self, event: LiveEvent) -> None:
        self._queue.put_nowait(event)

    async def _read(self) -> None:
        """Source failures are kept for the end: what was heard before them is still recognized and translated."""
        try:
            async with contextlib.aclosing(self.source.chunks()) as chunks:  # closed at once if cancelled (FFmpeg)
                async for chunk in chunks:
                    seconds = chunk.size / SAMPLE_RATE
                    if self._t0 is None:
                        self._t0 = time.monotonic() - seconds
                    self._pending.append(chunk)
                    self._pending_seconds += seconds
                    self._received += seconds
                    if self._pending_seconds >= self.settings.step_seconds:
                        self._wake.set()
                    while self._pending_seconds >= MAX_BEHIND_SECONDS:
                        self._taken.clear()
                        await self._taken.wait()
        except SourceError as exc:
            self._failure = exc
        finally:
            self._ended = True
            self._wake.set()

    async def _recognize(self) -> None:
        transcriber = make_transcriber(
            self.request.policy, self.engines.recognizer, self.request.source_lang, self.clock
        )
        while True:
            await self._wake.wait()
            self._wake.clear()
            ended = self._ended
            audio = np.concatenate(self._pending) if self._pending else np.zeros(0, np.float32)
            self._pending, self._pending_seconds = [], 0.0
            self._taken.set()
            began = time.monotonic()
            result = await asyncio.to_thread(transcriber.process, audio, ended)
            log.debug(
                "pass at %.2f s: %.2f s of new audio, %.2f s buffered, took %.2f s",
                self.clock(), audio.size / SAMPLE_RATE, transcriber.buffer.size / SAMPLE_RATE, time.monotonic() - began,
            )  # fmt: skip
            for caption in result.captions:
                self._publish(caption)
            for sentence in result.sentences:
                self._write_source(sentence)
                for queue in self._to_translate.values():
                    queue.put_nowait(sentence)
            if ended:
                return
            if self._pending_seconds >= self.settings.step_seconds:
                self._wake.set()

    async def _translate(self, lang: str, sentences: asyncio.Queue[ClosedSentence | None]) -> None:
        """One worker per target language: languages run concurrently, each keeps its sentences in order."""
        while (sentence := await sentences.get()) is not None:
            if sentence.lang == lang:
                continue
            try:
                translate = self.engines.live_translator.translate_checked
                [checked] = await asyncio.to_thread(translate, [sentence.text], sentence.lang, lang)
            except Exception as exc:  # one sentence lost to a translator fault, not the language's captions
                if not isinstance(exc, HostEngineError):
                    log.exception("translating sentence %d into %s failed", sentence.number, lang)
                    exc = HostEngineError("the translator failed (the server's log says why)")
                self._publish(ErrorEvent(f"no {sentence.lang}->{lang} translation: {exc}", self.clock(), fatal=False))
                continue
            start, end = sentence.words[0].start, sentence.words[-1].end
            self._publish(
                CaptionEvent(
                    lang=lang, text=checked.text, start=start, end=end, emitted=self.clock(),
                    segment=f"{lang}-{sentence.number}", revision=0, final=True, sentence=sentence.number, source=False,
                    untranslated=checked.reason,
                )
            )  # fmt: skip
            if not checked.refused:
                self._write(lang, [Cue(start, end, checked.text)])

    def _write_source(self, sentence: ClosedSentence) -> None:
        if self.request.subtitles_dir is not None:
            self._write(sentence.lang, cues_from_words(sentence.words, get_language(sentence.lang)))

    def _write(self, lang: str, cues: list[Cue]) -> None:
        folder = self.request.subtitles_dir
        if folder is None or not cues:
            return
        if lang not in self._files:
            folder.mkdir(parents=True, exist_ok=True)
            self._files[lang] = SubtitleAppender(folder / f"{lang}.srt", folder / f"{lang}.vtt", get_language(lang))
        self._files[lang].append(cues)
