"""Speech benchmark on the real engines: recorded English and Spanish, and our own en/es voices read back by ASR."""

from __future__ import annotations

from pathlib import Path

import pytest

from host_engine.bench.results import Measurement
from host_engine.bench.speech import SPEECH_SIZES, audioeval_clips, librivox_clips, measure_speech
from host_engine.errors import BadInputError


@pytest.fixture(scope="module")
def measured(engines, librivox: Path) -> list[Measurement]:
    steps: list[tuple[str, int, int]] = []
    results = measure_speech(engines, "quick", progress=lambda *step: steps.append(step), languages=("en", "es"))
    assert [done for _, done, _ in steps] == [1, 2, 3, 4]  # LibriVox, audioeval es, synthesized en and es
    assert {total for _, _, total in steps} == {4}
    return results


def _one(results: list[Measurement], **match: object) -> Measurement:
    found = [m for m in results if all(getattr(m, key) == value for key, value in match.items())]
    assert len(found) == 1, f"{len(found)} measurements match {match}: {found}"
    return found[0]


def test_librivox_clips_parse_the_transcription_file(librivox: Path) -> None:
    clips = librivox_clips(librivox)
    assert len(clips.clips) == 5
    assert all(path.is_file() for path, _text in clips.clips)
    assert clips.clips[1][1] == "he was not an ill disposed young man"


def test_audioeval_clips_pair_audio_with_text() -> None:
    pytest.importorskip("pytest_audioeval")
    clips = audioeval_clips("ja")
    assert [path.stem for path, _text in clips.clips] == ["konnichiwa_sekai", "pangrama"]  # counting is left out
    assert clips.clips[0][1] == "こんにちは世界。"
    with pytest.raises(BadInputError, match="no clips for 'ko'"):
        audioeval_clips("ko")


def test_unknown_suite_names_the_choices(engines) -> None:
    with pytest.raises(BadInputError, match="quick, full"):
        measure_speech(engines, "huge", languages=("en",))


def test_english_librivox_wer(measured: list[Measurement]) -> None:
    librivox = [m for m in measured if m.detail["dataset"].startswith("LibriVox")]
    wer = _one(librivox, stage="asr", metric="wer")
    assert wer.lang == "en" and not wer.synthetic and wer.samples == 5
    assert wer.value < 0.15
    assert 0 < _one(librivox, stage="asr", metric="rtf").value < 2


def test_synthesized_spanish_gives_asr_and_tts_figures(engines, measured: list[Measurement]) -> None:
    voice = engines.voice_profile("es").name
    asr = _one(measured, stage="asr", metric="wer", lang="es", synthetic=True)
    tts = _one(measured, stage="tts", metric="wer", lang="es", synthetic=True)
    assert asr.value == tts.value < 0.5
    assert tts.detail["voice"] == voice and tts.detail["asr"] == "whisper-base"
    assert tts.samples == SPEECH_SIZES["quick"]
    for metric in ("rtf", "p50_s", "p95_s"):
        assert _one(measured, stage="tts", metric=metric, lang="es").value > 0
    p50 = _one(measured, stage="tts", metric="p50_s", lang="es").value
    assert p50 <= _one(measured, stage="tts", metric="p95_s", lang="es").value


def test_recorded_clips_are_never_marked_synthetic(measured: list[Measurement]) -> None:
    recorded = [m for m in measured if not m.synthetic]
    assert {m.detail["dataset"].split(" ")[0] for m in recorded} == {"LibriVox", "pytest-audioeval"}
    assert {m.lang for m in recorded} == {"en", "es"}
    assert all(m.stage == "asr" for m in recorded)


def test_every_measurement_has_a_language_and_a_sane_value(measured: list[Measurement]) -> None:
    assert measured
    for m in measured:
        assert m.lang in ("en", "es") and m.value >= 0 and m.samples > 0 and m.detail["dataset"], m
