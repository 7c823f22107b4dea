"""The words for product attributes in every language (attributes.yaml): what viewers call each colour, material
and size, and the words that ask about one. A studio names an attribute's values by their canonical (English) keys;
the host says them, and recognizes them in comments, in every language without machine translation. Likewise the
words of common shop topics (topics.yaml: returns, warranty...) that find a knowledge-base entry in every language."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any, Literal

import yaml

Attribute = Literal["color", "size", "material"]
ATTRIBUTES: tuple[Attribute, ...] = ("color", "size", "material")


@cache
def _load(name: str) -> dict[str, Any]:
    return yaml.safe_load(resources.files("host_engine.host").joinpath(name).read_text(encoding="utf-8"))


def _vocabulary() -> dict[str, Any]:
    return _load("attributes.yaml")


def values(lang: str, attribute: Attribute) -> dict[str, list[str]]:
    """Canonical key -> the words for it in `lang` (English where attributes.yaml lacks the language); the first
    word is how the host says it."""
    table = _vocabulary()
    return table.get(lang, table["en"])[attribute]["values"]


def asks(lang: str, attribute: Attribute) -> list[str]:
    """The words that ask about `attribute` in `lang` ("colour", "talla")."""
    table = _vocabulary()
    return table.get(lang, table["en"])[attribute]["asks"]


def known(attribute: Attribute) -> tuple[str, ...]:
    """The canonical keys a studio may give `attribute`."""
    return tuple(values("en", attribute))


def topics() -> tuple[str, ...]:
    """The shop topics a knowledge-base entry may name."""
    return tuple(_load("topics.yaml"))


def topic_words(topic: str, lang: str) -> tuple[str, ...]:
    """The words that on their own ask about `topic` in `lang` (none where topics.yaml lacks the language)."""
    return tuple(_load("topics.yaml")[topic].get(lang, ()))
