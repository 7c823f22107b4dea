"""Where there is speech: Silero VAD, bundled with faster-whisper."""

from __future__ import annotations

import numpy as np

from host_engine.asr import SAMPLE_RATE


def speech_regions(audio: np.ndarray, threshold: float = 0.5) -> list[tuple[float, float]]:
    """Speech regions of 16-kHz `audio` in seconds (silences of 0.3 s or more between them)."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    options = VadOptions(threshold=threshold, min_silence_duration_ms=300, speech_pad_ms=100)
    return [(r["start"] / SAMPLE_RATE, r["end"] / SAMPLE_RATE) for r in get_speech_timestamps(audio, options)]
