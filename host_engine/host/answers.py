"""Answers in the viewer's language, built only from what the studio wrote: the knowledge base, and the rundown's
price, stock and shipping for the viewer's market.

Everything the studio wrote in fewer languages than its markets speak is translated once at start-up through the
MT router and kept in the state folder, so answering a comment is a lookup plus string formatting (no model on the
hot path), and a restart translates nothing twice. A question is matched against the knowledge base's questions
in the comment's own language by character n-gram similarity; otherwise words for price, stock or shipping
(phrases.yaml) pick a fact of the product on air (or of the product the comment names). Every answer is moderated
against the market's rules before it is returned; a polite fallback stands in for anything that fails.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from host_engine.host.chat import Admission
from host_engine.host.moderation import check_line, contains_term, normalize
from host_engine.host.pipeline import Market, Pipeline, Product
from host_engine.text import has_unspaced_script

log = logging.getLogger(__name__)

Translate = Callable[[list[str], str, str], list[str]]
KB_MATCH = 0.45
"""Cosine similarity of character n-grams above which a knowledge-base question counts as asked..."""
KB_OVER_FACTS = 0.7
"""...and above which it wins over a price/stock/shipping word in the same comment ("how much is the waterproof
jacket?" asks a price, though it shares words with "is the jacket waterproof?")."""
PIVOT = "en"
"""A comment that matches nothing in its own language is brought to English (one MT call) and matched again there:
pre-translated questions can be poor where the MT is, the viewer's words are often clearer."""
SOURCE_PREFERENCE = ("en", "es", "pt", "fr", "de")
"""When the studio wrote a text in several languages, translate from the first of these (the best MT routes)."""


@cache
def _phrases() -> dict[str, dict[str, Any]]:
    text = resources.files("host_engine.host").joinpath("phrases.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def phrase(lang: str, key: str) -> Any:
    """The host's wording `key` in `lang` (English where phrases.yaml has no such language)."""
    table = _phrases()
    return table.get(lang, table["en"])[key]


@dataclass(frozen=True)
class Answer:
    text: str
    lang: str
    kind: str
    """'kb:<entry id>', 'price', 'stock', 'shipping' or 'fallback'."""
    product: str | None = None
    ad_label: str | None = None


class Translations:
    """Texts in every language the show needs, translated once and remembered in `path` (JSON)."""

    def __init__(self, translate: Translate, path: Path | None = None) -> None:
        self._translate = translate
        self._path = path
        self._known: dict[str, str] = {}
        if path is not None and path.is_file():
            self._known = json.loads(path.read_text(encoding="utf-8"))

    @staticmethod
    def _key(src: str, tgt: str, text: str) -> str:
        return f"{src}>{tgt}\t{text}"

    def fill(self, written: dict[str, str], langs: Iterable[str]) -> dict[str, str]:
        """`written` (language -> text) completed for every language of `langs`."""
        out = dict(written)
        src = next((code for code in SOURCE_PREFERENCE if code in written), next(iter(written)))
        for lang in langs:
            if lang in out:
                continue
            key = self._key(src, lang, written[src])
            if key not in self._known:
                [self._known[key]] = self._translate([written[src]], src, lang)
            out[lang] = self._known[key]
        return out

    def now(self, text: str, src: str, tgt: str) -> str:
        """One text translated at once, not remembered (a viewer's comment)."""
        return self._translate([text], src, tgt)[0]

    def save(self) -> None:
        if self._path is not None:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            partial = self._path.with_suffix(".partial")
            partial.write_text(json.dumps(self._known, ensure_ascii=False, indent=1), encoding="utf-8")
            partial.replace(self._path)


def _grams(text: str) -> Counter[str]:
    text = re.sub(r"[^\w]+", " ", normalize(text)).strip()
    sizes = (1, 2) if has_unspaced_script(text) else (3,)
    padded = f" {text} "
    return Counter(padded[i : i + n] for n in sizes for i in range(len(padded) - n + 1))


def similarity(a: Counter[str], b: Counter[str]) -> float:
    dot = sum(count * b[gram] for gram, count in a.items())
    norm = math.sqrt(sum(v * v for v in a.values())) * math.sqrt(sum(v * v for v in b.values()))
    return dot / norm if norm else 0.0


@dataclass(frozen=True)
class _Question:
    entry: str
    lang: str
    grams: Counter[str]


class Answerer:
    def __init__(self, pipeline: Pipeline, translations: Translations) -> None:
        self.pipeline = pipeline
        self.translations = translations
        langs = set(pipeline.languages)
        self._names = {p.id: translations.fill(p.name, langs) for p in pipeline.products}
        self._shipping = {
            (p.id, market_id): translations.fill(offer.shipping, self._spoken_in(market_id))
            for p in pipeline.products
            for market_id, offer in p.offers.items()
        }
        self._answers = {e.id: translations.fill(e.answer, langs) for e in pipeline.knowledge_base}
        self._questions: list[_Question] = []
        for entry in pipeline.knowledge_base:
            for index in range(max(len(v) for v in entry.question.values())):
                written = {lang: qs[index] for lang, qs in entry.question.items() if index < len(qs)}
                for lang, text in translations.fill(written, langs).items():
                    self._questions.append(_Question(entry.id, lang, _grams(text)))
        translations.save()

    def _spoken_in(self, market_id: str) -> set[str]:
        """The languages a market's facts are said in: its own, and for the default market every language (it
        takes the viewers no market lists)."""
        if market_id == self.pipeline.default_market:
            return set(self.pipeline.languages)
        return set(self.pipeline.market_by_id(market_id).languages)

    def product_named(self, text: str) -> Product | None:
        normalized = normalize(text)
        for product in self.pipeline.products:
            if any(contains_term(normalized, name) for name in self._names[product.id].values()):
                return product
        return None

    def answer(self, admission: Admission, on_air: Product) -> Answer:
        """The reply to an accepted comment, in its language, naming the viewer."""
        lang, market, name = admission.lang, admission.market, admission.comment.user
        text = admission.comment.text
        product = self.product_named(text) or on_air
        score, entry = self._best_entry(text, lang)
        facts = self._from_facts(text, lang, name, market, product)
        if facts is None and score < KB_MATCH and lang != PIVOT and self.pipeline.knowledge_base:
            score, entry = self._best_entry(self.translations.now(text, lang, PIVOT), PIVOT)
        if score >= KB_OVER_FACTS or (facts is None and score >= KB_MATCH):
            separator = "、" if lang in ("ja", "zh") else ", "
            answer: Answer | None = Answer(f"{name}{separator}{self._answers[entry][lang]}", lang, f"kb:{entry}")
        else:
            answer = facts
        if answer is None:
            answer = Answer(phrase(lang, "fallback").format(name=name), lang, "fallback")
        verdict = check_line(answer.text, market.rules)
        if not verdict.allowed:
            log.warning("answer withheld (%s): %s", verdict.reason, answer.kind)
            answer = Answer(phrase(lang, "fallback").format(name=name), lang, "fallback")
        return answer

    def _best_entry(self, text: str, lang: str) -> tuple[float, str]:
        """The knowledge-base entry whose question (in the comment's language) is nearest, and its similarity."""
        grams = _grams(text)
        scored = ((similarity(grams, q.grams), q.entry) for q in self._questions if q.lang == lang)
        return max(scored, default=(0.0, ""))

    def _from_facts(self, text: str, lang: str, name: str, market: Market, product: Product) -> Answer | None:
        normalized = normalize(text)
        intents: dict[str, list[str]] = phrase(lang, "intents")
        intent = next((i for i, words in intents.items() if any(contains_term(normalized, w) for w in words)), None)
        if intent is None:
            return None
        offer = product.offers[market.id]
        values = {
            "name": name,
            "product": self._names[product.id][lang],
            "price": format_price(offer.price, market.currency),
            "stock": offer.stock,
            "shipping": self._shipping[(product.id, market.id)][lang],
        }
        key = "sold_out" if intent == "stock" and offer.stock == 0 else intent
        return Answer(phrase(lang, key).format(**values), lang, intent, product.id, market.rules.ad_label)


def format_price(price: float, currency: str) -> str:
    """49 USD, 49.90 EUR, 7,500 JPY: no decimals where the price has none."""
    return f"{price:,.0f} {currency}" if float(price).is_integer() else f"{price:,.2f} {currency}"
