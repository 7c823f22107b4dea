"""Speech recognition: typed results and the `Recognizer` protocol; one module per backend."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np

SAMPLE_RATE = 16000
Task = Literal["transcribe", "translate"]


@dataclass(frozen=True)
class Word:
    text: str
    start: float
    end: float
    probability: float


@dataclass(frozen=True)
class Segment:
    """One recognized stretch of speech; times in seconds of the input audio."""

    start: float
    end: float
    text: str
    words: tuple[Word, ...]
    avg_logprob: float
    no_speech_prob: float
    compression_ratio: float


@dataclass(frozen=True)
class TranscriptInfo:
    language: str
    language_probability: float
    duration: float


@dataclass(frozen=True)
class TranscribeOptions:
    """Per-call settings. `language=None` detects it; `task="translate"` gives English text from any speech."""

    language: str | None = None
    task: Task = "transcribe"
    beam_size: int = 5
    vad: bool = True
    word_timestamps: bool = True
    initial_prompt: str | None = None
    window_seconds: float | None = None
    """Encoder window (whisper.cpp's audio_ctx). None: Whisper's 30 s. Streaming passes over a few seconds of
    buffer run 2-3x faster with a window 2 s longer than the audio, with the same words (measured); a window
    tighter than that now and then sends the decoder into a loop."""
    temperature_fallback: bool = True
    """Re-decode at higher temperatures when a pass fails the guards (batch). Streaming passes skip it: the next
    pass is a retry anyway, and a looping window re-decoded six times costs seconds."""
    max_new_tokens: int | None = None


class Recognizer(Protocol):
    def transcribe(self, audio: np.ndarray, options: TranscribeOptions) -> tuple[Iterator[Segment], TranscriptInfo]:
        """Start recognizing 16 kHz mono float audio; segments are produced lazily as the caller iterates."""
        ...
