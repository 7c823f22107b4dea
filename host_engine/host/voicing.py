"""The host's voice: one synthesis thread that serves answers first, and remembered audio for what is said again.

A night repeats itself: the rundown loops, knowledge-base answers and price lines come back for every viewer who
asks. Their audio is kept (least recently used dropped past a budget of seconds), so after warm-up an answer only
synthesizes its greeting ("Ana,"), which is short. The synthesis thread takes the most urgent job first: a
viewer's answer before the next rundown line before warming the memory, one sentence at a time, so an answer never
waits behind more than one sentence of anything else.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import Future
from enum import IntEnum
from typing import Any

from host_engine.tts import SpeechChunk, Synthesizer

log = logging.getLogger(__name__)

MEMORY_SECONDS = 1200.0
"""Audio remembered, in seconds of speech (about 110 MB of float32 at 24 kHz): a night's repeated lines fit."""
WARM_SHARE = 0.5
"""The most of the time warming may take: it rests as long as each piece took, so that while the memory fills the
show on air (drawing, encoding) keeps its share of a two-core machine."""


class Urgency(IntEnum):
    ANSWER = 0
    SHOW = 1
    WARM = 2


class SpeechMemory:
    """Audio of texts said before, by (language, text), least recently used dropped past `budget_seconds`."""

    def __init__(self, budget_seconds: float = MEMORY_SECONDS) -> None:
        self.budget_seconds = budget_seconds
        self._kept: OrderedDict[tuple[str, str], tuple[SpeechChunk, ...]] = OrderedDict()
        self.seconds = 0.0
        self.hits = self.misses = 0

    def get(self, lang: str, text: str) -> tuple[SpeechChunk, ...] | None:
        chunks = self._kept.get((lang, text))
        if chunks is None:
            self.misses += 1
            return None
        self.hits += 1
        self._kept.move_to_end((lang, text))
        return chunks

    def put(self, lang: str, text: str, chunks: tuple[SpeechChunk, ...]) -> None:
        if (lang, text) in self._kept:
            return
        self._kept[(lang, text)] = chunks
        self.seconds += sum(chunk.duration for chunk in chunks)
        while self.seconds > self.budget_seconds and len(self._kept) > 1:
            _, dropped = self._kept.popitem(last=False)
            self.seconds -= sum(chunk.duration for chunk in dropped)

    def __contains__(self, key: tuple[str, str]) -> bool:
        return key in self._kept


class Voice:
    """Speech for (language, text) pieces through `synthesizer_for(lang)`, remembered in a `SpeechMemory`."""

    def __init__(
        self,
        synthesizer_for: Callable[[str], Synthesizer],
        memory: SpeechMemory | None = None,
        fallback_for: Callable[[str], Synthesizer | None] = lambda lang: None,
    ) -> None:
        self._synthesizer_for = synthesizer_for
        self._fallback_for = fallback_for
        """The voice of last resort for a language (espeak-ng), or None: used when the studio's voice fails."""
        self.fallbacks = 0
        self.memory = memory or SpeechMemory()
        self._jobs: queue.PriorityQueue[tuple[int, int, Callable[[], Any] | None, Future[Any] | None]]
        self._jobs = queue.PriorityQueue()
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def _work(self) -> None:
        while True:
            _, _, job, future = self._jobs.get()
            if job is None or future is None:
                return
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(job())
                except BaseException as exc:  # handed to the awaiting task, which decides
                    future.set_exception(exc)

    def _run(self, urgency: Urgency, job: Callable[[], Any]) -> asyncio.Future[Any]:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._work, name="tts", daemon=True)
            self._thread.start()
        future: Future[Any] = Future()
        self._jobs.put((urgency, next(self._order), job, future))
        return asyncio.wrap_future(future)

    async def say(self, lang: str, text: str, urgency: Urgency, remember: bool = True) -> AsyncIterator[SpeechChunk]:
        """`text`'s audio sentence by sentence: from memory when said before, else synthesized (and remembered
        unless `remember` is off: a viewer's name is said once, and would only push out what is said again).
        When the studio's voice fails before its first sentence, the fallback voice says the text (not remembered:
        the studio's voice may work again for the next time)."""
        kept = self.memory.get(lang, text)
        if kept is not None:
            for chunk in kept:
                yield chunk
            return
        chunks: Iterator[SpeechChunk] | None = None
        made: list[SpeechChunk] = []
        fell_back = False

        def step() -> SpeechChunk | None:
            nonlocal chunks
            if chunks is None:
                chunks = iter(self._synthesizer_for(lang).synthesize(text, lang))
            return next(chunks, None)

        while True:
            try:
                chunk = await self._run(urgency, step)
            except Exception as exc:
                fallback = None if made or fell_back else self._fallback_for(lang)
                if fallback is None:
                    raise
                log.warning("the %s voice failed (%s); saying %r in the fallback voice", lang, exc, text)
                self.fallbacks += 1
                fell_back, chunks = True, iter(fallback.synthesize(text, lang))
                continue
            if chunk is None:
                break
            made.append(chunk)
            yield chunk
        if remember and not fell_back:
            self.memory.put(lang, text, tuple(made))

    async def warm(self, pieces: list[tuple[str, str]]) -> None:
        """Synthesize (language, text) pieces not yet remembered, behind every other job, at `WARM_SHARE`."""
        for lang, text in pieces:
            if (lang, text) in self.memory:
                continue
            started = time.monotonic()
            try:
                async for _ in self.say(lang, text, Urgency.WARM):
                    pass
            except Exception as exc:  # a voice that cannot say it fails again, loudly, when the line is due
                log.warning("could not prepare %r in %s: %s", text, lang, exc)
            await asyncio.sleep((time.monotonic() - started) * (1 / WARM_SHARE - 1))

    def close(self) -> None:
        """End the synthesis thread once the jobs queued before this are done (a later job starts a new one)."""
        if self._thread is not None:
            self._jobs.put((len(Urgency), next(self._order), None, None))
            self._thread.join(timeout=5)
