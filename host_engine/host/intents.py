"""What a viewer's comment asks of the product's facts, without a model: each part of a compound comment ("how much
is it and does it ship to Texas?") read on its own, so every part gets its answer.

A comment is cut into parts at punctuation and at the words that join two questions (phrases.yaml `joins`; Thai
also at spaces, which it writes between clauses). In each part, the words for price, stock and shipping
(phrases.yaml `intents`) and the words for a colour, size or material (attributes.yaml: the attribute's own word,
"colour", or a value, "black") say what is asked. "How much" asks a price only where nothing else is asked with it
("how much is shipping?"). A named value outranks the stock words: "is the blue one still available?" asks about
the colour, not how many are left. A part that holds a knowledge-base entry's words (its topic's or its own: "send
it back") asks that entry, and of the facts only a price asked outright ("多少钱质量有问题能保修吗"): its words may
name others ("how many days", "send", "arrives"). A comment asks a question when it asks any of these, holds a
question mark, or holds a word that asks (phrases.yaml `asking`, `opening` as a part's first word: "is it warm",
or `closing` at its end: "可以退钱不"); one that does not ("love this jacket!!") is a statement, and so is one
that says the viewer has ordered without such a mark ("ポチりました！届くの楽しみ", phrases.yaml `bought`) unless it
names an entry ("ordered one, he hates it, can I get a refund").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from host_engine.host import vocabulary
from host_engine.host.moderation import contains_term, contains_words, normalize
from host_engine.host.phrases import phrase
from host_engine.host.vocabulary import ATTRIBUTES, Attribute
from host_engine.languages import get_language

FACTS = ("price", "stock", "shipping")
QUESTION_MARKS = "?？؟"
_PUNCTUATION = re.compile(r"[.,;:!?¿¡。，、；：！？؟،\n]+")
_SIZE_LETTERS = re.compile(r"(?<![A-Za-z0-9'’])(?:2XL|XXL|XXS|XS|XL|S|M|L)(?![A-Za-z0-9'’])", re.IGNORECASE)
"""Letter sizes, read as written rather than folded (folding makes "XXL" read "XL")."""
_SIZE_ALIASES = {"2XL": "XXL"}
_TRAILING = re.compile(r"[\W_]+$")


@dataclass(frozen=True)
class Ask:
    """One thing a comment asks: a fact (`price`, `stock`, `shipping`) or an attribute, with the value named."""

    intent: str
    value: str | None = None
    """The attribute value asked about ("black"), by its canonical key; None asks which ones there are."""
    loose: bool = False
    """Asked only by a word that often serves another question: "how much" (a price, or how long a warranty
    lasts), an attribute's own word ("if the size doesn't fit, can I return it?")."""


@dataclass(frozen=True)
class Part:
    text: str
    asks: tuple[Ask, ...]
    entries: tuple[str, ...] = ()
    """The knowledge-base entries whose words it holds (then it asks no fact)."""


@dataclass(frozen=True)
class Reading:
    parts: tuple[Part, ...]
    question: bool
    """Whether the comment asks anything (a question mark, a word that asks, or an `Ask`)."""

    @property
    def asks(self) -> tuple[Ask, ...]:
        """Every part's asks, each once, in the order asked."""
        return tuple(dict.fromkeys(ask for part in self.parts for ask in part.asks))

    @property
    def entries(self) -> tuple[str, ...]:
        """The knowledge-base entries named by their words, each once, in the order asked (none in a statement)."""
        return tuple(dict.fromkeys(entry for part in self.parts for entry in part.entries)) if self.question else ()

    def beside(self, entry_asked: bool) -> tuple[Ask, ...]:
        """The asks to answer beside a knowledge-base entry the comment also asks in the same breath (one part):
        there a loose ask serves the entry's question ("¿cuánto dura la garantía?") and is not answered."""
        if not entry_asked or len(self.parts) > 1:
            return self.asks
        return tuple(ask for ask in self.asks if not ask.loose)


def read(text: str, lang: str, entries: Callable[[str], tuple[str, ...]] = lambda part: ()) -> Reading:
    """What `text`, written in `lang`, asks, part by part; `entries`: the knowledge-base entries a part names by
    their words."""
    pieces, normalized = _parts(text, lang), normalize(text)
    opening = phrase(lang, "opening")
    asking = any(mark in text for mark in QUESTION_MARKS)
    asking = asking or any(contains_words(normalized, word) for word in phrase(lang, "asking"))
    asking = asking or any(_opens_with(normalize(piece), opening) for piece in pieces)
    asking = asking or _closes_with(normalized, phrase(lang, "closing"))
    if not asking and _holds_any(normalized, phrase(lang, "bought")):  # "just ordered, can't wait for delivery"
        parts = tuple(Part(piece, (), entries(piece)) for piece in pieces)
        return Reading(parts, any(part.entries for part in parts))
    asked = [(piece, tuple(_asks(piece, lang, asking)), entries(piece)) for piece in pieces]
    parts = tuple(Part(piece, _beside_entries(asks) if named else asks, named) for piece, asks, named in asked)
    return Reading(parts, asking or any(asks for _, asks, _ in asked))


def _opens_with(normalized: str, words: list[str]) -> bool:
    """Whether `normalized` begins with one of `words` (one word, or several: "se puede")."""
    text = normalized.strip()
    return any(re.match(rf"{re.escape(word)}(?:['’]s)?(?=\s|$)", text) for word in words)


def _beside_entries(asks: tuple[Ask, ...]) -> tuple[Ask, ...]:
    return tuple(ask for ask in asks if ask.intent == "price" and not ask.loose)


def _closes_with(normalized: str, endings: list[str]) -> bool:
    """Whether `normalized` ends with one of `endings`, punctuation and emoji aside ("可以退钱不", "않나요")."""
    text = _TRAILING.sub("", normalized)
    return any(text.endswith(ending) for ending in endings)


def _parts(text: str, lang: str) -> list[str]:
    parts = [p for p in _PUNCTUATION.split(text) if p.strip()]
    if lang == "th":  # Thai writes a space between clauses, not between words
        parts = [piece for part in parts for piece in part.split()]
    joins = _joins(lang)
    return [piece for part in parts for piece in joins.split(part) if piece.strip()] if joins else parts


@cache
def _joins(lang: str) -> re.Pattern[str] | None:
    words = phrase(lang, "joins")
    if not words:
        return None
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    spaced = get_language(lang).spaced and lang != "th"
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)" if spaced else f"(?:{alternatives})", re.IGNORECASE)


def _asks(part: str, lang: str, asking: bool) -> list[Ask]:
    normalized = normalize(part)
    intents: dict[str, list[str]] = phrase(lang, "intents")
    facts = [Ask(intent) for intent in FACTS if _holds_any(normalized, intents[intent])]
    if Ask("shipping") in facts:  # "what's the price of delivery?" asks the shipping terms
        facts = [ask for ask in facts if ask.intent != "price"]
    elif not facts and _holds_any(normalized, intents["cost"]):  # "how much is shipping?" asks shipping only
        facts = [Ask("price", loose=True)]
    attributes = [
        ask
        for attribute in ATTRIBUTES
        for ask in _attribute_asks(part, normalized, lang, attribute, asking or bool(facts))
    ]
    if attributes:  # "is the blue one still available?": a colour question, not the stock
        facts = [ask for ask in facts if ask.intent != "stock"]
    return [*facts, *attributes]


def _attribute_asks(part: str, normalized: str, lang: str, attribute: Attribute, asking: bool) -> list[Ask]:
    """The values of `attribute` named in `part` (the longest word wins: "navy blue" is navy, not blue), or a bare
    question about it ("what colours?"), when the comment asks something or the part asks a fact ("blue one in
    stock"): "this colour is so pretty" and "I just ordered the yellow one!" ask nothing."""
    found = {}
    for key, words in vocabulary.values(lang, attribute).items():
        said = [w for w in words if not _SIZE_LETTERS.fullmatch(w) and contains_term(normalized, w)]
        if said:
            found[key] = normalize(max(said, key=len))
    named = [key for key, word in found.items() if not any(word in other and word != other for other in found.values())]
    if attribute == "size":
        named += [key for key in _letter_sizes(part) if key not in named]
    if named and asking:  # "I just ordered the yellow one!" asks nothing
        return [Ask(attribute, key) for key in named]
    if asking and _holds_any(normalized, vocabulary.asks(lang, attribute)):
        return [Ask(attribute, loose=True)]
    return []


def _letter_sizes(part: str) -> list[str]:
    """Letter sizes as written, beside any script ("蓝色L码"): one letter only in capitals ("M" is a size, the
    "m" of "I'm" is not), longer ones in any case ("xl")."""
    sizes = []
    for match in _SIZE_LETTERS.finditer(part):
        letters = match.group(0)
        if len(letters) > 1 or letters.isupper():
            key = _SIZE_ALIASES.get(letters.upper(), letters.upper())
            if key not in sizes:
                sizes.append(key)
    return sizes


def _holds_any(normalized: str, terms: list[str]) -> bool:
    return any(contains_term(normalized, term) for term in terms)
