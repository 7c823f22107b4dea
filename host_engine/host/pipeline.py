"""`pipelines/overnight_host.yaml`: markets and their rules, the rundown of products, the knowledge base, voices,
avatar, chat and outputs, validated on load so a studio's typo is one line naming the file and the field."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from host_engine.config import Frozen, load_yaml
from host_engine.host import vocabulary
from host_engine.host.vocabulary import Attribute
from host_engine.languages import LANGUAGES


def _known(code: str) -> str:
    if code not in LANGUAGES:
        raise ValueError(f"unknown language '{code}'; use one of {', '.join(LANGUAGES)}")
    return code


Lang = Annotated[str, AfterValidator(_known)]
Texts = dict[Lang, str]
"""Language code -> text; the studio writes the languages it has, the rest are translated at start-up."""


class Rules(Frozen):
    banned_words: tuple[str, ...] = ()
    """Never said, and a comment carrying one is not answered (any language; matched as whole words)."""
    banned_claims: tuple[str, ...] = ()
    """Claims the market forbids (urgency, health, alcohol...): the same treatment as banned words."""
    ad_label: str | None = None
    """Shown with every product segment and answer where the market requires a disclosure, e.g. '#ad'."""


class Market(Frozen):
    id: str = Field(pattern=r"^[a-z0-9_-]+$")
    languages: tuple[Lang, ...] = Field(min_length=1)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    rules: Rules = Rules()


class Offer(Frozen):
    price: float = Field(ge=0)
    stock: int = Field(ge=0)
    shipping: Texts
    """How shipping works in this market, in the market's language(s)."""


class Product(Frozen):
    id: str = Field(pattern=r"^[a-z0-9_-]+$")
    name: Texts = Field(min_length=1)
    image: Path | None = None
    """A picture of it for the card on the video (relative paths: from the working folder)."""
    talking_points: dict[Lang, tuple[str, ...]] = Field(min_length=1)
    """Sentences the host says while the product is on air, per language written."""
    offers: dict[str, Offer] = Field(min_length=1)
    """Market id -> price, stock and shipping there."""
    minutes: float = Field(default=10.0, gt=0)
    attributes: dict[Attribute, tuple[str, ...]] = Field(default_factory=dict)
    """Colours, sizes and materials it comes in, by their keys in host_engine/host/attributes.yaml ("blue", "XL",
    "nylon"): the host answers "does it come in black?" from these, in every language."""

    @field_validator("attributes")
    @classmethod
    def _known_values(cls, attributes: dict[Attribute, tuple[str, ...]]) -> dict[Attribute, tuple[str, ...]]:
        for attribute, given in attributes.items():
            unknown = [value for value in given if value not in vocabulary.known(attribute)]
            if unknown:
                raise ValueError(f"unknown {attribute} {unknown}: use one of {', '.join(vocabulary.known(attribute))}")
        return attributes


class Entry(Frozen):
    id: str
    question: dict[Lang, tuple[str, ...]] = Field(min_length=1)
    """Ways viewers ask it, per language written."""
    answer: Texts = Field(min_length=1)
    topic: str | None = None
    """A shop topic (vocabulary.topics(): returns, warranty, waterproof) whose words, shipped in all 13 languages,
    find this entry in any of them, however few the entry is written in."""
    words: dict[Lang, tuple[str, ...]] = Field(default_factory=dict)
    """More words that on their own say a question asks this entry, per language: what the studio's viewers say.
    Matched as the market's banned terms are (a term's last word with any ending), in a comment without the
    products' names ("rain" in "rain jacket" asks nothing); they outrank the price, stock and shipping words in the
    same part ("how many days do I have to send it back?" asks the return policy)."""

    @field_validator("topic")
    @classmethod
    def _known_topic(cls, topic: str | None) -> str | None:
        if topic is not None and topic not in vocabulary.topics():
            raise ValueError(f"unknown topic {topic!r}: use one of {', '.join(vocabulary.topics())}")
        return topic

    def words_in(self, lang: str) -> tuple[str, ...]:
        """Its topic's words and its own in `lang`."""
        return (*(vocabulary.topic_words(self.topic, lang) if self.topic else ()), *self.words.get(lang, ()))


class LanguageModel(Frozen):
    kind: Literal["bundled", "openai", "none"] = "bundled"
    """What answers open questions: the bundled small LM, an OpenAI-compatible server, or nothing (a polite
    fallback)."""
    url: str | None = None
    """An OpenAI-compatible server (llama.cpp, vLLM) for `openai`."""
    model: str | None = None
    """The model name sent to the server, or the installed model id for `bundled` (gemma-3-270m)."""
    strict: bool = True
    """Refuse an answer with a word the facts do not hold ("machine washable"; the viewer's own words do not count,
    or a viewer could make the host repeat them). A small model invents such claims often; a studio that trusts a
    larger one may turn this off (numbers are always checked)."""

    @model_validator(mode="after")
    def _url_for_openai(self) -> LanguageModel:
        if self.kind == "openai" and not self.url:
            raise ValueError("an 'openai' language model needs its url")
        return self


class Irc(Frozen):
    server: str
    port: int = 6667
    channel: str = Field(pattern=r"^#")
    nick: str = "hostengine"


class Chat(Frozen):
    irc: Irc | None = None
    per_user_seconds: float = Field(default=20.0, ge=0)
    """A viewer is answered at most once in this long."""
    duplicate_seconds: float = Field(default=300.0, ge=0)
    """The same text from the same viewer within this long is answered once."""


class Output(Frozen):
    kind: Literal["file", "rtmp"]
    target: str


class Avatar(Frozen):
    pack: str = "mika"
    size: Literal["720p", "1080p"] = "720p"
    fps: float = Field(default=25.0, ge=5, le=60)
    background: Path | None = None
    """An image behind the portrait, scaled to cover the frame (relative paths: from the working folder); the
    pack's flat colour otherwise."""


class Pipeline(Frozen):
    name: str
    host_name: str
    markets: tuple[Market, ...] = Field(min_length=1)
    default_market: str
    """Where viewers whose language no market lists are counted (they are still answered in their language)."""
    products: tuple[Product, ...] = Field(min_length=1)
    knowledge_base: tuple[Entry, ...] = ()
    voices: dict[Lang, str] = Field(default_factory=dict)
    """Language -> voice profile name; the language's default voice otherwise."""
    avatar: Avatar = Avatar()
    chat: Chat = Chat()
    language_model: LanguageModel = LanguageModel()
    outputs: tuple[Output, ...] = ()
    state_dir: Path = Path("out/host-state")
    """Answered comments, rundown position and translations (relative paths: from the working folder)."""

    @model_validator(mode="after")
    def _references(self) -> Pipeline:
        markets = {m.id for m in self.markets}
        if self.default_market not in markets:
            raise ValueError(f"default_market '{self.default_market}' is not one of the markets: {sorted(markets)}")
        for product in self.products:
            unknown = set(product.offers) - markets
            if unknown:
                raise ValueError(f"product '{product.id}' has offers for unknown market(s) {sorted(unknown)}")
            missing = markets - set(product.offers)
            if missing:
                raise ValueError(f"product '{product.id}' has no offer for market(s) {sorted(missing)}")
        return self

    def market(self, lang: str) -> Market:
        """The market a viewer writing in `lang` belongs to."""
        return next((m for m in self.markets if lang in m.languages), self.market_by_id(self.default_market))

    def market_by_id(self, market_id: str) -> Market:
        return next(m for m in self.markets if m.id == market_id)

    @property
    def languages(self) -> tuple[str, ...]:
        """Every market language, in order of first mention."""
        return tuple(dict.fromkeys(code for m in self.markets for code in m.languages))


def load_pipeline(path: Path) -> Pipeline:
    return load_yaml(path, Pipeline)
