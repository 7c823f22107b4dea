"""What the host says next: the answers waiting (first come first served, the product on air a little ahead,
the same answer to several viewers said once), the rundown line an answer cut short, the next talking point, and
now and then an invitation to chat."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from host_engine.events import LineKind
from host_engine.host.lines import Line, joined, pieces
from host_engine.host.phrases import phrase
from host_engine.host.pipeline import Pipeline
from host_engine.host.state import ShowState

IDLE_EVERY = 4
"""An invitation to chat after this many rundown lines with no comment in between."""
ON_AIR_HEAD_START = 20.0
"""A question about the product on air goes ahead of other questions that came up to this many seconds before it;
older ones are not overtaken, so nobody waits behind an endless run of on-air questions."""
GROUP_MAX = 4
"""Viewers named in one answer at most, when several asked for the same thing in the same language."""
REPLY_QUEUE = 100
"""Answers waiting to be said, at most; a comment that finds the queue full is refused before any MT or LLM work."""


class Scheduler:
    """`prepare` starts voicing a line the scheduler makes; `on_product` is told when another product goes on air.
    The rundown position lives in `state` (saved by the show), so a restarted show resumes where it was."""

    def __init__(
        self,
        pipeline: Pipeline,
        state: ShowState,
        lang: str,
        rundown: list[list[str]],
        prepare: Callable[[Line], Line],
        on_product: Callable[[int], None],
    ) -> None:
        self.pipeline = pipeline
        self.state = state
        self.lang = lang
        self.rundown = rundown
        self.prepare = prepare
        self.on_product = on_product
        self.captions: dict[tuple[int, int], dict[str, str]] = {}
        """(product, line) -> the talking point in every market language (translated as the show starts)."""
        self._replies: asyncio.PriorityQueue[tuple[float, int, Line]] = asyncio.PriorityQueue(REPLY_QUEUE)
        """(arrival time, less `ON_AIR_HEAD_START` for the product on air; arrival order; line)."""
        self._arrivals = 0
        self.reply_waiting = asyncio.Event()
        """Set while an answer waits: the show line about to be said gives way to it."""
        self.again: Line | None = None
        """A rundown line an answer cut short, said again once the answers are said."""
        self._quiet_lines = 0

    @property
    def depth(self) -> int:
        """Answers waiting."""
        return self._replies.qsize()

    @property
    def on_air(self) -> int:
        return self.state.product % len(self.rundown)

    def queue(self, line: Line, received: float, about: str) -> None:
        """Queue an answer (the caller made sure there is room) that came at `received` about product `about`."""
        self._arrivals += 1
        head_start = ON_AIR_HEAD_START if about == self.pipeline.products[self.on_air].id else 0.0
        self._replies.put_nowait((received - head_start, self._arrivals, line))
        self.reply_waiting.set()

    def next_line(self) -> Line:
        """What the host says next: the first answer waiting (with the same answers to others joined), else the
        rundown line an answer cut short, else the next talking point (or, now and then, the invitation to chat)."""
        try:
            _, _, line = self._replies.get_nowait()
            self._quiet_lines = 0
            return self._join_same_answers(line)
        except asyncio.QueueEmpty:
            self.reply_waiting.clear()
        if self.again is not None:
            again, self.again = self.again, None
            return self.prepare(Line(again.text, again.lang, LineKind.RUNDOWN, captions=again.captions, again=True))
        self._quiet_lines += 1
        product = self.state.product % len(self.rundown)
        points = self.rundown[product]
        sayable = [
            i % len(points) for i in range(self.state.line, self.state.line + len(points)) if points[i % len(points)]
        ]
        if self._quiet_lines % (IDLE_EVERY + 1) == 0 or not sayable:  # a point no translation kept faithful is skipped
            captions = {lang: phrase(lang, "idle") for lang in self.pipeline.languages}
            return self.prepare(Line(phrase(self.lang, "idle"), self.lang, LineKind.IDLE, captions=captions))
        index = sayable[0]
        text = points[index]
        captions = {**self.captions.get((product, index), {}), self.lang: text}
        return self.prepare(Line(text, self.lang, LineKind.RUNDOWN, captions=captions))

    def _join_same_answers(self, line: Line) -> Line:
        """`line` with the queued answers that say the same in the same language to other viewers: each of their
        greetings is said after `line`'s, then the answer once ("Ana, Bob, the jacket is 49 USD"), as a host
        does when a question comes up again and again. The others leave the queue; their turn is now."""
        greeting, *rest = pieces(line.text, line.kind, line.lang)
        if not rest:
            return line
        greetings = [greeting]
        for item in [self._replies.get_nowait() for _ in range(self._replies.qsize())]:
            other = item[2]
            theirs, *their_rest = pieces(other.text, other.kind, other.lang)
            if len(greetings) < GROUP_MAX and other.lang == line.lang and their_rest == rest:
                line.joined.append(other)
                greetings.append(theirs)
            else:
                self._replies.put_nowait(item)
        if line.joined:
            line.text = joined([*greetings, *rest])
            line.captions = {line.lang: line.said}
        return line

    def cut(self, line: object | None) -> None:
        """`line` was cut short by an answer: a rundown line handed whole (the rundown moved past it) is said again
        once the answers are said; one that gave way before its end is said again anyway, the rundown being still
        on it."""
        if isinstance(line, Line) and line.kind is LineKind.RUNDOWN and line.done:
            self.again = line

    async def reply_within(self, seconds: float) -> bool:
        """Whether an answer is waiting, or comes to wait within `seconds`."""
        if self.reply_waiting.is_set():  # wait_for(..., 0) times out even on a set event (Python 3.11)
            return True
        try:
            await asyncio.wait_for(self.reply_waiting.wait(), seconds)
        except TimeoutError:
            return False
        return True

    def advance(self) -> None:
        """Next talking point; the next product once this one has had its minutes on air."""
        product = self.pipeline.products[self.state.product % len(self.rundown)]
        now = time.time()
        if not self.state.product_since:
            self.state.product_since = now
        if now - self.state.product_since >= product.minutes * 60:
            self.state.product = (self.state.product + 1) % len(self.rundown)
            self.state.line, self.state.product_since = 0, now
            self.on_product(self.state.product)
        else:
            self.state.line += 1
