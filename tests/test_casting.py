"""A dub's cast: cues cut where the speaker changes, a voice of their own (and of their pitch) for each speaker."""

from __future__ import annotations

import itertools

import pytest

from host_engine.asr import Segment, Word
from host_engine.dub.casting import cast_voices, cues_by_speaker, voice_choices
from host_engine.dub.lines import sentence_groups
from host_engine.errors import BadInputError
from host_engine.languages import get_language
from host_engine.speakers.diarize import Turn
from host_engine.speakers.heard import Speaker
from host_engine.subtitles import subtitles_text
from host_engine.tts.voices import load_voice_profiles

PROFILES = load_voice_profiles()
LOW, HIGH = 100.0, 210.0


def _cast(speakers: list[Speaker], chosen: dict[str, str] | None = None) -> dict[str, str]:
    cast = cast_voices(PROFILES, "es", speakers, chosen or {})
    return {speaker.label: cast[speaker.index].name for speaker in speakers}


def test_each_speaker_gets_a_voice_of_their_pitch_the_longest_talker_first() -> None:
    host, guest = Speaker(0, 20.0, LOW), Speaker(1, 5.0, HIGH)
    assert _cast([host, guest]) == {"S1": "es-kumo", "S2": "es-kokoro"}
    assert _cast([Speaker(0, 3.0, HIGH), Speaker(1, 9.0, LOW), Speaker(2, 6.0, LOW)]) == {
        "S1": "es-kokoro", "S2": "es-kumo", "S3": "es-espeak"
    }  # fmt: skip
    assert _cast([Speaker(0, 9.0, None)]) == {"S1": "es-kokoro"}  # pitch unknown: the language's default


def test_more_speakers_than_voices_share_them_rather_than_fail() -> None:
    cast = _cast([Speaker(index, 10.0 - index, LOW) for index in range(4)])
    assert len(set(cast.values())) == 3 and set(cast.values()) == {"es-kumo", "es-espeak", "es-kokoro"}


def test_a_studios_choice_goes_first_and_must_name_a_speaker_of_the_clip() -> None:
    host, guest = Speaker(0, 20.0, LOW), Speaker(1, 5.0, HIGH)
    assert _cast([host, guest], {"": "es-espeak"}) == {"S1": "es-espeak", "S2": "es-kokoro"}
    assert _cast([host, guest], {"S2": "es-kumo"}) == {"S1": "es-espeak", "S2": "es-kumo"}
    with pytest.raises(BadInputError, match="no speaker S3 in this clip; its speakers: S1, S2"):
        _cast([host, guest], {"S3": "es-kumo"})
    assert voice_choices({"ES": "es-kumo", "es:S2": "es-kokoro"}) == {"es": {"": "es-kumo", "S2": "es-kokoro"}}
    with pytest.raises(BadInputError, match="name a speaker as S1, S2"):
        voice_choices({"es:guest": "es-kumo"})


def _words(*timed: tuple[str, float, float]) -> Segment:
    words = tuple(Word(text, start, end, 0.9) for text, start, end in timed)
    return Segment(words[0].start, words[-1].end, "".join(w.text for w in words), words, -0.1, 0.01, 1.2)


def test_cues_end_where_the_speaker_changes_and_sentences_stay_with_one_speaker() -> None:
    """A guest cutting in mid-sentence gets a cue of their own, and their words are not translated as part of
    the host's sentence."""
    segment = _words(
        (" It", 0.0, 0.3), (" costs", 0.3, 0.7), (" twenty", 0.7, 1.1),
        (" Really?", 1.3, 1.8),
        (" dollars", 2.0, 2.5), (" today.", 2.5, 3.0),
    )  # fmt: skip
    turns = [Turn(0.0, 1.15, 0), Turn(1.25, 1.85, 1), Turn(1.95, 3.0, 0)]
    cues = cues_by_speaker([segment], turns, get_language("en"))
    assert [(cue.text, cue.speaker) for cue in cues] == [
        ("It costs twenty", 0), ("Really?", 1), ("dollars today.", 0)
    ]  # fmt: skip
    assert all(a.end <= b.start for a, b in itertools.pairwise(cues))
    assert sentence_groups(cues) == [[0], [1], [2]]
    vtt, srt = (subtitles_text(cues, get_language("en"), fmt) for fmt in ("vtt", "srt"))
    assert "<v S1>It costs twenty" in vtt and "<v S2>Really?" in vtt and "[S2] Really?" in srt
    alone = [cue for cue in cues if cue.speaker == 0]
    assert "S1" not in subtitles_text(alone, get_language("en"), "vtt")  # one speaker: nobody to tell apart
