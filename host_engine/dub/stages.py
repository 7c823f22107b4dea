"""A dub's two heavy stages as functions of their inputs, so that they run wherever an executor puts them: in this
process one after the other (`LocalExecutor`), or as Ray tasks, one per clip for transcription and one per
language for the rest (service/ray_executor.py).

`transcribe_clip`: the clip's speech segments and language. `dub_language`: one target language's track (the
cues translated, voiced, fitted into their slots and mixed over the ducked original) with what the report and the
subtitles need of its lines.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from host_engine.asr import SAMPLE_RATE, Segment, TranscribeOptions
from host_engine.dub.fit import FitSettings, PlacedLine, fit_line
from host_engine.dub.lines import translate_cues
from host_engine.dub.mix import mix_track
from host_engine.engines import Engines
from host_engine.errors import BadInputError, UnsupportedLanguageError
from host_engine.languages import LANGUAGES
from host_engine.media import decode_audio
from host_engine.speech import speak_line
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
    engines: Engines,
    original: np.ndarray,
    cues: Sequence[Cue],
    source_speech: Sequence[tuple[float, float]],
    source: str,
    target: str,
    voice: str | None,
    fit: FitSettings,
    progress: ProgressHook = quiet,
) -> Track:
    seconds: dict[str, float] = {}
    began = time.perf_counter()
    progress(f"translate {target}", 0, len(cues))
    checked = translate_cues(engines.translator, cues, source, target)
    if refused := sum(line.refused for line in checked):
        log.warning("%s: %d of %d lines left undubbed: no translation kept their facts", target, refused, len(cues))
    progress(f"translate {target}", len(cues), len(cues))
    seconds["translate"], began = time.perf_counter() - began, time.perf_counter()
    audios = []
    progress(f"synthesize {target}", 0, len(cues))
    for done, line in enumerate(checked, start=1):
        audios.append(speak_line(engines, line.text, target, MIX_RATE, voice))
        progress(f"synthesize {target}", done, len(cues))
    seconds["synthesize"], began = time.perf_counter() - began, time.perf_counter()
    placed = _place_lines(audios, cues, original.size / MIX_RATE, fit)
    track, cut_at_end = mix_track(original, MIX_RATE, placed, list(source_speech))
    seconds["fit_and_mix"] = time.perf_counter() - began
    lines = [
        {
            "text": line.text,
            **({"refused": line.reason} if line.refused else {}),
            "placed_start": round(fitted.start, 3),
            "placed_end": round(fitted.end, 3),
            "synthesized_duration": round(fitted.synthesized_duration, 3),
            "stretch": round(fitted.stretch, 3),
            "borrowed": round(fitted.borrowed, 3),
            "overrun": round(fitted.overrun, 3),
        }
        for line, fitted in zip(checked, placed, strict=True)
    ]
    return Track(target, track, [line.text for line in checked], lines, cut_at_end, seconds)


def _place_lines(
    audios: Sequence[np.ndarray], cues: Sequence[Cue], media_end: float, settings: FitSettings
) -> list[PlacedLine]:
    placed: list[PlacedLine] = []
    earliest = 0.0
    for i, (audio, cue) in enumerate(zip(audios, cues, strict=True)):
        limit = cues[i + 1].start if i + 1 < len(cues) else media_end
        line = fit_line(audio, MIX_RATE, cue.start, cue.end, earliest, limit, settings)
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
    voice: str | None
    fit: FitSettings


class Executor(Protocol):
    """Where a dub's heavy stages run."""

    def transcribe(self, clip: Path, source: str | None) -> tuple[list[Segment], str]: ...

    def dub_languages(
        self, clip: Path, original: np.ndarray, jobs: list[LanguageJob], progress: ProgressHook
    ) -> Iterator[Track]:
        """Each language's track as it is done (in any order)."""
        ...


class LocalExecutor:
    """In this process, one stage after another."""

    def __init__(self, engines: Engines) -> None:
        self.engines = engines

    def transcribe(self, clip: Path, source: str | None) -> tuple[list[Segment], str]:
        return transcribe_clip(self.engines, clip, source)

    def dub_languages(
        self, clip: Path, original: np.ndarray, jobs: list[LanguageJob], progress: ProgressHook
    ) -> Iterator[Track]:
        for job in jobs:
            yield dub_language(self.engines, original, job.cues, job.source_speech, job.source, job.target,
                               job.voice, job.fit, progress)  # fmt: skip
