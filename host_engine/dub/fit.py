"""Fitting synthesized lines into the time slots of the original speech.

Order of remedies, as studios accept them: speed up within bounds (pitch preserved), then borrow the silence
that follows the slot, then let the line run over and record by how much. Speech is never cut.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from host_engine.media import time_stretch


@dataclass(frozen=True)
class FitSettings:
    max_speedup: float = 1.35
    gap: float = 0.08
    """Silence kept between one line and the next, in seconds."""


@dataclass(frozen=True)
class PlacedLine:
    audio: np.ndarray
    start: float
    end: float
    synthesized_duration: float
    tempo: float
    """How much faster than its pace the voice said the line."""
    stretch: float
    """How much faster than the voice's pace the line is heard: `tempo` times the speed-up applied afterwards."""
    borrowed: float
    """Seconds taken from the silence after the slot."""
    overrun: float
    """Seconds by which the line runs past the next line's slot start (or the end of the media)."""


def fit_line(
    audio: np.ndarray,
    sample_rate: int,
    slot_start: float,
    slot_end: float,
    earliest_start: float,
    limit: float,
    settings: FitSettings = FitSettings(),
    tempo: float = 1.0,
) -> PlacedLine:
    """Place one line that should sound within [slot_start, slot_end].

    `earliest_start` is where the previous line (plus a gap) ended; `limit` is the next slot's start or the end
    of the media: borrowing silence may reach it, going past it is an overrun. `tempo`: the voice already said
    the line that much faster than its pace, which counts towards `settings.max_speedup`.
    """
    duration = audio.size / sample_rate
    start = max(slot_start, earliest_start)
    window = max(slot_end - start, 1e-3)
    speedup = min(max(duration / window, 1.0), max(settings.max_speedup / tempo, 1.0))
    placed = time_stretch(audio, sample_rate, speedup)
    end = start + placed.size / sample_rate
    borrowed = max(0.0, min(end, limit) - max(slot_end, start))
    return PlacedLine(
        audio=placed,
        start=start,
        end=end,
        synthesized_duration=duration,
        tempo=tempo,
        stretch=tempo * speedup,
        borrowed=borrowed if end > slot_end else 0.0,
        overrun=max(0.0, end - limit),
    )
