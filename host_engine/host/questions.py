"""Which knowledge-base question a comment asks, without a model, in each of the 13 languages.

A word says more the rarer it is: "can", "is" and "it" are in every question, "refund" or "waterproof" pick one.
So each word weighs its information, `RARE_ZIPF` less its Zipf frequency in the language (a word the list lacks
counts as rare); the words of the products' names and of price, stock and shipping questions weigh as little as
the commonest ones (a name says which product, not what is asked; the facts answer prices); and a comment and a
question are compared by the cosine of their weighted `STEM`-letter stems, so "returns" meets "return". Words and
frequencies come from wordfreq (jieba segments Chinese, MeCab Japanese and Korean, which also splits Korean
particles off their nouns) and, for Thai, which wordfreq lacks, from PyThaiNLP (its segmenter and the Thai
National Corpus counts).

Character n-grams, used before, matched "Can I ride my bike in it?" to "Can I return it?" (0.52) and "Is there a
discount?" to "Is there a warranty?"; see `python -m host_engine.bench.kb_match` for both on labelled questions.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache

from wordfreq import tokenize, word_frequency

from host_engine.host.moderation import normalize
from host_engine.languages import get_language

STEM = 5
RARE_ZIPF = 8.0
"""Zipf frequency (log10 of occurrences per billion words) of a word seen about once in ten: nothing is rarer."""
COMMONEST_WEIGHT = 0.5
"""The least a word weighs: the commonest words, and the plain ones (names, price words)."""
ASKED = 0.4
"""Similarity at which a question counts as asked, if the two share a word of at least `TELLING` weight (a
comment of only plain words, "can I get it?", asks nothing of "can I return it?")."""
BESIDE_FACTS = 0.6
"""The share of an asked question's weight a comment must hold for its answer to be said beside a price, stock or
shipping answer: "这件雨衣多少钱？" holds only "这件" (this) of "这件外套防水吗？" (0.21), "¿cuánto dura la garantía?"
0.86 of "¿cuánto tiempo dura la garantía?"."""
TELLING = 2.0
"""Weight of a word of Zipf frequency 6.0, one word in a thousand ("get" is 6.3, "return" 5.2, Thai "คืน" 5.6)."""

Vector = dict[str, float]


@dataclass(frozen=True)
class Match:
    score: float
    entry: str
    telling: bool
    """Whether comment and question share a word of `TELLING` weight."""
    coverage: float
    """How much of the question's weight the comment holds (1: all its words)."""

    @property
    def asked(self) -> bool:
        return self.telling and self.score >= ASKED

    @property
    def asked_beside_facts(self) -> bool:
        return self.asked and self.coverage >= BESIDE_FACTS


@dataclass(frozen=True)
class _Question:
    entry: str
    lang: str
    vector: Vector
    weight: float
    """Its vector's squared norm, taken once."""


@dataclass(frozen=True)
class _Lexicon:
    words: Callable[[str], list[str]]
    frequency: Callable[[str], float]
    """A word's share of all words (0 when unknown)."""
    stem: int | None
    """Letters a word is compared by: `STEM` where words inflect at their end, whole words in unspaced scripts."""


class QuestionIndex:
    """The knowledge base's questions, each in the languages it was written or translated into."""

    def __init__(self, plain: dict[str, Iterable[str]]) -> None:
        """`plain`: per language, texts whose words tell no entry apart, so weigh the least: the products' names
        (every question names one), the words that ask a price, stock or shipping (the facts answer those) and the
        words that make a question ("ไหม", "吗")."""
        self._plain = {lang: {w for t in texts for w in _lexicon(lang).words(t)} for lang, texts in plain.items()}
        self._questions: list[_Question] = []

    def add(self, entry: str, lang: str, question: str) -> None:
        vector = self._vector(question, lang)
        self._questions.append(_Question(entry, lang, vector, sum(v * v for v in vector.values())))

    def best(self, text: str, lang: str) -> Match:
        """The entry whose question in `lang` is asked by `text`, or else is nearest to it."""
        vector = self._vector(text, lang)
        weight = sum(v * v for v in vector.values())
        matches = (_match(vector, weight, q) for q in self._questions if q.lang == lang)
        return max(matches, key=lambda m: (m.asked, m.score), default=Match(0.0, "", False, 0.0))

    def _vector(self, text: str, lang: str) -> Vector:
        lexicon, plain = _lexicon(lang), self._plain.get(lang, set())
        vector: Vector = {}
        for word in lexicon.words(text):
            weight = COMMONEST_WEIGHT if word in plain else _weight(lexicon.frequency(word))
            stem = word[: lexicon.stem]
            vector[stem] = max(vector.get(stem, 0.0), weight)
        return vector


@cache
def _lexicon(lang: str) -> _Lexicon:
    language = get_language(lang)
    code = language.code
    if code == "th":
        from pythainlp.corpus import tnc
        from pythainlp.tokenize import word_tokenize

        counts = dict(tnc.word_freqs())
        total = sum(counts.values())
        return _Lexicon(
            lambda text: [w for w in word_tokenize(normalize(text), keep_whitespace=False) if any(map(str.isalnum, w))],
            lambda word: counts.get(word, 0) / total,
            None,
        )
    if code == "zh":
        import jieba  # wordfreq's segmenter for Chinese, which logs building its dictionary

        jieba.setLogLevel(logging.WARNING)
    stem = STEM if language.spaced else None
    return _Lexicon(
        lambda text: tokenize(normalize(text), code), lambda word: word_frequency(word, code, wordlist="small"), stem
    )


def _weight(frequency: float) -> float:
    zipf = math.log10(frequency * 1e9) if frequency else 0.0
    return max(COMMONEST_WEIGHT, RARE_ZIPF - zipf)


def _match(a: Vector, a_weight: float, question: _Question) -> Match:
    """Cosine similarity of `a` (squared norm `a_weight`) and the question's vector, and its coverage."""
    b, b_weight = question.vector, question.weight
    dot = sum(weight * b.get(key, 0.0) for key, weight in a.items())
    norm = math.sqrt(a_weight * b_weight)
    telling = any(weight >= TELLING and b.get(key, 0.0) >= TELLING for key, weight in a.items())
    return Match(dot / norm if norm else 0.0, question.entry, telling, dot / b_weight if b_weight else 0.0)
