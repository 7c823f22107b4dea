"""The one table of languages: script, spacing and subtitle reading rules.

Reading rules follow the Netflix timed-text guides: 42 characters a line and ~17 characters per second for
Latin, Arabic and Vietnamese script; shorter, slower lines for Chinese, Japanese and Korean.
"""

from __future__ import annotations

from dataclasses import dataclass

from host_engine.errors import UnsupportedLanguageError


@dataclass(frozen=True)
class Language:
    code: str
    iso3: str
    """ISO 639-2 code, as media containers tag audio and subtitle tracks."""
    name: str
    script: str
    spaced: bool
    """Words are separated by spaces (so WER and word wrapping make sense)."""
    max_line_chars: int
    max_cps: float
    """Reading speed: characters per second a viewer can read."""
    rtl: bool = False

    @property
    def error_unit(self) -> str:
        """'word' where words are space-delimited, else 'char' (CER)."""
        return "word" if self.spaced else "char"


LANGUAGES: dict[str, Language] = {
    lang.code: lang
    for lang in (
        Language("en", "eng", "English", "Latn", True, 42, 17.0),
        Language("zh", "zho", "Chinese", "Hans", False, 16, 9.0),
        Language("ja", "jpn", "Japanese", "Jpan", False, 13, 4.0),
        Language("ko", "kor", "Korean", "Hang", True, 16, 12.0),
        Language("es", "spa", "Spanish", "Latn", True, 42, 17.0),
        Language("pt", "por", "Portuguese", "Latn", True, 42, 17.0),
        Language("fr", "fra", "French", "Latn", True, 42, 17.0),
        Language("de", "deu", "German", "Latn", True, 42, 17.0),
        Language("ar", "ara", "Arabic", "Arab", True, 42, 17.0, rtl=True),
        Language("id", "ind", "Indonesian", "Latn", True, 42, 17.0),
        Language("ms", "msa", "Malay", "Latn", True, 42, 17.0),
        Language("th", "tha", "Thai", "Thai", False, 35, 15.0),
        Language("vi", "vie", "Vietnamese", "Latn", True, 42, 17.0),
    )
}

MIN_CAPTION_SECONDS = 5 / 6
MAX_CAPTION_SECONDS = 7.0


def get_language(code: str) -> Language:
    """The table entry for `code`, or a clear error listing the supported codes."""
    try:
        return LANGUAGES[code.strip().lower()]
    except KeyError:
        supported = ", ".join(LANGUAGES)
        raise UnsupportedLanguageError(f"unsupported language '{code}'; supported: {supported}") from None


def parse_language_list(value: str) -> list[str]:
    """'es, pt' -> ['es', 'pt'], each checked against the table, duplicates dropped."""
    codes = [get_language(part).code for part in value.split(",") if part.strip()]
    if not codes:
        raise UnsupportedLanguageError("no target language given; use e.g. --to es,pt")
    return list(dict.fromkeys(codes))
