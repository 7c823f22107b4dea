"""Benchmark metrics on real sacrebleu and jiwer: normalization, WER/CER per language, BLEU tokenizers, timing."""

from __future__ import annotations

import pytest

from host_engine.bench import metrics
from host_engine.bench.metrics import (
    bleu,
    bleu_tokenizer,
    check_scorer,
    chrf,
    error_rates,
    normalize,
    peak_memory_mb,
    percentiles,
    real_time_factor,
)
from host_engine.errors import HostEngineError
from host_engine.languages import LANGUAGES

SAME_SENTENCE = {
    "zh": "我们今天给大家介绍一款新手机，价格非常实惠。",
    "ja": "今日は新しいスマートフォンをご紹介します。お値段もとてもお得です。",
    "ko": "오늘은 새 스마트폰을 소개해 드릴게요. 가격도 정말 착해요.",
}


def test_full_width_forms_become_ascii() -> None:
    assert normalize("ＡＢＣ　１２３", "en") == "abc 123"


@pytest.mark.parametrize("text", ["1,000 €", "1.000 €", "1'000 €", "1\u202f000 €", "１，０００€"])
def test_thousand_separators_are_dropped(text: str) -> None:
    assert normalize(text, "fr") == "1000"


@pytest.mark.parametrize(("text", "expected"), [("3,5", "3.5"), ("3.5", "3.5"), ("1.234,56", "1234.56")])
def test_decimal_marks_become_a_point(text: str, expected: str) -> None:
    assert normalize(text, "de") == expected


def test_unspaced_scripts_lose_spaces_and_arabic_loses_harakat() -> None:
    assert normalize("你好， 世界！", "zh") == "你好世界"
    assert normalize("مرحبًا ٣٫٥", "ar") == "مرحبا 3.5"


def test_punctuation_and_case_do_not_count_as_errors() -> None:
    rates = error_rates(["Hello, world! Don't you love it?"], ["hello world dont you LOVE it"], "en")
    assert rates == {"wer": 0.0}


def test_one_wrong_character_in_ten_is_cer_0_1() -> None:
    assert error_rates(["今天天气很好我们出去"], ["今天天气很好你们出去"], "zh") == {"cer": 0.1}


def test_korean_gets_both_and_cer_ignores_spacing() -> None:
    assert error_rates(["안녕하세요 여러분"], ["안녕 하세요 여러분"], "ko") == {"wer": 1.0, "cer": 0.0}


def test_thai_with_and_without_spaces_match() -> None:
    assert error_rates(["สวัสดี ครับ ทุกคน"], ["สวัสดีครับทุกคน"], "th") == {"cer": 0.0}


def test_empty_hypothesis_is_a_full_deletion() -> None:
    assert error_rates(["one two three", "four"], ["", "four"], "en") == {"wer": 0.75}
    assert error_rates(["one two three"], ["?!"], "en") == {"wer": 1.0}


def test_empty_references_are_refused() -> None:
    with pytest.raises(ValueError, match="every reference is empty"):
        error_rates(["...", ""], ["a", "b"], "en")


def test_chrf_identical_chinese_is_100_and_chinese_vs_japanese_is_low() -> None:
    assert chrf([SAME_SENTENCE["zh"]], [SAME_SENTENCE["zh"]]) == pytest.approx(100)
    assert chrf([SAME_SENTENCE["ja"]], [SAME_SENTENCE["zh"]]) < 10


@pytest.mark.parametrize("lang", sorted(SAME_SENTENCE))
def test_bleu_of_identical_cjk_is_100(lang: str) -> None:
    sentence = SAME_SENTENCE[lang]
    assert bleu([sentence], [sentence], lang) == pytest.approx(100)


def test_bleu_tokenizers_split_unspaced_scripts() -> None:
    assert bleu_tokenizer("en") == "13a"
    assert bleu_tokenizer("zh") == "zh"
    assert bleu_tokenizer("ja").startswith(("ja-mecab", "char"))  # mecab signatures carry their version
    assert bleu_tokenizer("ko").startswith(("ko-mecab", "char"))
    assert bleu_tokenizer("th") in {"flores200", "char"}


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_check_scorer_passes(lang: str) -> None:
    near_copy = check_scorer(lang)
    assert set(near_copy) == {"BLEU", "chrF"} and all(20 < score < 100 for score in near_copy.values())


def test_check_scorer_catches_a_tokenizer_that_cannot_split_chinese(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(metrics._BUILTIN_TOKENIZERS, "zh", "13a")
    metrics._bleu.cache_clear()
    try:
        with pytest.raises(HostEngineError, match=r"BLEU for zh is broken \(BLEU tokenizer '13a'\): 0\.0"):
            check_scorer("zh")
    finally:
        monkeypatch.undo()
        metrics._bleu.cache_clear()


def test_percentiles_of_1_to_100() -> None:
    assert percentiles(range(1, 101)) == {"p50": 50.5, "p95": pytest.approx(95.05)}
    assert percentiles([3.0], (50, 99.9)) == {"p50": 3.0, "p99.9": 3.0}
    with pytest.raises(ValueError, match="no values"):
        percentiles([])


def test_real_time_factor() -> None:
    assert real_time_factor(5.0, 20.0) == 0.25
    with pytest.raises(ValueError, match="must be positive"):
        real_time_factor(1.0, 0.0)


def test_peak_memory_is_in_mib() -> None:
    assert 10 < peak_memory_mb() < 1_000_000  # a Python process with numpy loaded holds tens of MiB
