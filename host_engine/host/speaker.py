"""The speaker: a line's pieces into the avatar as they are synthesized, keeping only a short lead of queued
speech so that an answer waits little; an answer cuts the show line being said where its next two words meet
(barge-in), a show line gives way to an answer that comes to wait, and while answers come one after another each is
said without a filler and a little faster. What happens to each line is told to the taps as it is heard."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from functools import partial
from typing import Protocol

from host_engine.avatar.live import LiveAvatar
from host_engine.events import LineKind
from host_engine.host.lines import Line
from host_engine.host.scheduler import Scheduler
from host_engine.tts import SpeechChunk

LEAD_SECONDS = 0.3
"""Speech queued ahead of the mouth before the speaker picks the next line: small, so replies wait little."""
BRISK_TEMPO = 1.2
"""How much faster an answer is said when answers come one after another (pitch kept): at ten comments a minute,
answers of five to eight seconds would otherwise queue up, and each viewer waits for all the answers ahead."""
RUSH_SECONDS = 10.0
"""An answer that starts within this long of the end of the last one is one of a run of comments: said briskly and
without a filler, as a host keeps up with a busy chat (a filler and the own pace add two to four seconds an answer)."""


class Taps(Protocol):
    """Told, as the output plays them, what the speaker said (the show's journal, captions, state and counters)."""

    def first_audio(self, line: Line, made: float | None, at: float) -> None:
        """`line` starts playing (its first audio synthesized at `made`, monotonic), `at` seconds into the output."""

    def caption(self, line: Line, at: float, seconds: float) -> None:
        """`line` (not an answer joined to it) starts playing; its first sentence lasts `seconds`."""

    def heard(self, lines: list[Line]) -> None:
        """The answer of `lines` (one, or several joined) is playing: their comments are answered."""

    def unheard(self, line: Line) -> None:
        """`line`'s voice failed before its answer piece played."""


def _in_order(calls: list[Callable[[], None]]) -> None:
    for call in calls:
        call()


class _GiveWay(Exception):
    """A show line gives way to an answer that came to wait."""


class Speaker:
    def __init__(
        self, avatar: LiveAvatar, scheduler: Scheduler, taps: Taps, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.avatar = avatar
        self.scheduler = scheduler
        self.taps = taps
        self.clock = clock
        self._answered_until = -math.inf
        """When (`clock`) the audio of the last answer said ends."""

    def _busy(self) -> bool:
        """Whether answers come one after another (another waits, or the last one ended within `RUSH_SECONDS`): a
        filler before each would add a second on air to every answer waiting behind it."""
        return self.scheduler.depth > 0 or self.clock() - self._answered_until < RUSH_SECONDS

    async def _named_before_cut(self, line: Line) -> bool:
        """Whether the answer's name (the piece after its acknowledgement) is synthesized before the speech ahead
        of it is all but said."""
        if line.begun[1].is_set():  # wait_for(..., 0) times out even on a set event (Python 3.11)
            return True
        try:
            await asyncio.wait_for(line.begun[1].wait(), max(0.0, self.avatar.queued_seconds - LEAD_SECONDS))
        except TimeoutError:
            return False
        return True

    async def _next(self, line: Line, part: asyncio.Queue[SpeechChunk | None]) -> SpeechChunk | None:
        """The piece's next chunk (None: the piece is over). A show line gives way (`_GiveWay`) to an answer that
        comes to wait while its next sentence is synthesized (slow while the voice's memory is empty, at a first
        start) or while the speech ahead of that sentence is not yet all but said."""
        if line.kind is LineKind.ANSWER:
            return await part.get()
        getting = asyncio.ensure_future(part.get())
        answer = asyncio.ensure_future(self.scheduler.reply_waiting.wait())
        try:
            await asyncio.wait((getting, answer), return_when=asyncio.FIRST_COMPLETED)
        finally:
            gave_way = not getting.done()
            getting.cancel()
            answer.cancel()
        if gave_way:
            raise _GiveWay
        lead = max(0.0, self.avatar.queued_seconds - LEAD_SECONDS)
        if (chunk := getting.result()) is not None and await self.scheduler.reply_within(lead):
            raise _GiveWay
        return chunk

    async def speak(self, line: Line) -> None:
        """The line's pieces in turn; each answer joined to it says its greeting (its last piece but one) after the
        line's own, before the answer they share (the last piece)."""
        turns = [(line, index) for index in range(len(line.parts) - 1)]
        turns += [(other, len(other.parts) - 2) for other in line.joined]
        turns.append((line, len(line.parts) - 1))
        if line.ack is not None:  # the show line is cut now; while it runs to its pause, the name may get ready
            self.scheduler.cut(self.avatar.interrupt())
            if self._busy() or await self._named_before_cut(line):  # no filler: a second less on air
                line.ack, turns = None, turns[1:]
                line.captions = {line.lang: line.said}
        started: set[int] = set()
        heard = False
        loop = asyncio.get_running_loop()
        for owner, index in turns:
            part = owner.parts[index]
            while True:
                try:
                    chunk = await self._next(line, part)
                except _GiveWay:
                    if line.again:  # this show line gives way to the answer; the rundown has not moved on
                        self.scheduler.again = line
                    return
                if chunk is None:
                    break
                if line.kind is LineKind.ANSWER:
                    if not started:  # barge-in: the show line being said (or queued since) is cut at its next pause
                        self.scheduler.cut(self.avatar.interrupt())
                    await asyncio.sleep(max(0.0, self.avatar.queued_seconds - LEAD_SECONDS))
                    if self._busy():
                        chunk = chunk.faster(BRISK_TEMPO)
                ahead = self.avatar.queued_seconds
                cuttable = None if line.kind is LineKind.ANSWER else line
                self.avatar.say(chunk.audio, chunk.sample_rate, chunk.phonemes, cuttable=cuttable)
                when_it_plays: list[Callable[[], None]] = []  # in this order, once the chunk is heard
                if id(owner) not in started:
                    started.add(id(owner))
                    at = self.avatar.frame_index / self.avatar.fps + ahead
                    when_it_plays.append(partial(self.taps.first_audio, owner, owner.ready[index], at))
                    if owner is line:
                        when_it_plays.append(partial(self.taps.caption, line, at, chunk.duration))
                if owner is line and index == len(line.parts) - 1 and not heard:  # the answer itself, not the
                    heard = True  # acknowledgement or the name: only now is the comment answered
                    when_it_plays.append(partial(self.taps.heard, [line, *line.joined]))
                if when_it_plays:
                    loop.call_later(ahead, _in_order, when_it_plays)
            if owner is not line and owner.synthesis is not None:
                owner.synthesis.cancel()  # the rest of its answer is said once, in `line`'s voice
        if line.kind is LineKind.ANSWER:
            self._answered_until = self.clock() + self.avatar.queued_seconds
        if not heard:
            for owner in (line, *line.joined):
                self.taps.unheard(owner)
        if line.kind is LineKind.RUNDOWN:
            line.done = True
            if not line.again:
                self.scheduler.advance()
