"""Viseme tracks: one mouth shape per video frame, from TTS phoneme timings or from the audio itself.

Shapes are the Preston Blair / Rhubarb set (A-H plus X for rest), each a point in a small continuous space:
`open` (0 closed .. 1 wide open jaw) and `wide` (-1 puckered/rounded .. +1 spread). Photo renderers warp by the
continuous values; sprite renderers pick the nearest shape. Co-articulation is a short zero-lag smoothing of the
targets (neighbouring sounds blend) that keeps full closures for m/b/p, so the mouth shuts where the lips do.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from host_engine.tts import PhonemeTiming


class Viseme(StrEnum):
    A = "A"  # closed: m b p
    B = "B"  # slightly open, teeth together: most consonants, ee
    C = "C"  # open: e, ae
    D = "D"  # wide open: a
    E = "E"  # rounded open: o
    F = "F"  # puckered: u, w
    G = "G"  # teeth on lip: f v
    H = "H"  # tongue up: l
    X = "X"  # rest


SHAPES: dict[Viseme, tuple[float, float]] = {
    Viseme.A: (0.0, 0.0),
    Viseme.B: (0.2, 0.35),
    Viseme.C: (0.5, 0.25),
    Viseme.D: (0.9, 0.1),
    Viseme.E: (0.55, -0.45),
    Viseme.F: (0.25, -0.9),
    Viseme.G: (0.12, 0.15),
    Viseme.H: (0.4, 0.0),
    Viseme.X: (0.0, 0.0),
}
"""(open, wide) for each shape."""

_BY_BASE: dict[str, Viseme] = {
    **dict.fromkeys("pbmɓ", Viseme.A),
    **dict.fromkeys("fvʋɸβ", Viseme.G),
    **dict.fromkeys("lɫɭʎɬ", Viseme.H),
    **dict.fromkeys("iɪjɨʏ", Viseme.B),
    **dict.fromkeys("eɛæəɜɘɚ", Viseme.C),
    **dict.fromkeys("aɑɐʌɶ", Viseme.D),
    **dict.fromkeys("oɔɒɤɵɞ", Viseme.E),
    **dict.fromkeys("uʊwɯʉyøœɥ", Viseme.F),
}
"""IPA base symbol -> shape; every other consonant is B (teeth nearly together)."""

SMOOTHING_SECONDS = 0.03
"""Gaussian sigma of the co-articulation blend: about one video frame either side."""


@dataclass(frozen=True)
class Mouth:
    """The mouth in one frame."""

    open: float
    wide: float

    @property
    def viseme(self) -> Viseme:
        """The nearest named shape (A and X look alike; X, rest, is the one drawn)."""
        return min(_DRAWN, key=lambda v: np.hypot(self.open - SHAPES[v][0], 0.5 * (self.wide - SHAPES[v][1])))


_DRAWN = [v for v in SHAPES if v is not Viseme.A]


def viseme_for(phoneme: str) -> Viseme:
    """The mouth shape for one IPA phoneme (a base symbol with modifiers, as `tts.common.ipa_units` gives)."""
    base = unicodedata.normalize("NFD", phoneme)[:1].lower()
    if not base or not base.isalpha():
        return Viseme.X
    return _BY_BASE.get(base, Viseme.B)


@dataclass(frozen=True)
class VisemeTrack:
    """Per-frame mouth parameters; frame i shows time (i + 0.5) / fps."""

    fps: float
    open: np.ndarray
    wide: np.ndarray

    def __len__(self) -> int:
        return len(self.open)

    @property
    def duration(self) -> float:
        return len(self) / self.fps

    def mouth(self, frame: int) -> Mouth:
        return Mouth(float(self.open[frame]), float(self.wide[frame]))


def frame_count(seconds: float, fps: float) -> int:
    return round(seconds * fps)


def audio_envelope(audio: np.ndarray, sample_rate: int, fps: float, frames: int | None = None) -> np.ndarray:
    """RMS loudness of each video frame's span of audio, 0..1 on a decibel scale (-50 dB relative to the
    loud frames -> 0): the same measure the sync benchmark compares rendered mouths against."""
    frames = frame_count(len(audio) / sample_rate, fps) if frames is None else frames
    edges = np.round(np.arange(frames + 1) * sample_rate / fps).astype(int)
    squares = np.concatenate([[0.0], np.cumsum(np.square(audio, dtype=np.float64))])
    edges = np.minimum(edges, audio.size)
    rms = np.sqrt((squares[edges[1:]] - squares[edges[:-1]]) / np.maximum(edges[1:] - edges[:-1], 1))
    if not rms.size or rms.max() <= 1e-6:
        return np.zeros(frames, np.float32)
    loud = np.percentile(rms[rms > 1e-6], 95)
    db = 20 * np.log10(np.maximum(rms, 1e-9) / loud)
    return np.clip((db + 50) / 45, 0.0, 1.0).astype(np.float32)


def _spectral_width(audio: np.ndarray, sample_rate: int, fps: float, frames: int) -> np.ndarray:
    """-1..1 per frame from the spectral centroid: dark sounds (o, u) round the lips, bright ones (i, s) spread."""
    hop = sample_rate / fps
    size = 1 << int(np.ceil(np.log2(max(hop, 64))))
    window = np.hanning(size)
    freqs = np.fft.rfftfreq(size, 1 / sample_rate)
    out = np.zeros(frames, np.float32)
    for i in range(frames):
        centre = int((i + 0.5) * hop)
        piece = audio[max(0, centre - size // 2) : centre + size // 2]
        if piece.size < size:
            piece = np.pad(piece, (0, size - piece.size))
        power = np.abs(np.fft.rfft(piece * window)) ** 2
        if power.sum() > 1e-9:
            centroid = float((freqs * power).sum() / power.sum())
            out[i] = np.clip((np.log2(max(centroid, 100.0)) - np.log2(1200.0)) / 1.5, -1.0, 1.0)
    return out


def _smooth(values: np.ndarray, fps: float) -> np.ndarray:
    sigma = SMOOTHING_SECONDS * fps
    if sigma < 0.3 or values.size < 3:
        return values
    reach = int(np.ceil(3 * sigma))
    kernel = np.exp(-0.5 * (np.arange(-reach, reach + 1) / sigma) ** 2)
    padded = np.pad(values, reach, mode="edge")
    return np.convolve(padded, kernel / kernel.sum(), mode="valid").astype(np.float32)


def _audio_opening(audio: np.ndarray, sample_rate: int, fps: float, frames: int) -> np.ndarray:
    """Jaw opening from loudness: quiet frames stay shut."""
    envelope = audio_envelope(audio, sample_rate, fps, frames)
    return (np.where(envelope > 0.25, envelope, 0.0) ** 1.5).astype(np.float32)


def from_audio(audio: np.ndarray, sample_rate: int, fps: float) -> VisemeTrack:
    """Mouth shapes from the sound alone (any language, any voice): loudness opens the jaw, spectral shape sets
    rounding."""
    frames = frame_count(len(audio) / sample_rate, fps)
    opening = _audio_opening(audio, sample_rate, fps, frames)
    width = _spectral_width(audio, sample_rate, fps, frames) * (opening > 0)
    return VisemeTrack(fps, _smooth(opening, fps), _smooth(width, fps))


def from_phonemes(
    phonemes: Sequence[PhonemeTiming], duration: float, fps: float, audio: tuple[np.ndarray, int] | None = None
) -> VisemeTrack:
    """Mouth shapes from phoneme timings. With the audio, its loudness sets when and how far the jaw opens and the
    phonemes set the shape (rounding, spreading, closures): Piper's and Kokoro's timings are estimates, good for
    which sound comes next but not to the frame."""
    frames = frame_count(duration, fps)
    times = (np.arange(frames) + 0.5) / fps
    opening = np.zeros(frames, np.float32)
    width = np.zeros(frames, np.float32)
    closed = np.zeros(frames, bool)
    for timing in phonemes:
        shape = viseme_for(timing.phoneme)
        span = (times >= timing.start) & (times < timing.end)
        opening[span], width[span] = SHAPES[shape]
        closed |= span & (shape is Viseme.A)
    if audio is not None:
        opening = _audio_opening(*audio, fps, frames) * (0.6 + 0.4 * opening / SHAPES[Viseme.D][0])
    opening = _smooth(opening, fps)
    opening[closed] = np.minimum(opening[closed], 0.05)
    return VisemeTrack(fps, opening, _smooth(width, fps))
