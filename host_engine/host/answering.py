"""The host's chat path as stages: `Gate` (a comment in: refused, or admitted and kept pending in the state) and
`Answering` (an admitted comment: its answer, built off the event loop). The show calls each stage's `process`
per comment, so one slow answer (the language model) never holds up the next; tests use `stages.run_stage`."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable

from host_engine.detached import run_detached
from host_engine.events import Admitted, AnswerReady, CommentIn, Event, Refused
from host_engine.host.answers import Answerer
from host_engine.host.chat import ChatGate
from host_engine.host.pipeline import Product
from host_engine.host.state import ShowState
from host_engine.stages import Stage

log = logging.getLogger(__name__)


class Gate(Stage):
    """Language, moderation and throttle (`ChatGate`), after the show's own checks: a comment answered or pending
    already is dropped without a word (a client retrying), and one that finds no `room` in the reply queue is
    refused before any MT or language-model work. Admitted comments are kept pending in the state (saved) until
    their answer is heard, so a restart answers them; one restored from there (`restored`) is not throttled
    again, nor refused for room (it waits in the state for its turn)."""

    name = "gate"

    def __init__(self, gate: ChatGate, state: ShowState, room: Callable[[], int]) -> None:
        self.gate = gate
        self.state = state
        self.room = room

    async def process(self, event: Event) -> AsyncIterator[Event]:
        if not isinstance(event, CommentIn):
            yield event
            return
        comment = event.comment
        if not event.restored and (self.state.was_answered(comment.id) or comment.id in self.state.pending):
            return
        if self.room() <= 0:
            if not event.restored:
                yield Refused(comment.id, None, "queue full")
            return
        admission = self.gate.admit(comment, throttle=not event.restored)
        if not admission.accepted:
            yield Refused(comment.id, admission.lang, admission.decision.verdict.value, admission.decision.reason)
            return
        self.state.pending[comment.id] = {"user": comment.user, "text": comment.text, "platform": comment.platform}
        self.state.save()
        yield Admitted(comment, admission, event.received)


class Answering(Stage):
    """The answer to an admitted comment about the product `on_air()` returns; a fault while building it is
    logged and counted (`failed`), and the viewer hears that the host has no answer rather than nothing."""

    name = "answer"

    def __init__(self, answerer: Answerer, on_air: Callable[[], Product], failed: Callable[[str], None]) -> None:
        self.answerer = answerer
        self.on_air = on_air
        self.failed = failed

    async def process(self, event: Event) -> AsyncIterator[Event]:
        if not isinstance(event, Admitted):
            yield event
            return
        product = self.on_air()
        try:
            answer = await run_detached("answer", self.answerer.answer, event.admission, product)
        except Exception:
            self.failed(self.name)
            answer = self.answerer.fallback(event.admission, product)
        yield AnswerReady(event.comment, answer, event.admission.name, event.received)
