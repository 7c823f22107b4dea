"""Chat in: who wrote what, in which language, and whether it gets an answer (moderation, duplicates, rate limit).

Language ID is lingua, limited to the languages host-engine speaks, so a short "hola" is not called Latin. A
comment whose language cannot be told, or that no market speaks, is answered in the default market's first language.
Every field is hostile: the viewer's name is moderated like the text and cut before the host may say it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

from host_engine.host.folding import readable
from host_engine.host.moderation import Decision, Verdict, check_comment, normalize, speakable_name
from host_engine.host.phrases import phrase
from host_engine.host.pipeline import Market, Pipeline, Rules
from host_engine.languages import LANGUAGES

if TYPE_CHECKING:
    from lingua import LanguageDetector


@dataclass(frozen=True)
class Comment:
    id: str
    """Unique per platform: answered ids are remembered across restarts."""
    user: str
    """The viewer's name as the platform gives it: an id for the rate limit, never said as it is (`Admission.name`)."""
    text: str
    platform: str = "websocket"
    received: float = field(default_factory=time.time)


@dataclass(frozen=True)
class Admission:
    comment: Comment
    lang: str
    market: Market
    decision: Decision
    name: str = ""
    """The viewer's name as the host says and captions it (moderation.speakable_name), or the word for a viewer in
    `lang` where it cannot be said; empty only where the admission was not made by a `ChatGate`."""

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


def _strictest(markets: Iterable[Rules]) -> Rules:
    """Every banned word and claim of the `markets`' rules together."""
    rules = list(markets)
    return Rules(
        banned_words=tuple(dict.fromkeys(w for r in rules for w in r.banned_words)),
        banned_claims=tuple(dict.fromkeys(c for r in rules for c in r.banned_claims)),
    )


class ChatGate:
    """Decides, comment by comment, which ones go on to be answered."""

    def __init__(self, pipeline: Pipeline, clock: Callable[[], float] = time.monotonic) -> None:
        self.pipeline = pipeline
        self.clock = clock
        self._last_answer: dict[str, float] = {}
        self._recent: dict[tuple[str, str], float] = {}

    def prepare(self) -> None:
        """Load the language models and compile the moderation rules now (about 3 s), not on the first comment."""
        likely_languages("warm up")
        check_comment("warm up", self.pipeline.markets[0].rules)

    def admit(self, comment: Comment, throttle: bool = True) -> Admission:
        """Language, market, moderation of the text and the name, then (when `throttle`) duplicates and the rate
        limit, keyed on the raw user id; a comment accepted before a restart is admitted again without them."""
        spoken = [code for code in likely_languages(readable(comment.text)) if code in self.pipeline.languages]
        lang = next(iter(spoken), self.pipeline.market_by_id(self.pipeline.default_market).languages[0])
        market = self.pipeline.market(lang)
        rules = _strictest(self.pipeline.market(code).rules for code in [lang, *spoken])
        decision = check_comment(comment.text, rules)
        now = self.clock()
        if decision.allowed and throttle:
            decision = self._throttle(comment, now)
        name = speakable_name(comment.user, rules) or phrase(lang, "viewer")
        return Admission(comment, lang, market, decision, name)

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
