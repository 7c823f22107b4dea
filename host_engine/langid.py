"""Which of the supported languages a short text is in: lingua over the 13 languages, with chat words that tell
Malay from Indonesian."""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING

from host_engine.languages import LANGUAGES

if TYPE_CHECKING:
    from lingua import LanguageDetector


@cache
def _detector() -> LanguageDetector:
    from lingua import IsoCode639_1, LanguageDetectorBuilder

    codes = [getattr(IsoCode639_1, code.upper()) for code in LANGUAGES]
    return LanguageDetectorBuilder.from_iso_codes_639_1(*codes).with_preloaded_language_models().build()


MALAY_INDONESIAN_MARKERS = {
    "ms": frozenset({"ni", "tu", "tak", "nak", "boleh", "saiz", "hantar", "penghantaran", "ringgit", "bila",
                     "percuma", "je", "awak", "korang", "kedai"}),
    "id": frozenset({"nggak", "gak", "enggak", "mau", "bisa", "kirim", "pengiriman", "ukuran", "rupiah", "banget",
                     "kapan", "aja", "dong", "sih", "kok"}),
}  # fmt: skip
"""Chat words one of the two languages uses and the other does not (Malay "nak", "tak", "bila"; Indonesian "mau",
"nggak", "kapan"). lingua's character models split short Malay and Indonesian comments almost evenly, and the
market (currency, shipping) depends on which it is."""
_WORD = re.compile(r"\w+")
CLOSE = 0.5
"""A language this share as likely as lingua's first choice may be the comment's too: short comments are hard to
tell ("is it a miracle?" is French 0.41, English 0.31), and a comment is held to the rules of every market it may
belong to."""


def likely_languages(text: str) -> list[str]:
    """The languages `text` may be in, likeliest first: lingua's first choice, then any other it finds at least
    `CLOSE` as likely (none when it cannot tell). Between Malay and Indonesian, the chat words only one of them
    uses decide where they disagree with lingua."""
    values = _detector().compute_language_confidence_values(text)
    if not values or values[0].value <= 0:
        return []
    codes = [v.language.iso_code_639_1.name.lower() for v in values if v.value >= CLOSE * values[0].value]
    if codes[0] in MALAY_INDONESIAN_MARKERS:
        words = set(_WORD.findall(text.lower()))
        votes = {lang: len(words & markers) for lang, markers in MALAY_INDONESIAN_MARKERS.items()}
        first = max(votes, key=lambda lang: (votes[lang], lang == codes[0]))
        codes = [first, *(code for code in codes if code != first)]
    return codes
