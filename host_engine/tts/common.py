"""Helpers the speech backends share: sentence splitting, IPA phoneme units and timing estimates.

Neither Piper's joe voice nor the Kokoro ONNX export exposes per-phoneme durations, so timings are
estimated: the voiced span of the chunk is found from its energy envelope, and the phonemes are laid
over that span in proportion to a simple duration prior (vowels longer than consonants, length marks
longer still, clause punctuation as a pause). Good enough for mouth shapes; not for forced alignment.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from functools import cache

import numpy as np
from num2words import num2words

from host_engine.errors import UnsupportedLanguageError
from host_engine.mt.numbers import read_numbers
from host_engine.text import TITLE
from host_engine.tts import WORD_BREAK, PhonemeTiming

# A sentence ends at . ! ? … ؟ followed by a space (closing quotes kept), at CJK full stops, or at a line end.
_SENTENCE = re.compile(
    r"[^\n]*?(?:[.!?…؟]+[\"'”’»)\]]*(?=\s|$)|[。！？!?]+[」』”’）)]*|$)",
    re.MULTILINE,
)
_WORDLIKE = re.compile(r"\w")

_VOWELS = frozenset("aeiouyɑɐɒæɛɜəɘɞɤɪʊʌɔœøɯɨʉɵɶɚɝᵻAIOQWYᵊ")
_PAUSES = {",": 1.5, ";": 2.0, ":": 2.0, ".": 2.5, "!": 2.5, "?": 2.5, "…": 2.5, "—": 1.5}
_IGNORED = frozenset("ˈˌ'\"“”«»()-‿")
_LONG = "ːˑ"

FRONT_END_VERSION = 3
"""Bumped whenever what a voice is given (`prepare_text`) or what its chunks carry (word breaks) changes: audio kept
on disk from before is not reused."""

PAUSE = " "
"""Unit returned by `ipa_units` for a pause (clause punctuation); it takes time but is not a phoneme."""


def split_sentences(text: str) -> list[str]:
    """Sentences of `text`, stripped, dropping pieces with nothing to say (only punctuation or space)."""
    sentences: list[str] = []
    after_title = False
    for match in _SENTENCE.finditer(text):
        piece = match.group().strip()
        if after_title and piece:
            sentences[-1] = f"{sentences[-1]} {piece}"
        elif piece:
            sentences.append(piece)
        after_title = bool(piece) and TITLE.search(sentences[-1]) is not None
    return [sentence for sentence in sentences if _WORDLIKE.search(sentence)]


@cache
def _arabic_diacritizer() -> Callable[..., str] | None:
    try:
        from piper.tashkeel import TashkeelDiacritizer
    except ImportError:
        return None
    return TashkeelDiacritizer()


def _add_arabic_vowels(sentence: str) -> str:
    diacritize = _arabic_diacritizer()
    return diacritize(sentence, taskeen_threshold=0.8) if diacritize else sentence


_THAI_NEXT_TO_LATIN = re.compile(r"(?<=[\u0e00-\u0e7f])(?=[A-Za-z])|(?<=[A-Za-z])(?=[\u0e00-\u0e7f])")
"""espeak-ng's Thai voice reads a Latin word glued to Thai ("คุณviewer8") letter by letter, four times as long."""


def _spaced_thai(sentence: str) -> str:
    return _THAI_NEXT_TO_LATIN.sub(" ", sentence)


_NUMBERS_IN_WORDS = frozenset({"th"})
"""Languages whose espeak-ng voice says digits one by one: their numbers are given to it in words."""


def _said_numbers(sentence: str, lang: str) -> str:
    """Digits as the voice reads them right: written numbers ("690.000" in Indonesian, "1,190,000") become plain
    digits with a decimal point ("690000"), since espeak-ng reads a grouping mark as a decimal one in id, vi and ms
    (a price said a thousand times too small); in `_NUMBERS_IN_WORDS`, words."""
    in_words = lang in _NUMBERS_IN_WORDS
    out, end = [], 0
    for number in read_numbers(sentence, lang):
        written = sentence[number.start : number.end]
        if number.words or (written.isdigit() and not in_words):
            continue
        decimals = 0 if number.value.is_integer() else len(re.split(r"[.,]", written)[-1])
        said = f"{number.value:.{decimals}f}"
        if in_words:
            said = num2words(Decimal(said), lang=lang)
        out += [sentence[end : number.start], said]
        end = number.end
    return "".join([*out, sentence[end:]])


_PREPARE: dict[str, Callable[[str], str]] = {"ar": _add_arabic_vowels, "th": _spaced_thai}


def prepare_text(sentence: str, lang: str) -> str:
    """Text as espeak-ng reads it best.

    Numbers are written out the way the voice reads them right (`_said_numbers`). Arabic is written without most
    short vowels, which espeak-ng then guesses badly; piper-tts's bundled diacritizer (used when piper-tts is
    installed) restores them.
    """
    sentence = _said_numbers(sentence, lang)
    prepare = _PREPARE.get(lang)
    return prepare(sentence) if prepare else sentence


def check_language(lang: str, supported: Iterable[str], engine: str) -> None:
    """Raise a clear error when `engine` cannot speak `lang`."""
    supported = sorted(supported)
    if lang not in supported:
        raise UnsupportedLanguageError(
            f"{engine} cannot speak '{lang}'; it speaks: {', '.join(supported)}; "
            "pick a voice for that language with `--voice` or add a profile under voices/"
        )


def _is_modifier(char: str) -> bool:
    """Combining marks, length, aspiration, palatalisation, tone letters and arrows attach to the phoneme before."""
    return (
        unicodedata.category(char) in ("Mn", "Lm", "Sk") or char in _LONG or char in "→↓↗↘" or char.isdigit()
    ) and char not in "ˈˌ"


def ipa_units(ipa: str) -> list[str]:
    """Split an IPA string into phonemes (a base symbol plus its modifiers), with `PAUSE` for punctuation.

    Stress marks, spaces and quotes are dropped: they take no time of their own.
    """
    units: list[str] = []
    for char in unicodedata.normalize("NFC", ipa):
        if char in _PAUSES:
            if units and units[-1] != PAUSE:
                units.append(PAUSE)
        elif char.isspace() or char in _IGNORED:
            continue
        elif _is_modifier(char) and units and units[-1] != PAUSE:
            units[-1] += char
        elif not _is_modifier(char):
            units.append(char)
    while units and units[-1] == PAUSE:
        units.pop()
    return units


def _weight(unit: str) -> float:
    if unit == PAUSE:
        return _PAUSES[","]
    base = 1.0 if any(char in _VOWELS for char in unit) else 0.6
    return base * (1.6 if any(char in _LONG for char in unit) else 1.0)


def voiced_span(audio: np.ndarray, sample_rate: int, frame_s: float = 0.01) -> tuple[float, float]:
    """Start and end (seconds) of the part of `audio` louder than 3% of its peak frame energy."""
    frame = max(1, int(sample_rate * frame_s))
    count = len(audio) // frame
    if count == 0:
        return 0.0, len(audio) / sample_rate
    rms = np.sqrt(np.mean(np.square(audio[: count * frame].reshape(count, frame), dtype=np.float64), axis=1))
    loud = np.flatnonzero(rms > 0.03 * rms.max()) if rms.max() > 0 else np.arange(count)
    return loud[0] * frame / sample_rate, min((loud[-1] + 1) * frame, len(audio)) / sample_rate


def aligned_timings(symbols: Sequence[tuple[str, int]], sample_rate: int, offset: float = 0.0) -> list[PhonemeTiming]:
    """Timings from a voice's own alignment, (symbol, samples) in order: a modifier lengthens the phoneme before,
    stress marks and punctuation take their time as a gap, and a space is a `WORD_BREAK` between two words."""
    timings: list[PhonemeTiming] = []
    at = 0
    for symbol, samples in symbols:
        start, end = offset + at / sample_rate, offset + (at + samples) / sample_rate
        at += samples
        if samples == 0:
            continue
        if symbol.isspace():
            timings.append(PhonemeTiming(WORD_BREAK, start, end))
        elif symbol in _IGNORED:
            continue
        elif _is_modifier(symbol) and timings and timings[-1].phoneme != WORD_BREAK:
            last = timings[-1]
            timings[-1] = PhonemeTiming(last.phoneme + symbol, last.start, end)
        elif symbol.isalpha():
            timings.append(PhonemeTiming(symbol, start, end))
    return timings


def spread_timings(units: Sequence[str], audio: np.ndarray, sample_rate: int) -> tuple[PhonemeTiming, ...]:
    """Lay `units` (from `ipa_units`) over the voiced span of `audio`, in proportion to their duration prior."""
    if not units:
        return ()
    start, end = voiced_span(audio, sample_rate)
    weights = np.array([_weight(unit) for unit in units])
    edges = start + (end - start) * np.concatenate(([0.0], np.cumsum(weights))) / weights.sum()
    return tuple(
        PhonemeTiming(unit, float(edges[i]), float(edges[i + 1])) for i, unit in enumerate(units) if unit != PAUSE
    )
