"""Answers in the viewer's language, built only from what the studio wrote: the knowledge base, and the rundown's
price, stock and shipping for the viewer's market.

Everything the studio wrote in fewer languages than its markets speak is translated once at start-up through the
MT router and kept in the state folder, so answering a comment is a lookup plus string formatting (no model on the
hot path), and a restart translates nothing twice. A question is matched against the knowledge base's questions
in the comment's own language (questions.py: words weighted by their rarity); otherwise words for price, stock or
shipping (phrases.yaml) pick a fact of the product on air (or of the product the comment names). Every answer is
moderated against the market's rules before it is returned; a polite fallback stands in for anything that fails.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from host_engine.durable import read_json, write_json
from host_engine.errors import HostEngineError
from host_engine.host.chat import Admission
from host_engine.host.moderation import check_line, contains_term, normalize
from host_engine.host.open_answers import Grounding, Model, grounded_reply, invented_numbers
from host_engine.host.phrases import phrase
from host_engine.host.pipeline import Market, Pipeline, Product
from host_engine.host.questions import QuestionIndex

log = logging.getLogger(__name__)

Translate = Callable[[list[str], str, str], list[str]]
OPEN_ANSWERS_KEPT = 512
"""Open answers remembered, by facts, question and language (the model is greedy: asked again, it says the same)."""
PIVOT = "en"
"""A comment that matches nothing in its own language is brought to English (one MT call) and matched again there:
pre-translated questions can be poor where the MT is, the viewer's words are often clearer."""
INTENTS = ("shipping", "stock", "price")
"""Fact intents, most specific first: "how much is shipping?" asks shipping, though "how much" asks prices too."""
TYPICAL_VIEWER = "{viewer}"
"""The name in `Answerer.typical` answers: whatever holds it is different for every viewer."""
SOURCE_PREFERENCE = ("en", "es", "pt", "fr", "de")
"""When the studio wrote a text in several languages, translate from the first of these (the best MT routes)."""


@dataclass(frozen=True)
class Answer:
    text: str
    lang: str
    kind: str
    """'kb:<entry id>', 'price', 'stock', 'shipping', both ('price+kb:<entry id>'), 'open' or 'fallback'."""
    product: str | None = None
    ad_label: str | None = None


class Translations:
    """Texts in every language the show needs, translated once and remembered in `path` (JSON)."""

    def __init__(self, translate: Translate, path: Path | None = None) -> None:
        self._translate = translate
        self._path = path
        self._known: dict[str, str] = {}
        if path is not None:
            self._known = read_json(path, lambda data: {str(k): str(v) for k, v in data.items()}, {})

    @staticmethod
    def _key(src: str, tgt: str, text: str) -> str:
        return f"{src}>{tgt}\t{text}"

    @staticmethod
    def _source(written: dict[str, str]) -> str:
        return next((code for code in SOURCE_PREFERENCE if code in written), next(iter(written)))

    def fill_all(self, requests: list[tuple[dict[str, str], Collection[str]]]) -> list[dict[str, str]]:
        """Each request's `written` texts (language -> text) completed for every language of its `langs`; what
        is not known yet is translated in one batch per language pair (much faster than one text at a time). A
        text no translation kept faithful (`mt.checked`) is empty in that language: callers say something else."""
        missing: dict[tuple[str, str], dict[str, None]] = {}
        for written, langs in requests:
            src = self._source(written)
            for lang in langs:
                if lang not in written and self._key(src, lang, written[src]) not in self._known:
                    missing.setdefault((src, lang), {})[written[src]] = None
        for (src, tgt), texts in missing.items():
            for text, translated in zip(texts, self._translate(list(texts), src, tgt), strict=True):
                if translated:  # a refused translation is tried again at the next start, never remembered
                    self._known[self._key(src, tgt, text)] = translated
        filled = []
        for written, langs in requests:
            src = self._source(written)
            known = {
                lang: self._known.get(self._key(src, lang, written[src]), "") for lang in langs if lang not in written
            }
            filled.append({**written, **known})
        return filled

    def fill(self, written: dict[str, str], langs: Collection[str]) -> dict[str, str]:
        """`written` (language -> text) completed for every language of `langs`."""
        return self.fill_all([(written, langs)])[0]

    def each(self, written: dict[str, tuple[str, ...]], lang: str) -> list[str]:
        """Numbered texts (talking points), each written in one or more languages, all in `lang`."""
        count = max(len(texts) for texts in written.values())
        numbered = [{code: texts[i] for code, texts in written.items() if i < len(texts)} for i in range(count)]
        return [texts[lang] for texts in self.fill_all([(texts, {lang}) for texts in numbered])]

    def now(self, text: str, src: str, tgt: str) -> str:
        """One text translated at once, not remembered (a viewer's comment)."""
        return self._translate([text], src, tgt)[0]

    def save(self) -> None:
        """Durably (host_engine.durable); a copy, as the event loop may add to it while a thread saves."""
        if self._path is not None:
            try:
                write_json(self._path, dict(self._known), indent=1)
            except OSError as exc:  # a full disk costs a re-translation at the next start, not the show
                log.error("could not save %s: %s", self._path, exc.strerror)


class Answerer:
    def __init__(self, pipeline: Pipeline, translations: Translations, model: Model | None = None) -> None:
        self.pipeline = pipeline
        self.translations = translations
        self.model = model
        self._open_said = lru_cache(maxsize=OPEN_ANSWERS_KEPT)(self._open_sentence)
        langs = set(pipeline.languages)
        english = {PIVOT} if model is not None else set()  # a language model reads the facts in English
        offers = [(p, market_id, offer) for p in pipeline.products for market_id, offer in p.offers.items()]
        questions = [  # (entry, the question as written in one or more languages)
            (entry.id, {lang: qs[index] for lang, qs in entry.question.items() if index < len(qs)})
            for entry in pipeline.knowledge_base
            for index in range(max(len(qs) for qs in entry.question.values()))
        ]
        filled = iter(translations.fill_all([
            *((p.name, langs | english) for p in pipeline.products),
            *((offer.shipping, self._spoken_in(market_id) | english) for _, market_id, offer in offers),
            *((e.answer, langs | english) for e in pipeline.knowledge_base),
            *((written, langs) for _, written in questions),
        ]))  # fmt: skip
        self._names = {p.id: _named(next(filled), p.name) for p in pipeline.products}
        self._shipping = {(product.id, market_id): next(filled) for product, market_id, _ in offers}
        self._answers = {e.id: next(filled) for e in pipeline.knowledge_base}
        plain = _by_language(self._names.values())
        for lang in langs:
            plain.setdefault(lang, []).extend(w for words in phrase(lang, "intents").values() for w in words)
        self._questions = QuestionIndex(plain)
        for entry, _ in questions:
            for lang, text in next(filled).items():
                if text:
                    self._questions.add(entry, lang, text)
        self._grounds = {
            (product.id, market_id): self._english_facts(product, market_id)
            for product, market_id, _ in offers
            if english
        }
        translations.save()

    def _english_facts(self, product: Product, market_id: str) -> str:
        """What a language model may say about `product` in a market, in English (the language small models
        follow best; the answer is translated afterwards)."""
        offer = product.offers[market_id]
        stock = f"Stock: {offer.stock}." if offer.stock else "Sold out."
        return " ".join([
            f"Product: {self._names[product.id][PIVOT]}.", *self.translations.each(product.talking_points, PIVOT),
            f"Price: {format_price(offer.price, self.pipeline.market_by_id(market_id).currency)}.", stock,
            f"Shipping: {self._shipping[(product.id, market_id)][PIVOT]}",
            *(self._answers[e.id][PIVOT] for e in self.pipeline.knowledge_base),
        ])  # fmt: skip

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
        lang, market, name = admission.lang, admission.market, _name(admission)
        text = admission.comment.text
        product = self.product_named(text) or on_air
        match = self._questions.best(text, lang)
        facts = self._from_facts(text, lang, name, market, product)
        english = text if lang == PIVOT else None
        if facts is None and not match.asked and lang != PIVOT and self.pipeline.knowledge_base:
            english = self.translations.now(text, lang, PIVOT)
            match = self._questions.best(english, PIVOT)
        answer: Answer | None = facts
        if facts is None and match.asked:
            answer = self._kb_answer(match.entry, lang, name)
        elif facts is not None and match.asked_beside_facts:  # both: "how much is it, is it waterproof?"
            kb = self._answers[match.entry][lang]
            answer = replace(facts, text=_sentences(lang, facts.text, kb), kind=f"{facts.kind}+kb:{match.entry}")
        if answer is None and self.model is not None:
            answer = self._open(english or self.translations.now(text, lang, PIVOT), lang, name, market, product)
        if answer is None:
            answer = _fallback(lang, name)
        verdict = check_line(answer.text, market.rules)
        if not verdict.allowed:
            log.warning("answer withheld (%s): %s", verdict.reason, answer.kind)
            answer = _fallback(lang, name)
            if not check_line(answer.text, market.rules).allowed:  # a name no gate checked: the viewer unnamed
                answer = _fallback(lang, phrase(lang, "viewer"))
        return answer

    def fallback(self, admission: Admission) -> Answer:
        """The polite reply that promises to come back to the question, naming the viewer."""
        return _fallback(admission.lang, _name(admission))

    def typical(self) -> list[Answer]:
        """Every answer the studio's facts and knowledge base can give, in every language, to `TYPICAL_VIEWER`."""
        answers = []
        for lang in self.pipeline.languages:
            market = self.pipeline.market(lang)
            answers += [self._kb_answer(entry.id, lang, TYPICAL_VIEWER) for entry in self.pipeline.knowledge_base]
            for product in self.pipeline.products:
                for intent in INTENTS:
                    answers.append(self._fact(intent, lang, TYPICAL_VIEWER, market, product))
            answers.append(_fallback(lang, TYPICAL_VIEWER))
        return answers

    def _kb_answer(self, entry: str, lang: str, name: str) -> Answer:
        said = self._answers[entry][lang]
        return Answer(_greeted(name, lang, said), lang, f"kb:{entry}") if said else _fallback(lang, name)

    def _open(self, question: str, lang: str, name: str, market: Market, product: Product) -> Answer | None:
        """The language model's grounded sentence, in the viewer's language; None when it fails its checks."""
        grounding = Grounding(self._grounds[(product.id, market.id)], question)
        try:
            said = self._open_said(grounding, lang)
        except HostEngineError as exc:  # not remembered: the server may answer the next time
            log.warning("%s", exc)
            return None
        return (
            None
            if said is None
            else Answer(_greeted(name, lang, said), lang, "open", product.id, market.rules.ad_label)
        )

    def _open_sentence(self, grounding: Grounding, lang: str) -> str | None:
        """What the model says to `grounding` in `lang` once checked, or None (remembered in `_open_said`: the
        same question about the same product comes back all night, and the model answers it the same way)."""
        assert self.model is not None
        sentence = grounded_reply(self.model, grounding, self.pipeline.language_model.strict)
        if sentence is None:
            return None
        said = sentence if lang == PIVOT else self.translations.now(sentence, PIVOT, lang)
        return None if not said or invented_numbers(said, grounding.facts, lang) else said

    def _from_facts(self, text: str, lang: str, name: str, market: Market, product: Product) -> Answer | None:
        normalized = normalize(text)
        intents: dict[str, list[str]] = phrase(lang, "intents")
        intent = next((i for i in INTENTS if any(contains_term(normalized, w) for w in intents[i])), None)
        return None if intent is None else self._fact(intent, lang, name, market, product)

    def _fact(self, intent: str, lang: str, name: str, market: Market, product: Product) -> Answer:
        offer = product.offers[market.id]
        values = {
            "name": name,
            "product": self._names[product.id][lang],
            "price": format_price(offer.price, market.currency),
            "stock": offer.stock,
            "shipping": self._shipping[(product.id, market.id)][lang],
        }
        key = "sold_out" if intent == "stock" and offer.stock == 0 else intent
        if intent == "shipping" and not values["shipping"]:  # no faithful translation of the shipping terms
            return _fallback(lang, name)
        return Answer(phrase(lang, key).format(**values), lang, intent, product.id, market.rules.ad_label)


def _named(translated: dict[str, str], written: dict[str, str]) -> dict[str, str]:
    """A product's name in every language, as written (in the studio's first language) where no translation kept
    it faithful: a brand name said as written beats none."""
    first = next(iter(written.values()))
    return {lang: name or first for lang, name in translated.items()}


def _by_language(names: Iterable[dict[str, str]]) -> dict[str, list[str]]:
    """Per language, every product's name in it."""
    table: dict[str, list[str]] = {}
    for written in names:
        for lang, name in written.items():
            table.setdefault(lang, []).append(name)
    return table


def _sentences(lang: str, *texts: str) -> str:
    return ("" if lang in ("ja", "zh") else " ").join(texts)


def _name(admission: Admission) -> str:
    """The viewer's name as the gate made it sayable, or the word for a viewer where no gate did."""
    return admission.name or phrase(admission.lang, "viewer")


def _fallback(lang: str, name: str) -> Answer:
    return Answer(phrase(lang, "fallback").format(name=name), lang, "fallback")


def _greeted(name: str, lang: str, text: str) -> str:
    return f"{name}{'、' if lang in ('ja', 'zh') else ', '}{text}"


def format_price(price: float, currency: str) -> str:
    """49 USD, 49.90 EUR, 7,500 JPY: no decimals where the price has none."""
    return f"{price:,.0f} {currency}" if float(price).is_integer() else f"{price:,.2f} {currency}"
