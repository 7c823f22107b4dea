"""The host's voice: one synthesis thread that serves answers first, and remembered audio for what is said again.

A night repeats itself: the rundown loops, knowledge-base answers and price lines come back for every viewer who
asks. Their audio is kept (least recently used dropped past a budget of seconds), so after warm-up an answer only
synthesizes its greeting ("Ana,"), which is short. The synthesis thread takes the most urgent job first: a
viewer's answer before the next rundown line before warming the memory, one sentence at a time, so an answer never
waits behind more than one sentence of anything else.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import logging
import os
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import Future
from enum import IntEnum
from pathlib import Path
from typing import Any

import numpy as np

from host_engine.tts import PhonemeTiming, SpeechChunk, Synthesizer

log = logging.getLogger(__name__)

MEMORY_SECONDS = 1200.0
"""Audio remembered, in seconds of speech (about 110 MB of float32 at 24 kHz): a night's repeated lines fit."""
WARM_SHARE = 0.5
"""The most of the time warming may take: it rests as long as each piece took, so that while the memory fills the
show on air (drawing, encoding) keeps its share of a two-core machine."""
GIVE_WAY_SECONDS = 5.0
"""Start-up work waits at most this long for the answers in flight before its next piece (a flood of comments
delays it, never stops it)."""
GIVE_WAY_POLL = 0.05


DISK_BYTES_PER_SECOND = 24000 * 2
"""What a second of remembered speech takes on disk (16-bit audio at Kokoro's 24 kHz; Piper's 22.05 kHz less)."""
DISK_SLACK = 1.25
"""The memory on disk is pruned back to its budget once it grows this far past it."""


class Urgency(IntEnum):
    ANSWER = 0
    SHOW = 1
    WARM = 2


class SpeechMemory:
    """Audio of texts said before, by (language, text), least recently used dropped past `budget_seconds`.

    With a `folder`, what is remembered is also kept on disk (one file per text and voice, `voice_of(lang)` naming
    the voice), so that a restarted show says its fillers, rundown and typical answers from the first second
    instead of synthesizing them again beside the viewers' answers. A damaged or unreadable file is a miss."""

    def __init__(
        self,
        budget_seconds: float = MEMORY_SECONDS,
        folder: Path | None = None,
        voice_of: Callable[[str], str] = lambda lang: "",
    ) -> None:
        self.budget_seconds = budget_seconds
        self._kept: OrderedDict[tuple[str, str], tuple[SpeechChunk, ...]] = OrderedDict()
        self.seconds = 0.0
        self.hits = self.misses = 0
        self._folder = folder
        self._voice_of = voice_of
        self._disk_bytes = 0
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)
            self._prune()

    def get(self, lang: str, text: str) -> tuple[SpeechChunk, ...] | None:
        chunks = self._kept.get((lang, text))
        if chunks is None and (chunks := self._read(lang, text)) is not None:
            self._keep(lang, text, chunks)
        if chunks is None:
            self.misses += 1
            return None
        self.hits += 1
        self._kept.move_to_end((lang, text))
        return chunks

    def put(self, lang: str, text: str, chunks: tuple[SpeechChunk, ...]) -> None:
        if (lang, text) in self._kept:
            return
        self._keep(lang, text, chunks)
        self._write(lang, text, chunks)

    def _path(self, lang: str, text: str) -> Path:
        assert self._folder is not None
        key = hashlib.sha256("\0".join((self._voice_of(lang), lang, text)).encode()).hexdigest()[:32]
        return self._folder / f"{key}.npz"

    def _read(self, lang: str, text: str) -> tuple[SpeechChunk, ...] | None:
        if self._folder is None or not (path := self._path(lang, text)).exists():
            return None
        try:
            with np.load(path, allow_pickle=False) as kept:
                chunks = _chunks(kept)
            os.utime(path)  # recently used: pruned last
        except Exception as exc:  # a damaged file is a miss: synthesized again
            log.warning("voice memory %s unreadable (%s); synthesizing again", path.name, exc)
            path.unlink(missing_ok=True)
            return None
        return chunks

    def _write(self, lang: str, text: str, chunks: tuple[SpeechChunk, ...]) -> None:
        if self._folder is None or not chunks:
            return
        path = self._path(lang, text)
        temporary = path.with_name(f".{path.name}.tmp")
        try:
            with temporary.open("wb") as handle:
                np.savez(handle, **_arrays(chunks))
            os.replace(temporary, path)
            self._disk_bytes += path.stat().st_size
        except OSError as exc:  # a full disk costs the next start some synthesis, not this show
            log.warning("could not keep %r on disk: %s", text, exc)
            temporary.unlink(missing_ok=True)
        if self._disk_bytes > DISK_SLACK * self._disk_budget:  # a night of open answers: kept bounded as it runs
            self._prune()

    @property
    def _disk_budget(self) -> float:
        return self.budget_seconds * DISK_BYTES_PER_SECOND

    def _prune(self) -> None:
        """Drop the least recently used files past the budget, and temporary leftovers."""
        assert self._folder is not None
        for leftover in self._folder.glob(".*.tmp"):
            leftover.unlink(missing_ok=True)
        sized = [(path, path.stat()) for path in self._folder.glob("*.npz")]
        self._disk_bytes = 0
        for path, stat in sorted(sized, key=lambda kept: kept[1].st_mtime, reverse=True):
            if self._disk_bytes + stat.st_size > self._disk_budget:
                path.unlink(missing_ok=True)
            else:
                self._disk_bytes += stat.st_size

    def _keep(self, lang: str, text: str, chunks: tuple[SpeechChunk, ...]) -> None:
        self._kept[(lang, text)] = chunks
        self.seconds += sum(chunk.duration for chunk in chunks)
        while self.seconds > self.budget_seconds and len(self._kept) > 1:
            _, dropped = self._kept.popitem(last=False)
            self.seconds -= sum(chunk.duration for chunk in dropped)

    def __contains__(self, key: tuple[str, str]) -> bool:
        return key in self._kept

    def knows(self, lang: str, text: str) -> bool:
        """Whether the audio of `text` is remembered, in memory or on disk."""
        return (lang, text) in self._kept or (self._folder is not None and self._path(lang, text).exists())

    def __len__(self) -> int:
        return len(self._kept)


def _arrays(chunks: tuple[SpeechChunk, ...]) -> dict[str, np.ndarray]:
    """Chunks as arrays: 16-bit audio end to end, with each chunk's length, text, rate and phoneme timings."""
    phonemes = [(i, p.phoneme, p.start, p.end) for i, chunk in enumerate(chunks) for p in chunk.phonemes]
    return {
        "audio": np.concatenate([np.round(np.clip(c.audio, -1, 1) * 32767).astype(np.int16) for c in chunks]),
        "lengths": np.array([c.audio.size for c in chunks], np.int64),
        "texts": np.array([c.text for c in chunks], np.str_),
        "rates": np.array([c.sample_rate for c in chunks], np.int64),
        "phoneme_chunk": np.array([p[0] for p in phonemes], np.int64),
        "phonemes": np.array([p[1] for p in phonemes], np.str_),
        "times": np.array([(p[2], p[3]) for p in phonemes], np.float64).reshape(-1, 2),
    }


def _chunks(kept: Any) -> tuple[SpeechChunk, ...]:
    audio = kept["audio"].astype(np.float32) / 32767
    ends = np.cumsum(kept["lengths"])
    owners, phonemes, times = kept["phoneme_chunk"], kept["phonemes"], kept["times"]
    return tuple(
        SpeechChunk(
            str(text),
            audio[end - length : end],
            int(rate),
            tuple(
                PhonemeTiming(str(p), float(a), float(b))
                for p, (a, b) in zip(phonemes[owners == i], times[owners == i], strict=True)
            ),
        )
        for i, (text, rate, length, end) in enumerate(
            zip(kept["texts"], kept["rates"], kept["lengths"], ends, strict=True)
        )
    )


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
        self.memory = memory if memory is not None else SpeechMemory()
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

    async def warm(
        self,
        pieces: list[tuple[str, str]],
        share: float = WARM_SHARE,
        progress: Callable[[int, int], None] = lambda done, total: None,
        busy: Callable[[], bool] = lambda: False,
    ) -> None:
        """Synthesize (language, text) pieces not yet remembered, behind every other job, taking at most `share` of
        the time (1: at full speed, off air), each once nothing is `busy` (answers being made: a piece synthesized
        beside them would take half the cores from them); `progress(done, total)` after each piece."""
        for done, (lang, text) in enumerate(pieces, 1):
            if (lang, text) not in self.memory:
                waited = 0.0
                while busy() and waited < GIVE_WAY_SECONDS:
                    await asyncio.sleep(GIVE_WAY_POLL)
                    waited += GIVE_WAY_POLL
                started = time.monotonic()
                try:
                    async for _ in self.say(lang, text, Urgency.WARM):
                        pass
                except Exception as exc:  # a voice that cannot say it fails again, loudly, when the line is due
                    log.warning("could not prepare %r in %s: %s", text, lang, exc)
                await asyncio.sleep((time.monotonic() - started) * (1 / share - 1))
            progress(done, len(pieces))

    def close(self) -> None:
        """End the synthesis thread once the jobs queued before this are done (a later job starts a new one)."""
        if self._thread is not None:
            self._jobs.put((len(Urgency), next(self._order), None, None))
            self._thread.join(timeout=5)
