"""The show's ledger: what it owes viewers and what it said. It is the speaker's taps (`speaker.Taps`): told as the
output plays each line, it journals what was said, publishes the captions, counts, and keeps the state's pending
and answered comments, so that a restarted show answers every accepted comment once and nobody twice."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from host_engine.events import CaptionEvent, OverlayEvent, Refused, Spoken
from host_engine.host.journal import Journal
from host_engine.host.lines import Line
from host_engine.host.state import ShowState

log = logging.getLogger(__name__)

STAGES = ("render", "speaker", "irc", "voice", "answer", "prepare")


@dataclass
class Counters:
    comments_in: int = 0
    answered: int = 0
    blocked: dict[str, int] = field(default_factory=dict)
    restarts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STAGES, 0))
    """Failures per stage (`STAGES`), each logged with its traceback and followed by a restart (for the voice: the
    line said again, or skipped after the show's voice attempts)."""


class Ledger:
    """`retry(line)` queues an answer whose voice failed again, and says whether it did."""

    def __init__(
        self,
        state: ShowState,
        journal: Journal,
        on_spoken: Callable[[Spoken], None],
        on_overlay: Callable[[OverlayEvent], None],
        retry: Callable[[Line], bool],
    ) -> None:
        self.state = state
        self.journal = journal
        self.on_spoken = on_spoken
        self.on_overlay = on_overlay
        self.retry = retry
        self.counters = Counters()
        self._lines_said = 0
        self._taken: set[str] = set()
        """Ids of the pending comments whose answer is being built, queued or being said."""
        self._unvoiced: set[str] = set()
        """Ids of pending comments whose answer could not be voiced this run: the next start tries again."""

    def take(self, comment_id: str) -> None:
        """The comment's answer is on its way: it is not restored again while it is."""
        self._taken.add(comment_id)

    def waiting(self) -> list[str]:
        """Pending comments (accepted, never heard answered) whose answer is not on its way: restored after a
        restart, as the reply queue has room."""
        return [i for i in self.state.pending if i not in self._taken and i not in self._unvoiced]

    def count_blocked(self, reason: str) -> None:
        self.counters.blocked[reason] = self.counters.blocked.get(reason, 0) + 1

    def refused(self, event: Refused) -> None:
        """A comment not answered: counted, journalled, and no longer pending (one restored, refused by today's
        rules)."""
        self.count_blocked(event.reason)
        if self.state.pending.pop(event.comment_id, None) is not None:
            self.state.save()
        log.info("comment %s not answered: %s", event.comment_id, event.why or event.reason)
        self.journal.write("blocked", {"comment_id": event.comment_id, "lang": event.lang, "reason": event.reason})

    def caption(self, line: Line, at: float, seconds: float) -> None:
        """The line on the overlay as it starts: its source text once, and each market language's block."""
        self._lines_said += 1
        sentence, start, end = self._lines_said, round(at, 3), round(at + seconds, 3)
        events = [(line.lang, line.said, True)] + [(lang, text, False) for lang, text in line.captions.items()]
        for lang, text, source in events:
            segment = f"host-{sentence}-{lang}{'-src' if source else ''}"
            self.on_overlay(CaptionEvent(lang, text, start, end, start, segment, 0, True, sentence, source))

    def heard(self, lines: list[Line]) -> None:
        """The answer of `lines` (one, or several joined) starts playing now: their comments are answered. The
        state is saved before the journal says so: a kill between the two must not answer anyone twice."""
        answered = [line for line in lines if line.comment is not None]
        for line in answered:
            self.state.answered.append(line.comment.id)
            self.state.pending.pop(line.comment.id, None)
            self._taken.discard(line.comment.id)
            self.counters.answered += 1
            log.info("answered %s in %s", line.comment.id, line.lang)
        self.state.save()
        for line in answered:
            if line.spoken is not None:
                self._said(line.spoken)

    def unheard(self, line: Line) -> None:
        """An answer whose voice failed before its answer piece played is queued again (`retry`); when it is not,
        it stays pending in the state (the next start tries again) and the journal says so."""
        if line.comment is None or line.answer is None or line.name is None or line.received is None:
            return
        self._taken.discard(line.comment.id)
        if not self.retry(line):
            self._unvoiced.add(line.comment.id)
            self.journal.write("unvoiced", {"comment_id": line.comment.id, "lang": line.lang})

    def first_audio(self, line: Line, made: float | None, at: float) -> None:
        """`line` starts playing now (its first audio was synthesized at `made`). A show line is journalled now;
        an answer, with its latency from here, once its answer piece plays (`heard`): one cut off before that
        is said again, and journalled once."""
        ready = starts = None
        if line.comment is not None and line.received is not None and made is not None:
            ready = made - line.received
            starts = time.monotonic() - line.received
            log.info("answering %s in %s: audio ready %.2f s after the comment", line.comment.id, line.lang, ready)
        label = line.answer.ad_label if line.answer else None
        comment_id = line.comment.id if line.comment else None
        line.spoken = Spoken(line.said, line.lang, line.kind, comment_id, ready, starts, label, round(at, 3))
        if line.comment is None:
            self._said(line.spoken)

    def _said(self, spoken: Spoken) -> None:
        self.journal.write("spoken", asdict(spoken))
        self.on_spoken(spoken)
