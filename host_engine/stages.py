"""A small stage runtime for the live jobs: stages joined by bounded pipes, each run under a supervisor.

A stage overrides one method, `process(event)`, an async generator yielding what goes downstream (it passes on
what it does not handle, as pipecat's processors push frames on). Pipes hold at most `capacity` data and control
events, so a fast producer waits for a slow stage instead of filling memory; system events overtake them, and an
`Interrupt` drops the data still queued downstream. An exception in a stage is logged, becomes an `ErrorEvent`
downstream and the stage goes on with its next event (after `reset`): one bad event never ends the job. At
`EndOfStream` each stage flushes (`finish`) and passes it on. A stage marked `essential` (the recognizer) is not
restarted: its failure is a fatal error event and its input is dropped, so whoever feeds the job is freed.
`Parallel` runs branches side by side (one per target language), and `run_stage` feeds a stage events for tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Callable, Iterable, Sequence

from host_engine.errors import HostEngineError
from host_engine.events import DataEvent, EndOfStream, ErrorEvent, Event, Interrupt, Priority

log = logging.getLogger(__name__)

Clock = Callable[[], float]
CAPACITY = 64
"""Data and control events a pipe holds before its producer waits."""


class Stage:
    """One step of a job. `name` appears in logs and error events."""

    name = "stage"
    essential = False
    _inbox: Pipe | None = None

    async def process(self, event: Event) -> AsyncIterator[Event]:
        yield event

    async def finish(self) -> AsyncIterator[Event]:
        """At the end of the stream: what the stage still holds."""
        return
        yield

    def reset(self) -> None:
        """After `process` raised: drop whatever half-done work the failure left (the supervised restart)."""

    def waiting(self) -> int:
        """Events queued for this stage: a stage may batch work while it falls behind."""
        return 0 if self._inbox is None else len(self._inbox)


class Parallel(Stage):
    """Branches side by side: each gets the events its `accepts` names, every event also goes on downstream, and
    the branches' events join the same output. `EndOfStream` passes once every branch has finished."""

    name = "parallel"

    def __init__(self, branches: Sequence[Stage], accepts: tuple[type[Event], ...]) -> None:
        self.branches = list(branches)
        self.accepts = accepts


class Pipe:
    """A bounded queue in which system events overtake the rest (see module). One event loop, no threads: the
    flags below need no lock."""

    def __init__(self, capacity: int = CAPACITY) -> None:
        self.capacity = capacity
        self._system: deque[Event] = deque()
        self._ordered: deque[Event] = deque()
        self._readable = asyncio.Event()
        self._writable = asyncio.Event()
        self._closed = False

    def __len__(self) -> int:
        return len(self._system) + len(self._ordered)

    async def put(self, event: Event) -> bool:
        """Queue `event`, waiting for room if it is data or control; False once the pipe is closed (dropped)."""
        if self._closed:
            return False
        if event.priority is Priority.SYSTEM:
            self._system.append(event)
            if isinstance(event, Interrupt):
                self._ordered = deque(e for e in self._ordered if not isinstance(e, DataEvent))
        else:
            while len(self._ordered) >= self.capacity and not self._closed:
                self._writable.clear()
                await self._writable.wait()
            if self._closed:
                return False
            self._ordered.append(event)
        self._readable.set()
        return True

    async def get(self) -> Event:
        """The next event; `EndOfStream` once the pipe is closed and empty."""
        while not len(self) and not self._closed:
            self._readable.clear()
            await self._readable.wait()
        if not len(self):
            return EndOfStream()
        event = self._system.popleft() if self._system else self._ordered.popleft()
        self._writable.set()
        return event

    def close(self) -> None:
        """Nobody reads any more: every waiting producer goes on (Python 3.11's `wait_for` can swallow the
        cancellation meant to stop it, so cancelling alone may leave a producer waiting for room forever)."""
        self._closed = True
        self._ordered.clear()
        self._readable.set()
        self._writable.set()


def _error(stage: Stage, exc: Exception, clock: Clock) -> ErrorEvent:
    fatal = stage.essential
    if isinstance(exc, HostEngineError):
        return ErrorEvent(f"{stage.name}: {exc}", clock(), fatal)
    log.error("stage %s failed; %s", stage.name, "the job ends" if fatal else "it goes on", exc_info=exc)
    return ErrorEvent(f"internal error in the {stage.name} (the log says why)", clock(), fatal)


async def _supervised(stage: Stage, events: AsyncIterable[Event], outbox: Pipe, clock: Clock, branch: bool) -> None:
    failed = False

    async def each(produced: AsyncIterator[Event]) -> None:
        nonlocal failed
        try:
            async for event in produced:
                await outbox.put(event)
        except Exception as exc:
            failed = stage.essential
            stage.reset()
            await outbox.put(_error(stage, exc, clock))

    async for event in events:
        if isinstance(event, EndOfStream):
            if not failed:
                await each(stage.finish())
            if not branch:  # a branch's end is `Parallel`'s to pass on, once
                await outbox.put(event)
            return
        if not failed:
            await each(stage.process(event))


async def _drain(inbox: Pipe) -> AsyncIterator[Event]:
    while True:
        event = await inbox.get()
        yield event
        if isinstance(event, EndOfStream):
            return


async def _run(stage: Stage, inbox: Pipe, outbox: Pipe, clock: Clock, branch: bool = False) -> None:
    if not isinstance(stage, Parallel):
        stage._inbox = inbox
        await _supervised(stage, _drain(inbox), outbox, clock, branch)
        return
    inboxes = [Pipe(inbox.capacity) for _ in stage.branches]
    branches = [
        asyncio.create_task(_run(b, i, outbox, clock, branch=True))
        for b, i in zip(stage.branches, inboxes, strict=True)
    ]
    try:
        async for event in _drain(inbox):
            if isinstance(event, EndOfStream):
                for branch_inbox in inboxes:
                    await branch_inbox.put(event)
                await asyncio.gather(*branches)
                await outbox.put(event)
                return
            if isinstance(event, stage.accepts):
                for branch_inbox in inboxes:
                    await branch_inbox.put(event)
            await outbox.put(event)
    finally:
        for task in branches:
            task.cancel()
        await asyncio.gather(*branches, return_exceptions=True)


class Pipeline:
    """Stages in a chain: `run(source)` yields what the last stage produces, ending with `EndOfStream` once the
    source is exhausted and every stage has flushed. Branch `EndOfStream`s from `Parallel` are joined into one."""

    def __init__(self, stages: Sequence[Stage], clock: Clock = time.monotonic, capacity: int = CAPACITY) -> None:
        self.stages = list(stages)
        self.clock = clock
        self.capacity = capacity

    async def run(self, source: AsyncGenerator[Event, None]) -> AsyncIterator[Event]:
        """Run the chain on `source`, yielding the last stage's events."""
        pipes = [Pipe(self.capacity) for _ in range(len(self.stages) + 1)]
        tasks = [
            asyncio.create_task(_run(stage, inbox, outbox, self.clock))
            for stage, inbox, outbox in zip(self.stages, pipes, pipes[1:], strict=False)
        ]
        tasks.append(asyncio.create_task(_feed(source, pipes[0])))
        try:
            async for event in _drain(pipes[-1]):
                yield event
        finally:
            for pipe in pipes:
                pipe.close()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


async def _feed(source: AsyncGenerator[Event, None], head: Pipe) -> None:
    async with contextlib.aclosing(source):  # a job stopped early closes its source at once (FFmpeg, a client)
        async for event in source:
            if not await head.put(event):
                return
    await head.put(EndOfStream())


async def _events(events: Iterable[Event]) -> AsyncGenerator[Event, None]:
    for event in events:
        yield event


async def run_stage(stage: Stage, events: Iterable[Event], clock: Clock = time.monotonic) -> list[Event]:
    """What `stage` produces from `events` (then `EndOfStream`), without the final `EndOfStream`: the way tests
    check a stage."""
    return [e async for e in Pipeline([stage], clock).run(_events(events)) if not isinstance(e, EndOfStream)]
