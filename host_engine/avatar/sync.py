"""Audio-video sync measured from a rendered file alone: how open the mouth looks in each decoded frame, against
the loudness of the decoded audio track.

The mouth's opening is the share of dark pixels (the mouth cavity) in a box around the pack's mouth, found from
pixels, not from what the renderer meant to draw. The offset is the lag that best correlates the two signals,
refined below one frame by a parabola through the correlation peak; positive means the picture is late.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av
import cv2
import numpy as np

from host_engine.avatar.pack import Pack
from host_engine.avatar.stage import Stage
from host_engine.avatar.visemes import audio_envelope
from host_engine.media import decode_audio

DARK = 70
"""Luma below which a pixel counts as mouth cavity."""
MAX_LAG_FRAMES = 6
SPEECH = 0.3
"""Envelope level (0..1) above which a frame counts as speech, and below 0.02 as silence."""


@dataclass(frozen=True)
class SyncReport:
    frames: int
    fps: float
    duration: float
    offset_ms: float
    correlation: float
    speech_opening: float
    """Mean opening (share of dark pixels) in frames with speech..."""
    silence_opening: float
    """...and in silent frames."""


def mouth_opening(video: Path, pack: Pack) -> tuple[np.ndarray, float]:
    """Opening per decoded frame, and the frame rate."""
    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        fps = float(stream.average_rate)
        stage = Stage(pack, (stream.codec_context.width, stream.codec_context.height))
        mouth = pack.geometry.mouth
        width = mouth.width * stage.scale
        cx, cy = stage.place(pack.geometry.lips_meet)
        x0, x1 = int(cx - 0.8 * width), int(cx + 0.8 * width)
        y0, y1 = int(cy - 0.4 * width), int(cy + 0.8 * width)
        values = []
        for frame in container.decode(stream):
            luma = frame.to_ndarray(format="gray")[max(y0, 0) : y1, max(x0, 0) : x1]
            values.append(float(np.mean(cv2.GaussianBlur(luma, (3, 3), 0) < DARK)))
    return np.array(values, np.float32), fps


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    if a.size < 3 or a.std() < 1e-9 or b.std() < 1e-9:
        return 0.0
    return float(np.corrcoef(a, b)[0, 1])


def best_lag(picture: np.ndarray, sound: np.ndarray, max_lag: int = MAX_LAG_FRAMES) -> tuple[float, float]:
    """(lag in frames, correlation at the best whole lag): picture[i] matches sound[i - lag]."""
    count = min(picture.size, sound.size)
    picture, sound = picture[:count], sound[:count]
    lags = list(range(-max_lag, max_lag + 1))
    scores = []
    for lag in lags:
        if lag >= 0:
            scores.append(_correlation(picture[lag:], sound[: count - lag]))
        else:
            scores.append(_correlation(picture[: count + lag], sound[-lag:]))
    best = int(np.argmax(scores))
    refined = float(lags[best])
    if 0 < best < len(lags) - 1:
        left, peak, right = scores[best - 1], scores[best], scores[best + 1]
        curvature = left - 2 * peak + right
        if curvature < 0:
            refined += 0.5 * (left - right) / curvature
    return refined, scores[best]


def measure_sync(video: Path, pack: Pack) -> SyncReport:
    opening, fps = mouth_opening(video, pack)
    envelope = audio_envelope(decode_audio(video, 16000), 16000, fps, opening.size)
    lag, correlation = best_lag(opening, envelope)
    speech, silence = envelope > SPEECH, envelope < 0.02
    return SyncReport(
        frames=int(opening.size),
        fps=fps,
        duration=opening.size / fps,
        offset_ms=round(1000 * lag / fps, 1),
        correlation=round(correlation, 3),
        speech_opening=round(float(opening[speech].mean()) if speech.any() else 0.0, 4),
        silence_opening=round(float(opening[silence].mean()) if silence.any() else 0.0, 4),
    )
