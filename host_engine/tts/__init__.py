"""Speech synthesis: one `Synthesizer` protocol, one module per backend, voice profiles in `voices/`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

VOICE_SEED = 0


def seed_voices(seed: int = VOICE_SEED) -> None:
    """Seed the sampling noise of the ONNX voices (Piper, Kokoro) whose sessions are made after this call, so the
    same lines read the same audio: unseeded, the en benchmark reading's WER moved between 11.9 and 19.0 %."""
    import onnxruntime  # installed with the voices (the offline extra)

    onnxruntime.set_seed(seed)


WORD_BREAK = " "
"""The phoneme of a `PhonemeTiming` that marks the seam between two words, where speech may be cut. Only voices
that time their own phonemes give it (Piper's alignment); estimated timings could put it inside a word."""


@dataclass(frozen=True)
class PhonemeTiming:
    """One phoneme (IPA or engine symbol, or a `WORD_BREAK`) and where it sits in its chunk's audio, in seconds."""

    phoneme: str
    start: float
    end: float


@dataclass(frozen=True)
class SpeechChunk:
    """The audio for one sentence: float32 mono samples in [-1, 1] at `sample_rate`."""

    text: str
    audio: np.ndarray
    sample_rate: int
    phonemes: tuple[PhonemeTiming, ...] = field(default=())

    @property
    def duration(self) -> float:
        return len(self.audio) / self.sample_rate

    def faster(self, tempo: float) -> SpeechChunk:
        """The same sentence said `tempo` times faster, its pitch kept (FFmpeg's `atempo`), its phonemes retimed."""
        from host_engine.media import time_stretch  # media is heavy (PyAV); most users of chunks never need it

        phonemes = tuple(PhonemeTiming(p.phoneme, p.start / tempo, p.end / tempo) for p in self.phonemes)
        return SpeechChunk(self.text, time_stretch(self.audio, self.sample_rate, tempo), self.sample_rate, phonemes)


@runtime_checkable
class Synthesizer(Protocol):
    """A speech synthesis backend, loaded once for one voice."""

    name: str
    sample_rate: int

    def languages(self) -> frozenset[str]:
        """Language codes this loaded voice can speak."""
        ...

    def synthesize(self, text: str, lang: str, tempo: float = 1.0) -> Iterator[SpeechChunk]:
        """Speak `text` `tempo` times faster than the voice's pace, yielding one chunk per sentence as soon as it is
        ready (a lazy generator)."""
        ...
