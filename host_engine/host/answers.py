"""Answers in the viewer's language, built only from what the studio wrote: the knowledge base, and the rundown's
price, stock, shipping and attributes (colours, sizes, materials) for the viewer's market.

Everything the studio wrote in fewer languages than its markets speak is translated once at start-up through the
MT router and kept in the state folder, so answering a comment is a lookup plus string formatting (no model on the
hot path), and a restart translates nothing twice. What a comment asks is read part by part (intents.py: "how much
is it and does it ship?" gets both); a question is also matched against the knowledge base's questions in the
comment's own language (questions.py: words weighted by their rarity). Facts are those of the product on air, or of
the product the comment names. A question nothing the studio wrote answers goes to the language model, if any, and
otherwise gets an honest "I don't have that information"; a comment that asks nothing gets thanks. Every answer is
moderated against the market's rules before it is returned.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, replace
from functools import lru_cache, partial
from pathlib import Path

from babel.numbers import format_decimal, get_currency_name

from host_engine.durable import read_json, write_json
from host_engine.errors import HostEngineError
from host_engine.host import vocabulary
from host_engine.host.chat import Admission
from host_engine.host.folding import base_letter
from host_engine.host.intents import FACTS, Ask, Reading, read
from host_engine.host.moderation import check_line, contains_term, normalize
from host_engine.host.open_answers import Grounding, Model, grounded_reply, invented_numbers
from host_engine.host.phrases import phrase
from host_engine.host.pipeline import Market, Pipeline, Product
from host_engine.host.questions import Match, QuestionIndex
from host_engine.mt.facts import problems

log = logging.getLogger(__name__)

Translate = Callable[[list[str], str, str], list[str]]
OPEN_ANSWERS_KEPT = 512
"""Open answers remembered, by facts, question and language (the model is greedy: asked again, it says the same)."""
PIVOT = "en"
"""A comment that matches nothing in its own language is brought to English (one MT call) and matched again there:
pre-translated questions can be poor where the MT is, the viewer's words are often clearer."""
TYPICAL_VIEWER = "{viewer}"
"""The name in `Answerer.typical` answers: whatever holds it is different for every viewer."""
KB_KIND = "kb:"
"""How the kind of an answer's part from the knowledge base begins (then the entry's id)."""
CLOSE = 0.7
"""Similarity to one of an entry's questions that asks it even without its words: said nearly as written. Below it,
an entry with words in the language is asked only by them ("can I wash it in cold water?" is 0.42 from "is the
jacket waterproof?": water- and waterproof share their stem)."""
SOURCE_PREFERENCE = ("en", "es", "pt", "fr", "de")
_MODELS_KEY = "\tmodels"
"""Where the translation memory says which MT models made it (no translation's key starts with a tab)."""
"""When the studio wrote a text in several languages, translate from the first of these (the best MT routes)."""


@dataclass(frozen=True)
class Answer:
    text: str
    lang: str
    kind: str
    """What it says, part by part joined by '+': 'price', 'stock', 'shipping', 'color', 'size', 'material',
    'kb:<entry id>', 'open' (the language model), 'unknown' (nothing the studio wrote answers it), 'thanks' (the
    comment asked nothing) or 'fallback' (no answer could be built or said)."""
    product: str | None = None
    ad_label: str | None = None

    @property
    def acknowledged(self) -> bool:
        """Whether an acknowledgement ("Good question!") may open it: not before thanks for a comment that asked
        nothing, nor before the fallback."""
        return self.kind not in ("thanks", "fallback")


class Translations:
    """Texts in every language the show needs, translated once and remembered in `path` (JSON), refusals too (an
    empty text): a start does not try again what the same MT `models` could not translate faithfully (each refusal
    costs up to three routes on the language model, beside the show's first answers)."""

    def __init__(self, translate: Translate, path: Path | None = None, models: str = "") -> None:
        self._translate = translate
        self._path = path
        self._models = models
        self._known: dict[str, str] = {}
        if path is not None:
            known = read_json(path, lambda data: {str(k): str(v) for k, v in data.items()}, {})
            same_models = known.pop(_MODELS_KEY, "") == models
            self._known = {
                key: text for key, text in known.items() if (same_models if not text else _still_faithful(key, text))
            }

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
                self._known[self._key(src, tgt, text)] = translated  # "" (refused) until the models change
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
        return self.now_all([text], src, tgt)[0]

    def now_all(self, texts: list[str], src: str, tgt: str) -> list[str]:
        """Texts translated at once in one batch, not remembered (the parts of a viewer's comment)."""
        return self._translate(texts, src, tgt) if texts else []

    def save(self) -> None:
        """Durably (host_engine.durable); a copy, as the event loop may add to it while a thread saves."""
        if self._path is not None:
            try:
                write_json(self._path, {_MODELS_KEY: self._models, **self._known}, indent=1)
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
            plain[lang].extend(phrase(lang, "asking"))  # "ไหม", "吗": every question holds one
        self._questions = QuestionIndex(plain)
        for entry, _ in questions:
            for lang, text in next(filled).items():
                if text:
                    self._questions.add(entry, lang, text)
        self._entry_words = {
            lang: {entry.id: words for entry in pipeline.knowledge_base if (words := entry.words_in(lang))}
            for lang in langs | {PIVOT}
        }
        every_name = {_bare(normalize(name)) for names in self._names.values() for name in names.values()} - {""}
        self._all_names = sorted(every_name, key=len, reverse=True)
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
        """The languages a market's facts are said in: those of the viewers it takes (the default market takes its
        own; a comment's language is always one a market lists)."""
        return {lang for lang in self.pipeline.languages if self.pipeline.market(lang).id == market_id}

    def product_named(self, text: str) -> Product | None:
        normalized = normalize(text)
        for product in self.pipeline.products:
            if any(contains_term(normalized, name) for name in self._names[product.id].values()):
                return product
        return None

    def answer(self, admission: Admission, on_air: Product) -> Answer:
        """The reply to an accepted comment, in its language, naming the viewer: a sentence for each thing it asks
        (facts, attributes, a knowledge-base entry), the language model's sentence for a question nothing else
        answers, an honest "I don't have that information" where that fails too, and thanks for a comment that
        asks nothing."""
        lang, market, name = admission.lang, admission.market, _name(admission)
        text = admission.comment.text
        product = self.product_named(text) or on_air
        reading = read(text, lang, partial(self._named_entries, lang=lang))
        entries, english = self._entries_asked(reading, text, lang)
        parts = self._told(reading.beside(bool(entries)), lang, market, product)
        parts += [(f"{KB_KIND}{entry}", self._answers[entry][lang]) for entry in entries]
        labelled = any(not kind.startswith(KB_KIND) for kind, _ in parts)
        if not parts and reading.question and self.model is not None:
            english = english or (text if lang == PIVOT else self.translations.now(text, lang, PIVOT))
            said = self._open(english, lang, market, product)
            parts, labelled = ([("open", said)], True) if said else ([], False)
        if not any(sentence for _, sentence in parts):
            parts = [("unknown", self._unknown(lang, product))] if reading.question else [("thanks", _thanks(lang))]
        elif not all(sentence for _, sentence in parts):  # what the facts cannot say, said once
            parts = [part for part in parts if part[1]] + [("unknown", self._unknown(lang, product))]
        answer = _answer(name, lang, parts, *((product.id, market.rules.ad_label) if labelled else (None, None)))
        verdict = check_line(answer.text, market.rules)
        if not verdict.allowed:
            log.warning("answer withheld (%s): %s", verdict.reason, answer.kind)
            answer = self.fallback(admission, product)
            if not check_line(answer.text, market.rules).allowed:  # a name no gate checked: the viewer unnamed
                answer = replace(answer, text=_greeted(phrase(lang, "viewer"), lang, self._unknown(lang, product)))
        return answer

    def _entries_asked(self, reading: Reading, text: str, lang: str) -> tuple[list[str], str | None]:
        """The knowledge-base entries a question asks, and the comment in English where it was translated to find
        them. An entry's words name it (intents.read); else the whole comment is matched against the entries'
        questions in its own language, and so is each part of a compound comment that asks no fact ("precio? y es
        impermeable de verdad?"). What matches nothing is brought to English (one MT call) and matched there, words
        and questions: pre-translated questions can be poor where the MT is, the viewer's words are clearer. A
        statement asks no entry ("the jacket is so cool!" is not "is the jacket waterproof?")."""
        if not reading.question or not self.pipeline.knowledge_base:
            return [], None
        firm = [ask for ask in reading.asks if not ask.loose]
        entries = list(reading.entries)
        whole = self._questions.best(text, lang)
        # A fact and an entry in one breath ("¿cuánto dura la garantía?"): where the entries have words, those say
        # it (a part holding them asks no fact); elsewhere most of the entry's question must be there.
        beside = whole.asked_beside_facts and len(reading.parts) == 1 and not self._entry_words.get(lang)
        if not entries and self._asks(whole, lang) and (not firm or beside):
            entries.append(whole.entry)
        free = [p.text for p in reading.parts if not p.asks and not p.entries] if len(reading.parts) > 1 else []
        unmatched = []
        for part in free:
            match = self._questions.best(part, lang)
            if self._asks(match, lang):
                entries.append(match.entry)
            else:
                unmatched.append(part)
        english = None
        if lang == PIVOT or entries:
            return list(dict.fromkeys(entries)), english
        if not firm:
            english = self.translations.now(text, lang, PIVOT)
            entries += self._asked_in_english(english)
        for part in self.translations.now_all(unmatched, lang, PIVOT) if firm else ():
            entries += self._asked_in_english(part)
        return list(dict.fromkeys(entries)), english

    def _asked_in_english(self, english: str) -> list[str]:
        named = self._named_entries(english, PIVOT)
        match = self._questions.best(english, PIVOT)
        return list(named) or ([match.entry] if self._asks(match, PIVOT) else [])

    def _asks(self, match: Match, lang: str) -> bool:
        """Whether a question match asks its entry: closely, where the entry has words in `lang` (they find it)."""
        return match.asked and (match.score >= CLOSE or match.entry not in self._entry_words.get(lang, {}))

    def _named_entries(self, part: str, lang: str) -> tuple[str, ...]:
        """The entries whose words (pipeline `words`) `part` holds once the products' names are taken out."""
        words = self._entry_words.get(lang)
        if not words:
            return ()
        text = normalize(part)
        bare = _bare(text)  # letter for letter: "jaqueta impermeavel" is the name "jaqueta impermeável"
        for name in self._all_names:
            while (at := bare.find(name)) >= 0:
                blank = " " * len(name)
                text, bare = (t[:at] + blank + t[at + len(name) :] for t in (text, bare))
        return tuple(entry for entry, terms in words.items() if any(contains_term(text, term) for term in terms))

    def fallback(self, admission: Admission, product: Product) -> Answer:
        """What is said when no answer could be built or said: that the host has no such information about
        `product`, naming the viewer (never a promise to come back to it)."""
        return Answer(
            _greeted(_name(admission), admission.lang, self._unknown(admission.lang, product)),
            admission.lang,
            "fallback",
            product.id,
        )

    def typical(self) -> list[Answer]:
        """Every answer to one question the studio's facts and knowledge base can give, in every language, to
        `TYPICAL_VIEWER`: what the voice keeps in memory."""
        answers = []
        for lang in self.pipeline.languages:
            market = self.pipeline.market(lang)
            kb = [(f"{KB_KIND}{e.id}", self._answers[e.id][lang]) for e in self.pipeline.knowledge_base]
            answers += [_answer(TYPICAL_VIEWER, lang, [part], None, None) for part in kb if part[1]]
            for product in self.pipeline.products:
                asks = [Ask(intent) for intent in FACTS] + [Ask(attribute) for attribute in product.attributes]
                for ask in asks:
                    told = self._told((ask,), lang, market, product)
                    answers.append(_answer(TYPICAL_VIEWER, lang, told, product.id, market.rules.ad_label))
                answers.append(_answer(TYPICAL_VIEWER, lang, [("unknown", self._unknown(lang, product))], None, None))
            answers.append(_answer(TYPICAL_VIEWER, lang, [("thanks", _thanks(lang))], None, None))
        return answers

    def name(self, product: Product, lang: str) -> str:
        """The product's name as the host says it in `lang` (as written where no translation kept it faithful)."""
        return self._names[product.id][lang]

    def _unknown(self, lang: str, product: Product) -> str:
        return phrase(lang, "unknown").format(product=self.name(product, lang))

    def _open(self, question: str, lang: str, market: Market, product: Product) -> str | None:
        """The language model's grounded sentence, in the viewer's language; None when it fails its checks."""
        grounding = Grounding(self._grounds[(product.id, market.id)], question)
        try:
            return self._open_said(grounding, lang)
        except HostEngineError as exc:  # not remembered: the server may answer the next time
            log.warning("%s", exc)
            return None

    def _open_sentence(self, grounding: Grounding, lang: str) -> str | None:
        """What the model says to `grounding` in `lang` once checked, or None (remembered in `_open_said`: the
        same question about the same product comes back all night, and the model answers it the same way)."""
        assert self.model is not None
        sentence = grounded_reply(self.model, grounding, self.pipeline.language_model.strict)
        if sentence is None:
            return None
        said = sentence if lang == PIVOT else self.translations.now(sentence, PIVOT, lang)
        return None if not said or invented_numbers(said, grounding.facts, lang) else said

    def _told(self, asks: Iterable[Ask], lang: str, market: Market, product: Product) -> list[tuple[str, str]]:
        """(kind, sentence) for each fact or attribute asked, each said once (an attribute's values asked together
        answer once); a product sold out says so after any attribute ("yes, it comes in XL" must not read as "you
        can buy it"). A sentence is empty where the facts cannot say it (a shipping text no translation kept
        faithful, an attribute the studio did not give)."""
        told: dict[str, str] = {}
        asked = list(asks)
        for ask in asked:
            if ask.intent in told:
                continue
            if ask.intent in FACTS:
                told[ask.intent] = self._fact(ask.intent, lang, market, product)
            else:
                values = [a.value for a in asked if a.intent == ask.intent and a.value is not None]
                has = product.attributes.get(ask.intent, ())
                told[ask.intent] = _attribute(lang, ask.intent, has, values, self._names[product.id][lang])
        if product.offers[market.id].stock == 0 and told.keys() - set(FACTS) and "stock" not in told:
            told["stock"] = self._fact("stock", lang, market, product)
        return list(told.items())

    def _fact(self, intent: str, lang: str, market: Market, product: Product) -> str:
        offer = product.offers[market.id]
        shipping = self._shipping[(product.id, market.id)][lang]
        if intent == "shipping" and not shipping:  # no faithful translation of the shipping terms
            return ""
        key = "sold_out" if intent == "stock" and offer.stock == 0 else intent
        return phrase(lang, key).format(
            product=self._names[product.id][lang],
            price=said_price(offer.price, market.currency, lang),
            stock=offer.stock,
            shipping=shipping,
        )


def _attribute(lang: str, attribute: str, has: tuple[str, ...], asked: list[str], product: str) -> str:
    """The sentence about one attribute: which values `has` holds, or yes / no to the values `asked` (all there:
    yes; none there: no; some: which); empty when the studio gave none."""
    if not has:
        return ""
    words = vocabulary.values(lang, attribute)
    say = lambda keys: _listed(lang, [words[k][0] if k in words else k for k in keys])  # noqa: E731
    templates: dict[str, str] = phrase(lang, attribute)
    there = [value for value in asked if value in has]
    verdict = "which" if not asked or (there and len(there) < len(asked)) else "yes" if there else "no"
    return templates[verdict].format(product=product, values=say(has), value=say(there or asked))


def _listed(lang: str, items: list[str]) -> str:
    """ "blue and yellow", "S, M, L and XL", "蓝色、黄色和…" (the last two joined by the language's `and`)."""
    comma = "、" if lang in ("ja", "zh") else "، " if lang == "ar" else ", "
    word = phrase(lang, "and")
    if len(items) < 2:
        return "".join(items)
    if word == ",":
        return comma.join(items)
    glue = word if lang in ("ja", "zh") else f" {word} "
    return comma.join(items[:-1]) + glue + items[-1]


def _answer(name: str, lang: str, parts: list[tuple[str, str]], product: str | None, label: str | None) -> Answer:
    """The viewer greeted, then each part's sentence (the first letter of each after the first made capital)."""
    sentences = [sentence if i == 0 else sentence[:1].upper() + sentence[1:] for i, (_, sentence) in enumerate(parts)]
    kind = "+".join(kind for kind, _ in parts)
    return Answer(_greeted(name, lang, _sentences(lang, *sentences)), lang, kind, product, label)


def _bare(text: str) -> str:
    """`text` with its Latin letters' accents dropped, one character for one."""
    return "".join(map(base_letter, text))


def _still_faithful(key: str, translated: str) -> bool:
    """Whether a remembered translation passes today's checks (`mt.facts`): one kept before a check was added
    ("free shipping, drei bis sechs Tage") is made again."""
    pair, _, text = key.partition("\t")
    src, _, tgt = pair.partition(">")
    if not (broken := problems(text, translated, src, tgt)):
        return True
    log.info("translation %s>%s of %r made again: %s", src, tgt, text, "; ".join(broken))
    return False


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


def _thanks(lang: str) -> str:
    return phrase(lang, "thanks")


def _greeted(name: str, lang: str, text: str) -> str:
    return phrase(lang, "greeting").format(name=name) + text


def said_price(price: float, currency: str, lang: str) -> str:
    """A price as a host says it to a viewer of `lang`, written the way the language writes numbers (Indonesian
    "690.000 rupiah": "690,000" is 690 there) with the currency's word, not its code ("45,90 euros", "6,980円")."""
    amount = format_decimal(price, "#,##0" if float(price).is_integer() else "#,##0.00", locale=lang)
    word = phrase(lang, "currency").get(currency) or get_currency_name(currency, count=price, locale=lang)
    return f"{amount}{'' if lang in ('ja', 'zh', 'ko') else ' '}{word}"


def format_price(price: float, currency: str) -> str:
    """As the studio's facts and cards write a price: 49 USD, 49.90 EUR, 7,500 JPY (no decimals where it has
    none)."""
    return f"{price:,.0f} {currency}" if float(price).is_integer() else f"{price:,.2f} {currency}"
