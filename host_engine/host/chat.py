"""Chat in: who wrote what, in which language, and whether it gets an answer (moderation, duplicates, rate limit).

Language ID is lingua, limited to the languages host-engine speaks, so a short "hola" is not called Latin. A
comment whose language cannot be told, or that no market speaks, is answered in the default market's first language.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

from host_engine.host.moderation import Decision, Verdict, check_comment, normalize
from host_engine.host.pipeline import Market, Pipeline
from host_engine.languages import LANGUAGES

if TYPE_CHECKING:
    from lingua import LanguageDetector


@dataclass(frozen=True)
class Comment:
    id: str
    """Unique per platform: answered ids are remembered across restarts."""
    user: str
    text: str
    platform: str = "websocket"
    received: float = field(default_factory=time.time)


@dataclass(frozen=True)
class Admission:
    comment: Comment
    lang: str
    market: Market
    decision: Decision

    @property
    def accepted(self) -> bool:
        return self.decision.allowed


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


def detect_language(text: str) -> str | None:
    """The language of `text` among host-engine's, or None when lingua cannot tell. Between Malay and Indonesian,
    the chat words only one of them uses decide where they disagree with lingua."""
    found = _detector().detect_language_of(text)
    if found is None:
        return None
    code = found.iso_code_639_1.name.lower()
    if code in MALAY_INDONESIAN_MARKERS:
        words = set(_WORD.findall(text.lower()))
        votes = {lang: len(words & markers) for lang, markers in MALAY_INDONESIAN_MARKERS.items()}
        code = max(votes, key=lambda lang: (votes[lang], lang == code))
    return code


class ChatGate:
    """Decides, comment by comment, which ones go on to be answered."""

    def __init__(self, pipeline: Pipeline, clock: Callable[[], float] = time.monotonic) -> None:
        self.pipeline = pipeline
        self.clock = clock
        self._last_answer: dict[str, float] = {}
        self._recent: dict[tuple[str, str], float] = {}

    def admit(self, comment: Comment) -> Admission:
        lang = detect_language(comment.text)
        if lang not in self.pipeline.languages:
            lang = self.pipeline.market_by_id(self.pipeline.default_market).languages[0]
        market = self.pipeline.market(lang)
        decision = check_comment(comment.text, market.rules)
        now = self.clock()
        if decision.allowed:
            decision = self._throttle(comment, now)
        return Admission(comment, lang, market, decision)

    def _throttle(self, comment: Comment, now: float) -> Decision:
        chat = self.pipeline.chat
        key = (comment.user, normalize(comment.text))
        if now - self._recent.get(key, -1e18) < chat.duplicate_seconds:
            return Decision(Verdict.spam, "duplicate")
        if now - self._last_answer.get(comment.user, -1e18) < chat.per_user_seconds:
            return Decision(Verdict.spam, "rate limited")
        self._recent[key] = now
        self._last_answer[comment.user] = now
        self._forget(now)
        return Decision(Verdict.ok)

    def _forget(self, now: float) -> None:
        """Keep the memory bounded over a night: drop what no longer limits anyone."""
        horizon = max(self.pipeline.chat.duplicate_seconds, self.pipeline.chat.per_user_seconds)
        if len(self._recent) > 10_000:
            self._recent = {k: t for k, t in self._recent.items() if now - t < horizon}
            self._last_answer = {k: t for k, t in self._last_answer.items() if now - t < horizon}
