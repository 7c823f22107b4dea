"""A dub's two heavy stages as functions of their inputs, so that they run wherever an executor puts them: in this
process one after the other (`LocalExecutor`), or as Ray tasks, one per clip for transcription and one per
language for the rest (service/ray_executor.py).

`transcribe_clip`: the clip's speech segments and language. `dub_language`: one target language's track (the
cues translated, voiced, fitted into their slots and mixed over the ducked original) with what the report and the
subtitles need of its lines.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from host_engine.asr import SAMPLE_RATE, Segment, TranscribeOptions
from host_engine.dub.fit import FitSettings, PlacedLine, fit_line
from host_engine.dub.lines import translate_cues
from host_engine.dub.mix import mix_track
from host_engine.dub.pace import Pace
from host_engine.engines import Engines
from host_engine.errors import BadInputError, UnsupportedLanguageError
from host_engine.languages import LANGUAGES
from host_engine.media import decode_audio
from host_engine.speech import say
from host_engine.subtitles import Cue

MIX_RATE = 48000
log = logging.getLogger(__name__)

ProgressHook = Callable[[str, int, int], None]
"""Called as (stage, done, total) while a stage advances."""


def quiet(stage: str, done: int, total: int) -> None:
    return None


@dataclass(frozen=True)
class Track:
    """One target language dubbed."""

    target: str
    audio: np.ndarray
    """The mixed track, mono float at `MIX_RATE`."""
    texts: list[str]
    """Each cue's translation; empty where refused."""
    lines: list[dict[str, Any]]
    """Each cue's report entry: text, why refused, where it was placed, how it was fitted."""
    cut_at_end: float
    seconds: dict[str, float] = field(default_factory=dict)
    """Time each of its stages took (translate, synthesize, fit_and_mix)."""
    where: str = "local"
    """What ran it: 'local', or the Ray node's id."""


def transcribe_clip(engines: Engines, clip: Path, source: str | None) -> tuple[list[Segment], str]:
    """The clip's speech (segments with words) and its language (`source`, or detected)."""
    speech = decode_audio(clip, SAMPLE_RATE)
    found, info = engines.recognizer.transcribe(speech, TranscribeOptions(language=source))
    segments = [s for s in found if s.words]
    if not segments:
        raise BadInputError(f"{clip}: no speech found (silence, music or noise); nothing to dub")
    detected = source or info.language
    if detected not in LANGUAGES:
        raise UnsupportedLanguageError(
            f"{clip}: detected source language '{detected}' is not supported; pass --src with one of "
            f"{', '.join(LANGUAGES)}"
        )
    return segments, detected


def dub_language(
    engines: Engines, original: np.ndarray, job: LanguageJob, progress: ProgressHook = quiet, threads: int | None = None
) -> Track:
    """`job`'s language: its cues translated, each said by its speaker's voice at the pace its slot needs (a voice
    synthesizes with `threads`), fitted and mixed over `original`."""
    cues, source, target = job.cues, job.source, job.target
    seconds: dict[str, float] = {}
    began = time.perf_counter()
    progress(f"translate {target}", 0, len(cues))
    checked = translate_cues(engines.translator, cues, source, target)
    if refused := sum(line.refused for line in checked):
        log.warning("%s: %d of %d lines left undubbed: no translation kept their facts", target, refused, len(cues))
    progress(f"translate {target}", len(cues), len(cues))
    seconds["translate"], began = time.perf_counter() - began, time.perf_counter()
    said: list[tuple[np.ndarray, float]] = []
    paces: dict[str | None, Pace] = {}
    progress(f"synthesize {target}", 0, len(cues))
    for done, (line, cue) in enumerate(zip(checked, cues, strict=True), start=1):
        voice = job.voices.get(cue.speaker)
        pace = paces.setdefault(voice, Pace())
        tempo = pace.tempo(line.text, cue.end - cue.start, job.fit.max_speedup)
        audio = say(engines.synthesizer(target, voice, threads), line.text, target, MIX_RATE, tempo).audio
        if audio.size:
            pace.learn(line.text, audio.size / MIX_RATE, tempo)
        said.append((audio, tempo))
        progress(f"synthesize {target}", done, len(cues))
    seconds["synthesize"], began = time.perf_counter() - began, time.perf_counter()
    placed = _place_lines(said, cues, original.size / MIX_RATE, job.fit)
    track, cut_at_end = mix_track(original, MIX_RATE, placed, list(job.source_speech))
    seconds["fit_and_mix"] = time.perf_counter() - began
    lines = [
        {
            "text": line.text,
            **({"refused": line.reason} if line.refused else {}),
            "placed_start": round(fitted.start, 3),
            "placed_end": round(fitted.end, 3),
            "synthesized_duration": round(fitted.synthesized_duration, 3),
            "voice_tempo": round(fitted.tempo, 3),
            "stretch": round(fitted.stretch, 3),
            "borrowed": round(fitted.borrowed, 3),
            "overrun": round(fitted.overrun, 3),
        }
        for line, fitted in zip(checked, placed, strict=True)
    ]
    return Track(target, track, [line.text for line in checked], lines, cut_at_end, seconds)


def _place_lines(
    said: Sequence[tuple[np.ndarray, float]], cues: Sequence[Cue], media_end: float, settings: FitSettings
) -> list[PlacedLine]:
    """Each line (its audio and the tempo its voice said it at) fitted after the one before."""
    placed: list[PlacedLine] = []
    earliest = 0.0
    for i, ((audio, tempo), cue) in enumerate(zip(said, cues, strict=True)):
        limit = cues[i + 1].start if i + 1 < len(cues) else media_end
        line = fit_line(audio, MIX_RATE, cue.start, cue.end, earliest, limit, settings, tempo)
        placed.append(line)
        earliest = line.end + settings.gap
    return placed


@dataclass(frozen=True)
class LanguageJob:
    """What one language's stage needs besides the clip and its decoded audio."""

    cues: list[Cue]
    source_speech: list[tuple[float, float]]
    source: str
    target: str
    voices: dict[int | None, str]
    """Speaker (a cue's `speaker`) -> the voice profile that says their lines; the language's default for others."""
    fit: FitSettings


def voice_threads(languages: int) -> int:
    """The threads each of `languages` dubbed side by side gives its voice: the cores shared out."""
    return max(1, len(os.sched_getaffinity(0)) // max(1, languages))


class Executor(Protocol):
    """Where a dub's heavy stages run."""

    def warm(self, source: str | None, targets: Sequence[str]) -> None:
        """Begin loading what the stages will need for `targets` (from `source`, where known), without waiting."""
        ...

    def transcribe(self, clip: Path, source: str | None) -> tuple[list[Segment], str]: ...

    def dub_languages(
        self, clip: Path, original: np.ndarray, jobs: list[LanguageJob], progress: ProgressHook
    ) -> Iterator[Track]:
        """Each language's track as it is done (in any order)."""
        ...


class LocalExecutor:
    """In this process: the clip transcribed, then its languages dubbed side by side, one thread each, the cores
    shared out between them (a neural voice on one core gets through more speech per core than on two, and one
    language's translation overlaps another's synthesis)."""

    def __init__(self, engines: Engines) -> None:
        self.engines = engines

    def warm(self, source: str | None, targets: Sequence[str]) -> None:
        """Whisper, each target's translation route (where the source is known) and voice loaded on a background
        thread, while the clip is decoded and transcription begins."""
        threads = voice_threads(len(targets))

        def load() -> None:
            try:
                _ = self.engines.recognizer
                for target in targets:
                    if source:
                        self.engines.router.warm(source, target)
                    self.engines.synthesizer(target, None, threads)
            except Exception:  # the stage that needs it fails with the real error, once
                log.debug("warming the dub's engines failed", exc_info=True)

        threading.Thread(target=load, name="dub-warm").start()  # not a daemon: a process ending mid-load aborts

    def transcribe(self, clip: Path, source: str | None) -> tuple[list[Segment], str]:
        return transcribe_clip(self.engines, clip, source)

    def dub_languages(
        self, clip: Path, original: np.ndarray, jobs: list[LanguageJob], progress: ProgressHook
    ) -> Iterator[Track]:
        if not jobs:
            return
        threads = voice_threads(len(jobs))
        pool = ThreadPoolExecutor(max_workers=len(jobs), thread_name_prefix="dub")
        failed: Exception | None = None
        try:
            futures = [pool.submit(dub_language, self.engines, original, job, progress, threads) for job in jobs]
            for future in as_completed(futures):
                try:
                    track = future.result()
                except Exception as exc:  # the other languages still finish, and are kept for the next run
                    failed = failed or exc
                    continue
                yield track
            if failed is not None:
                raise failed
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
