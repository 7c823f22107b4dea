"""Glossary terms (brand and product names) kept verbatim through translation, or rendered as listed.

Before translation each term becomes a placeholder token `ZQX<n>`: an all-caps letters+digit token that
Apertium and the Marian models copy unchanged (see tests/test_mt_glossary.py), where a bare number could be
reformatted. The placeholders travel through every hop of a pivot route and are restored once, at the end.
If an engine drops or mangles one, that text is translated again without placeholders, so a placeholder never
reaches the output; the term then comes through as the engines render it, with the forced renderings applied
where the source form survived verbatim.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import Field, field_validator

from host_engine.config import Frozen, load_yaml
from host_engine.errors import UnsupportedLanguageError
from host_engine.languages import get_language
from host_engine.mt import Pair, Translator

_PLACEHOLDER = re.compile(r"zqx\s?(\d+)", re.IGNORECASE)


@dataclass(frozen=True)
class Term:
    text: str
    """The form used in every language that `forms` does not name."""
    forms: Mapping[str, str]
    """Language code -> the form in that language (recognized in source text, written in translations)."""

    def form(self, lang: str) -> str:
        return self.forms.get(lang, self.text)


class _TermEntry(Frozen):
    term: str
    forms: dict[str, str] = Field(default_factory=dict)

    @field_validator("forms")
    @classmethod
    def _known_languages(cls, forms: dict[str, str]) -> dict[str, str]:
        try:
            return {get_language(code).code: form for code, form in forms.items()}
        except UnsupportedLanguageError as exc:
            raise ValueError(str(exc)) from None


class _GlossaryFile(Frozen):
    terms: tuple[_TermEntry, ...]

    @field_validator("terms", mode="before")
    @classmethod
    def _plain_strings(cls, terms: object) -> object:
        return [{"term": t} if isinstance(t, str) else t for t in terms] if isinstance(terms, list) else terms


class Glossary:
    def __init__(self, terms: Sequence[Term]) -> None:
        self.terms = tuple(terms)
        self._patterns: dict[str, re.Pattern[str] | None] = {}

    @classmethod
    def load(cls, path: Path) -> Glossary:
        """YAML: `terms:` a list of plain strings, or `{term: ..., forms: {lang: form}}` entries."""
        data = load_yaml(path, _GlossaryFile)
        return cls([Term(e.term, dict(e.forms)) for e in data.terms])

    def _pattern(self, lang: str) -> re.Pattern[str] | None:
        """Any form of any term as seen in `lang` text, longest first, as whole words, ignoring case."""
        if lang not in self._patterns:
            forms = {t.form(lang) for t in self.terms} | {t.text for t in self.terms}
            alternatives = "|".join(map(re.escape, sorted(forms, key=len, reverse=True)))
            self._patterns[lang] = re.compile(rf"(?<!\w)({alternatives})(?!\w)", re.IGNORECASE) if forms else None
        return self._patterns[lang]

    def _lookup(self, lang: str, found: str) -> Term:
        folded = found.casefold()
        return next(t for t in self.terms if folded in (t.form(lang).casefold(), t.text.casefold()))

    def protect(self, text: str, lang: str) -> tuple[str, list[Term]]:
        """`text` with each glossary term replaced by a placeholder, and the terms in placeholder order."""
        pattern = self._pattern(lang)
        if pattern is None or _PLACEHOLDER.search(text):
            return text, []
        terms: list[Term] = []

        def replace(match: re.Match[str]) -> str:
            terms.append(self._lookup(lang, match.group(0)))
            return f"ZQX{len(terms)}"

        return pattern.sub(replace, text), terms

    @staticmethod
    def restore(text: str, terms: Sequence[Term], lang: str) -> str | None:
        """Placeholders -> the terms' `lang` forms; None when one is missing or unknown."""
        found = {int(n) for n in _PLACEHOLDER.findall(text)}
        if found != set(range(1, len(terms) + 1)):
            return None
        return _PLACEHOLDER.sub(lambda m: terms[int(m.group(1)) - 1].form(lang), text)

    def render(self, text: str, src: str, tgt: str) -> str:
        """Source forms that came through translation verbatim -> their `tgt` forms."""
        pattern = self._pattern(src)
        if pattern is None:
            return text
        return pattern.sub(lambda m: self._lookup(src, m.group(0)).form(tgt), text)


class GlossaryTranslator:
    """Wraps any `Translator` (a `Router` included) so that glossary terms come out as the glossary says."""

    def __init__(self, inner: Translator, glossary: Glossary) -> None:
        self.inner = inner
        self.glossary = glossary
        self.name = f"{inner.name}+glossary"

    def pairs(self) -> frozenset[Pair]:
        return self.inner.pairs()

    def translate(self, texts: Sequence[str], src: str, tgt: str) -> list[str]:
        protected = [self.glossary.protect(text, src) for text in texts]
        translated = self.inner.translate([p for p, _ in protected], src, tgt)
        out = [
            self.glossary.restore(t, terms, tgt) if terms else t
            for t, (_, terms) in zip(translated, protected, strict=True)
        ]
        lost = [i for i, text in enumerate(out) if text is None]
        if lost:
            again = self.inner.translate([texts[i] for i in lost], src, tgt)
            for i, text in zip(lost, again, strict=True):
                out[i] = self.glossary.render(text, src, tgt)
        return [text or "" for text in out]
