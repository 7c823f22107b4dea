"""The MT benchmark: alignment and scoring on a stub translator, then the real en<->pt engines end to end."""

from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace

import pytest

from host_engine.bench.mt import DEFAULT_PAIRS, LATENCY_PROBES, PIVOT_PAIRS, SPLIT, TEXT_SET, measure_mt
from host_engine.bench.results import SUITE_SIZES
from host_engine.errors import BadInputError, UnsupportedLanguageError
from host_engine.languages import LANGUAGES
from host_engine.mt import Pair
from host_engine.mt.checked import CheckedTranslator
from host_engine.mt.router import Router, load_parallel_set

TEXTS = load_parallel_set(TEXT_SET, split=SPLIT)


class _Oracle:
    """Translates a test sentence into its reference, or its reference with `damage` applied."""

    name = "oracle"

    def __init__(self, pairs: set[Pair], damage: bool = False) -> None:
        self._pairs = frozenset(pairs)
        self._damage = damage
        self.calls: list[tuple[int, str, str]] = []

    def pairs(self) -> frozenset[Pair]:
        return self._pairs

    def translate(self, texts: Sequence[str], src: str, tgt: str) -> list[str]:
        self.calls.append((len(texts), src, tgt))
        out = [TEXTS[tgt][TEXTS[src].index(text)] for text in texts]
        return [text[: len(text) // 2] for text in out] if self._damage else out


def _stub_engines(translator: _Oracle) -> SimpleNamespace:
    router = Router([translator])
    return SimpleNamespace(router=router, translator=CheckedTranslator(router))


def test_default_pairs_cover_every_language_both_ways_and_the_offline_pivots() -> None:
    others = [lang for lang in LANGUAGES if lang != "en"]
    assert len(others) == 12
    assert set(DEFAULT_PAIRS) == {(x, "en") for x in others} | {("en", x) for x in others} | set(PIVOT_PAIRS)
    assert len(DEFAULT_PAIRS) == 30 == len(set(DEFAULT_PAIRS))


@pytest.mark.parametrize("suite", ["quick", "full"])
def test_the_first_test_sentences_are_translated_in_one_batch_and_scored_against_their_references(suite: str) -> None:
    oracle = _Oracle({("en", "ja"), ("th", "en")})
    progress: list[tuple[str, int, int]] = []
    results = measure_mt(
        _stub_engines(oracle),  # type: ignore[arg-type]
        suite,
        pairs=[("en", "ja"), ("th", "en")],
        progress=lambda *args: progress.append(args),
    )
    size = SUITE_SIZES[suite]
    probes = [(1, "en", "ja")] * LATENCY_PROBES
    assert oracle.calls == [(size, "en", "ja"), *probes, (size, "th", "en"), *[(1, "th", "en")] * LATENCY_PROBES]
    assert [(m.pair, m.metric) for m in results] == [
        (pair, metric) for pair in ("en-ja", "th-en") for metric in ("chrf", "bleu", "p50_s", "p95_s")
    ]
    scores = [m for m in results if m.metric in ("chrf", "bleu")]
    assert all(m.stage == "mt" and m.samples == size and m.value == pytest.approx(100) for m in scores)
    latencies = [m for m in results if m.metric.endswith("_s")]
    assert all(m.samples == LATENCY_PROBES and 0 <= m.value < 1 for m in latencies)
    assert results[0].detail["route"] == "en -[oracle]-> ja (chrF 40.0, estimated)"
    assert progress == [("mt", 1, 2), ("mt", 2, 2)]


def test_half_a_translation_scores_well_above_0_and_below_100_in_every_script() -> None:
    pairs = [("en", "zh"), ("en", "th"), ("en", "de")]
    results = measure_mt(_stub_engines(_Oracle(set(pairs), damage=True)), pairs=pairs)  # type: ignore[arg-type]
    assert all(0 < m.value < 70 for m in results), [(m.pair, m.metric, m.value) for m in results]


def test_a_pair_no_translator_covers_fails_before_anything_is_translated() -> None:
    oracle = _Oracle({("en", "pt")})
    with pytest.raises(UnsupportedLanguageError, match="no installed translator covers pt->en"):
        measure_mt(_stub_engines(oracle), pairs=[("en", "pt"), ("pt", "en")])  # type: ignore[arg-type]
    assert oracle.calls == []


@pytest.mark.parametrize(
    ("suite", "pairs", "error"),
    [
        ("quick", [("en", "xx")], UnsupportedLanguageError),
        ("quick", [("pt", "pt")], BadInputError),
        ("quick", [], BadInputError),
        ("nightly", None, BadInputError),
    ],
)
def test_bad_arguments_name_the_problem(suite: str, pairs: list[Pair] | None, error: type[Exception]) -> None:
    oracle = _Oracle({("en", "pt")})
    with pytest.raises(error):
        measure_mt(_stub_engines(oracle), suite, pairs=pairs)  # type: ignore[arg-type]
    assert oracle.calls == []


def test_real_engines_translate_en_pt_both_ways(engines) -> None:
    results = measure_mt(engines, "quick", pairs=[("en", "pt"), ("pt", "en")])
    assert [(m.pair, m.metric) for m in results] == [
        (pair, metric) for pair in ("en-pt", "pt-en") for metric in ("chrf", "bleu", "p50_s", "p95_s")
    ]
    for m in results:
        assert m.stage == "mt" and m.lang is None
        assert 0 <= m.value <= 100
        assert m.detail["route"] == str(engines.router.route(*m.pair.split("-")))
        assert float(m.detail["seconds"]) >= 0
    p50 = {m.pair: m.value for m in results if m.metric == "p50_s"}
    assert 0 < p50["en-pt"] < 2 and 0 < p50["pt-en"] < 2
    chrf = {m.pair: m.value for m in results if m.metric == "chrf"}
    assert chrf["en-pt"] > 40 and chrf["pt-en"] > 40
