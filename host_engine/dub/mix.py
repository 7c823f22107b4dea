"""Mixing dubbed lines over the original audio, with the original ducked wherever anyone speaks."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from host_engine.dub.fit import PlacedLine

DUCK_GAIN = 0.12
"""About -18 dB: the original voice stays audible as a bed but does not compete with the dub."""
RAMP_SECONDS = 0.15
SPEECH_RMS = 0.1
"""Every line is brought to about -20 dBFS so that voices from different engines sit at one level."""


def _spans_mask(spans: Sequence[tuple[float, float]], size: int, rate: int) -> np.ndarray:
    mask = np.zeros(size, np.float32)
    for start, end in spans:
        mask[max(0, int(start * rate)) : min(size, int(end * rate))] = 1.0
    return mask


def _smooth(mask: np.ndarray, rate: int) -> np.ndarray:
    width = max(1, int(RAMP_SECONDS * rate))
    kernel = np.ones(width, np.float32) / width
    return np.clip(np.convolve(mask, kernel, mode="same"), 0.0, 1.0)


def _level(audio: np.ndarray) -> np.ndarray:
    rms = float(np.sqrt(np.mean(audio.astype(np.float64) ** 2))) if audio.size else 0.0
    return audio * (SPEECH_RMS / rms) if rms > 1e-6 else audio


def mix_track(
    original: np.ndarray,
    rate: int,
    lines: Sequence[PlacedLine],
    source_speech: Sequence[tuple[float, float]],
) -> tuple[np.ndarray, float]:
    """The dubbed track, exactly as long as `original`, and the seconds of dub that fell past its end."""
    size = original.size
    dub = np.zeros(size, np.float32)
    cut = 0.0
    for line in lines:
        begin = round(line.start * rate)
        audio = _level(line.audio)
        room = max(0, size - begin)
        dub[begin : begin + min(room, audio.size)] += audio[:room]
        cut += max(0, audio.size - room) / rate
    spans = [*source_speech, *((line.start, line.end) for line in lines)]
    envelope = 1.0 - (1.0 - DUCK_GAIN) * _smooth(_spans_mask(spans, size, rate), rate)
    mixed = original * envelope + dub
    peak = float(np.abs(mixed).max()) if size else 0.0
    return (mixed / peak * 0.98 if peak > 0.98 else mixed).astype(np.float32), cut
