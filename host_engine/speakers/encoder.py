"""Voice embeddings: Resemblyzer's encoder (exported to ONNX at install time) over 1.6-s windows of 16-kHz audio.

Its input is Resemblyzer's: a power (not log) mel spectrogram, 40 Slaney mel bands, 25-ms Hann windows every
10 ms, of audio raised to -30 dBFS where quieter. Two windows of one voice score about 0.8-0.9 cosine, of two
voices about 0.4-0.6.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from pathlib import Path

import numpy as np

from host_engine.asr import SAMPLE_RATE

N_FFT = 400
HOP = 160
MEL_BANDS = 40
WINDOW_SECONDS = 1.6
"""What the encoder was trained on: 160 mel frames."""
LOUDNESS_DBFS = -30.0
BATCH = 64


@cache
def mel_filters(sample_rate: int = SAMPLE_RATE, n_fft: int = N_FFT, bands: int = MEL_BANDS) -> np.ndarray:
    """Slaney-style mel filters (librosa's default: Slaney's mel scale, each filter's area normalised), (bands,
    n_fft // 2 + 1)."""

    def to_mel(hz: np.ndarray) -> np.ndarray:
        linear = hz / (200.0 / 3)
        return np.where(hz >= 1000.0, 15.0 + np.log(np.maximum(hz, 1e-9) / 1000.0) / (np.log(6.4) / 27), linear)

    def to_hz(mel: np.ndarray) -> np.ndarray:
        return np.where(mel >= 15.0, 1000.0 * np.exp((np.log(6.4) / 27) * (mel - 15.0)), mel * (200.0 / 3))

    edges = to_hz(np.linspace(to_mel(np.array(0.0)), to_mel(np.array(sample_rate / 2)), bands + 2))
    bins = np.linspace(0, sample_rate / 2, n_fft // 2 + 1)
    ramps = edges[:, None] - bins[None, :]
    widths = np.diff(edges)
    rising = -ramps[:-2] / widths[:-1, None]
    falling = ramps[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(rising, falling))
    return (weights * (2.0 / (edges[2:] - edges[:-2]))[:, None]).astype(np.float32)


def mel_frames(audio: np.ndarray) -> np.ndarray:
    """(frames, 40) power mel spectrogram of 16-kHz `audio`, one frame every 10 ms (centred, zero-padded)."""
    padded = np.pad(audio.astype(np.float32), N_FFT // 2)
    count = 1 + (padded.size - N_FFT) // HOP
    frames = np.lib.stride_tricks.as_strided(
        padded, (count, N_FFT), (padded.strides[0] * HOP, padded.strides[0]), writeable=False
    )
    window = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)).astype(np.float32)
    power = np.abs(np.fft.rfft(frames * window, axis=1)) ** 2
    return (power.astype(np.float32) @ mel_filters().T).astype(np.float32)


def louder(audio: np.ndarray) -> np.ndarray:
    """`audio` raised to `LOUDNESS_DBFS` if it is quieter (never lowered), as the encoder was trained."""
    rms = float(np.sqrt(np.mean(np.square(audio, dtype=np.float64)))) if audio.size else 0.0
    if rms <= 1e-9:
        return audio
    change = LOUDNESS_DBFS - 20 * np.log10(rms)
    return audio * np.float32(10 ** (change / 20)) if change > 0 else audio


class SpeakerEncoder:
    """A loaded encoder; `embed` gives one L2-normalised 256-dim embedding per window."""

    def __init__(self, model: Path | None = None, threads: int = 2) -> None:
        import onnxruntime

        if model is None:
            from host_engine.registry import model_path

            model = model_path("resemblyzer") / "encoder.onnx"
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        self._session = onnxruntime.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])

    def embed(self, audio: np.ndarray, starts: Sequence[float]) -> np.ndarray:
        """(len(starts), 256): the embedding of `WINDOW_SECONDS` of 16-kHz `audio` from each start (seconds; a
        window running past the end is padded with silence)."""
        if not len(starts):
            return np.zeros((0, 256), np.float32)
        mels = mel_frames(louder(audio))
        length = round(WINDOW_SECONDS * SAMPLE_RATE / HOP)
        mels = np.pad(mels, ((0, length), (0, 0)))
        firsts = [min(round(start * SAMPLE_RATE / HOP), mels.shape[0] - length) for start in starts]
        windows = np.stack([mels[first : first + length] for first in firsts])
        return np.concatenate(
            [self._session.run(None, {"mels": windows[i : i + BATCH]})[0] for i in range(0, len(windows), BATCH)]
        )
