"""Chat in: who wrote what, in which language, and whether it gets an answer (moderation, duplicates, rate limit).

Language ID is lingua, limited to the languages host-engine speaks, so a short "hola" is not called Latin. A
comment whose language cannot be told, or that no market speaks, is answered in the default market's first language.
Every field is hostile: the viewer's name is moderated like the text and cut before the host may say it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from host_engine.host.folding import readable
from host_engine.host.moderation import Decision, Verdict, check_comment, normalize, speakable_name
from host_engine.host.phrases import phrase
from host_engine.host.pipeline import Market, Pipeline, Rules
from host_engine.langid import likely_languages


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
