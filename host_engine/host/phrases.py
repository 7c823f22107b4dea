"""What the host says around the studio's own facts, per language (phrases.yaml): greetings, fallbacks, the word
for a viewer whose name cannot be said, and the words that tell what a viewer asks."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml


@cache
def _phrases() -> dict[str, dict[str, Any]]:
    text = resources.files("host_engine.host").joinpath("phrases.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def phrase(lang: str, key: str) -> Any:
    """The host's wording `key` in `lang` (English where phrases.yaml has no such language)."""
    table = _phrases()
    return table.get(lang, table["en"])[key]
