"""Real Whisper base on real speech; guards on silence, noise and loops."""

import itertools
from pathlib import Path

import numpy as np
import pytest

from host_engine.asr import Segment, TranscribeOptions, Word
from host_engine.asr.guards import GuardSettings, collapse_repeats, guard_segments, is_silent
from host_engine.device import choose_device
from host_engine.errors import UnsupportedLanguageError
from host_engine.media import decode_audio, write_wav


def test_librivox_words_and_timestamps(engines, librivox):
    audio = decode_audio(librivox / "sense_and_sensibility_01_austen_64kb-0870.wav")
    segments, info = engines.recognizer.transcribe(audio, TranscribeOptions())
    segments = list(segments)
    text = " ".join(s.text for s in segments).lower()
    assert info.language == "en"
    for word in ("dashwood", "leisure", "consider", "prudently", "power"):
        assert word in text
    words = [w for s in segments for w in s.words]
    assert all(a.start <= b.start for a, b in itertools.pairwise(words))
    assert 0.0 <= words[0].start < 1.0 and 5.5 < words[-1].end <= 7.2


def test_silence_and_noise_give_no_text(engines):
    silence = np.zeros(16000 * 5, np.float32)
    assert list(engines.recognizer.transcribe(silence)[0]) == []
    rng = np.random.default_rng(7)
    hum = 0.2 * np.sin(2 * np.pi * 110 * np.arange(16000 * 6) / 16000) + 0.05 * rng.standard_normal(16000 * 6)
    assert list(engines.recognizer.transcribe(hum.astype(np.float32))[0]) == []


def test_unknown_forced_language_is_a_clear_error(engines):
    with pytest.raises(UnsupportedLanguageError, match="does not recognize 'xx'"):
        engines.recognizer.transcribe(np.ones(16000, np.float32) * 0.1, TranscribeOptions(language="xx"))


def test_is_silent_threshold():
    assert is_silent(np.zeros(16000, np.float32))
    assert not is_silent((0.1 * np.sin(np.arange(16000))).astype(np.float32))


def test_collapse_repeats_keeps_one_copy_of_a_loop():
    tokens = ["thank", "you", "thank", "you", "thank", "you", "thank", "you", "for", "watching"]
    assert collapse_repeats(tokens, tokens, 8, 2) == ["thank", "you", "for", "watching"]
    assert collapse_repeats(list("哈哈哈哈哈好"), list("哈哈哈哈哈好"), 8, 2) == ["哈", "好"]
    assert collapse_repeats(["very", "very", "good"], ["very", "very", "good"], 8, 2) == ["very", "very", "good"]


def _segment(text: str, avg_logprob: float = -0.2, no_speech: float = 0.1, ratio: float = 1.2) -> Segment:
    words = tuple(Word(f" {w}", i * 0.3, i * 0.3 + 0.25, 0.9) for i, w in enumerate(text.split()))
    return Segment(0.0, 1.0, text, words, avg_logprob, no_speech, ratio)


def test_guards_drop_unconfident_and_repeated_segments():
    kept = list(
        guard_segments(
            [
                _segment("hello there"),
                _segment("hello there"),
                _segment("low confidence", avg_logprob=-1.5),
                _segment("no speech", no_speech=0.9, avg_logprob=-0.9),
                _segment("a confident reading", no_speech=0.8, avg_logprob=-0.6),
                _segment("la la la la la la la la", ratio=3.0),
                _segment("buy buy buy buy now"),
                _segment("only 1000000 won, brrrrr! rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr"),
                _segment("rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr"),
            ],
            GuardSettings(),
        )
    )
    assert [s.text for s in kept] == ["hello there", "a confident reading", "buy now", "only 1000000 won, brrrrr!"]
    assert [w.text for w in kept[-1].words] == [" only", " 1000000", " won,", " brrrrr!"]


def test_speech_translation_gives_english_from_french(engines):
    from importlib.resources import files

    clip = files("pytest_audioeval") / "samples" / "audio" / "fr" / "bonjour_monde.wav"
    audio = decode_audio(Path(str(clip)))
    segments, _ = engines.recognizer.transcribe(audio, TranscribeOptions(language="fr", task="translate"))
    text = " ".join(s.text for s in segments).lower()
    assert "hello" in text and "world" in text and "bonjour" not in text, text


def test_device_is_chosen_at_run_time():
    assert choose_device("cpu").compute_type == "int8"
    assert choose_device("cuda").compute_type == "float16"
    chosen = choose_device("auto")
    assert (chosen.device, chosen.compute_type) in {("cpu", "int8"), ("cuda", "float16")}


def test_any_sample_rate_is_resampled_on_decode(engines, librivox, tmp_path):
    speech = decode_audio(librivox / "sense_and_sensibility_01_austen_64kb-0930.wav", 8000)
    narrowband = tmp_path / "phone.wav"
    write_wav(narrowband, speech, 8000)
    segments, _ = engines.recognizer.transcribe(decode_audio(narrowband), TranscribeOptions(language="en"))
    assert "amiable" in " ".join(s.text for s in segments).lower()
