"""Diarization on clips built from real recordings (a LibriVox reader and pytest-audioeval's English voice)."""

from __future__ import annotations

import numpy as np
import pytest

from host_engine.asr import SAMPLE_RATE
from host_engine.bench.diarization import build, score
from host_engine.speakers.diarize import diarize, speaker_at
from host_engine.speakers.encoder import SpeakerEncoder, mel_filters


@pytest.fixture(scope="module")
def encoder() -> SpeakerEncoder:
    return SpeakerEncoder()


def test_mel_filters_cover_the_band_like_librosas() -> None:
    filters = mel_filters()
    assert filters.shape == (40, 201) and (filters >= 0).all()
    peaks = filters.argmax(axis=1)
    assert (np.diff(peaks) >= 0).all() and peaks[0] <= 2 and peaks[-1] >= 180


def test_one_voice_is_closer_to_itself_than_to_another(encoder: SpeakerEncoder) -> None:
    clip = build("two", ["reader", "en", "reader"])
    first, second, third = clip.turns
    starts = [first.start, second.start, third.start]
    a, b, c = encoder.embed(clip.audio, starts)
    assert float(a @ c) > float(a @ b) + 0.1  # one window each: noisier than a whole turn


@pytest.mark.parametrize("pause", [0.4, 0.05])
def test_two_speakers_are_told_apart_on_nine_tenths_of_the_speech(encoder: SpeakerEncoder, pause: float) -> None:
    clip = build("two", ["reader", "en", "reader", "en", "reader", "en", "reader"], pause=pause)
    found = diarize(clip.audio, encoder)
    assert len({turn.speaker for turn in found}) == 2
    assert score(clip.turns, found, clip.audio.size / SAMPLE_RATE)["right_speaker"] >= 0.9
    assert [speaker_at(found, t.start, t.end) for t in clip.turns] == [0, 1, 0, 1, 0, 1, 0]


def test_silence_has_no_speakers(encoder: SpeakerEncoder) -> None:
    assert diarize(np.zeros(5 * SAMPLE_RATE, np.float32), encoder) == []
