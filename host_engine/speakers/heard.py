"""What a clip's speakers sound like: how long each talks and their median pitch (Praat's, through parselmouth),
which tells a low voice from a high one when a dub picks voices for them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from host_engine.asr import SAMPLE_RATE
from host_engine.speakers.diarize import Turn
from host_engine.subtitles import speaker_label
from host_engine.tts.voices import Gender

LOW_VOICE_BELOW = 160.0
"""Hz of median pitch under which a voice is cast as male (adult men speak at about 85-155 Hz, women 165-255)."""

MIN_PITCHED_SECONDS = 0.3


@dataclass(frozen=True)
class Speaker:
    index: int
    """0, 1, ... in the order they are first heard."""
    talk_seconds: float
    pitch_hz: float | None
    """Median pitch of their voiced speech; None where too little of it was voiced to tell."""

    @property
    def label(self) -> str:
        return speaker_label(self.index)

    @property
    def gender(self) -> Gender | None:
        if self.pitch_hz is None:
            return None
        return "male" if self.pitch_hz < LOW_VOICE_BELOW else "female"


def median_pitch(audio: np.ndarray) -> float | None:
    """The median pitch (Hz) of 16-kHz `audio`'s voiced frames; None where it has too little voiced sound."""
    import parselmouth

    if audio.size < MIN_PITCHED_SECONDS * SAMPLE_RATE:
        return None
    pitch = parselmouth.Sound(audio.astype(np.float64), SAMPLE_RATE).to_pitch().selected_array["frequency"]
    voiced = pitch[pitch > 0]
    return round(float(np.median(voiced)), 1) if voiced.size else None


def speakers_heard(audio: np.ndarray, turns: Sequence[Turn]) -> list[Speaker]:
    """Each speaker of `turns` in 16-kHz `audio`, by index."""
    speakers = []
    for index in sorted({turn.speaker for turn in turns}):
        theirs = [turn for turn in turns if turn.speaker == index]
        speech = np.concatenate([audio[round(t.start * SAMPLE_RATE) : round(t.end * SAMPLE_RATE)] for t in theirs])
        talk = round(sum(turn.end - turn.start for turn in theirs), 2)
        speakers.append(Speaker(index, talk, median_pitch(speech)))
    return speakers
