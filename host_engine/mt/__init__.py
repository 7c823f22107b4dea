"""Machine translation: one `Translator` protocol, one module per backend, a router over them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

Pair = tuple[str, str]
"""(source language code, target language code), ISO 639-1 as in `host_engine.languages`."""


@runtime_checkable
class Translator(Protocol):
    """A text translation backend.

    `translate` takes a batch so that backends with a start-up cost per call (Apertium's CLI) or batched
    decoding (CTranslate2) pay it once. It returns exactly one output line per input line, in order.
    """

    name: str

    def pairs(self) -> frozenset[Pair]:
        """The language pairs this backend translates directly, as installed on this machine."""
        ...

    def translate(self, texts: Sequence[str], src: str, tgt: str) -> list[str]:
        """Translate each text from `src` to `tgt`; raises UnsupportedLanguageError for a pair not in `pairs()`."""
        ...
