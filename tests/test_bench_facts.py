"""The fact set and its scorer: every reference states its labelled facts, the translation checks pass the
references of every direction, and a real route is measured (numbers kept, refusals counted)."""

from __future__ import annotations

from host_engine.bench.facts import METRICS, load_fact_set, measure_facts, wrong_facts
from host_engine.bench.placeholders import protect_numbers
from host_engine.languages import LANGUAGES
from host_engine.mt.facts import problems
from host_engine.mt.glossary import Glossary

ITEMS = load_fact_set(split="test") + load_fact_set(split="dev")


def test_every_reference_states_exactly_its_labelled_facts() -> None:
    wrong = {
        (item.id, lang): w for item in ITEMS for lang in LANGUAGES if (w := wrong_facts(item, item.text[lang], lang))
    }
    assert wrong == {}


def test_the_checks_let_faithful_translations_through_in_every_direction() -> None:
    refused = [
        (item.id, src, tgt, found)
        for item in ITEMS
        for src in LANGUAGES
        for tgt in LANGUAGES
        if src != tgt and (found := problems(item.text[src], item.text[tgt], src, tgt))
    ]
    pairs = len(ITEMS) * len(LANGUAGES) * (len(LANGUAGES) - 1)
    assert len(refused) <= pairs // 200, refused[:10]  # at most 0.5 % of 11,232 faithful translations refused


def test_a_real_route_is_measured_with_no_number_changed(engines) -> None:
    measured = measure_facts(engines, "quick", pairs=[("es", "pt")])
    assert [m.metric for m in measured] == list(METRICS)
    by_metric = {m.metric: m for m in measured}
    assert by_metric["number_errors"].value == 0 and by_metric["number_errors"].samples == 8
    assert all(0 <= m.value <= 100 and m.pair == "es-pt" for m in measured)
    assert by_metric["fact_errors"].value + by_metric["refused"].value <= 100


def test_placeholders_replace_each_stated_number_and_restore_it_in_digits() -> None:
    text, terms = protect_numbers("Ships in thirty days, 49.99 dollars, code LIVE10.", "en", "de")
    assert text == "Ships in ZQX1 days, ZQX2 dollars, code LIVE10."
    assert [term.text for term in terms] == ["30", "49,99"]
    assert Glossary.restore("Versand in ZQX1 Tagen, ZQX2 Dollar.", terms, "de") == "Versand in 30 Tagen, 49,99 Dollar."
    assert Glossary.restore("Versand in Tagen.", terms, "de") is None
