"""The stage runtime: pipes, supervision, branches and the `run_stage` helper."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from host_engine.errors import BadInputError
from host_engine.events import ControlEvent, DataEvent, EndOfStream, ErrorEvent, Event, Interrupt
from host_engine.stages import Parallel, Pipe, Pipeline, Stage, run_stage


@dataclass(frozen=True)
class Word(DataEvent):
    text: str


@dataclass(frozen=True)
class Mark(ControlEvent):
    label: str


class Upper(Stage):
    name = "upper"

    async def process(self, event: Event) -> AsyncIterator[Event]:
        if isinstance(event, Word):
            if event.text == "boom":
                raise RuntimeError("a bug")
            if event.text == "bad":
                raise BadInputError("this word cannot be shouted")
            yield Word(event.text.upper())
        else:
            yield event


class Buffered(Stage):
    """Holds every word until the end, then says them as one."""

    def __init__(self) -> None:
        self.words: list[str] = []

    async def process(self, event: Event) -> AsyncIterator[Event]:
        if isinstance(event, Word):
            self.words.append(event.text)
        return
        yield

    async def finish(self) -> AsyncIterator[Event]:
        yield Word(" ".join(self.words))


class Suffix(Stage):
    def __init__(self, suffix: str, delay: float) -> None:
        self.suffix, self.delay = suffix, delay

    async def process(self, event: Event) -> AsyncIterator[Event]:
        if isinstance(event, Word):
            await asyncio.sleep(self.delay)
            yield Word(event.text + self.suffix)


def test_a_stage_transforms_and_passes_on_what_it_does_not_handle():
    out = asyncio.run(run_stage(Upper(), [Word("hi"), Mark("m"), Word("there")]))
    assert out == [Word("HI"), Mark("m"), Word("THERE")]


def test_held_work_is_flushed_at_the_end():
    assert asyncio.run(run_stage(Buffered(), [Word("a"), Word("b")])) == [Word("a b")]


def test_a_failure_becomes_an_error_event_and_the_stage_goes_on():
    out = asyncio.run(run_stage(Upper(), [Word("a"), Word("boom"), Word("bad"), Word("b")], clock=lambda: 7.0))
    assert [e for e in out if isinstance(e, Word)] == [Word("A"), Word("B")]
    errors = [e for e in out if isinstance(e, ErrorEvent)]
    assert [e.fatal for e in errors] == [False, False] and {e.emitted for e in errors} == {7.0}
    assert "internal error in the upper" in errors[0].message
    assert errors[1].message == "upper: this word cannot be shouted"  # the user's error, said as it is


def test_an_essential_stage_that_fails_ends_the_job_and_drops_its_input():
    class Essential(Upper):
        essential = True

    out = asyncio.run(run_stage(Essential(), [Word("a"), Word("boom"), Word("b")]))
    assert len(out) == 2 and Word("A") in out
    assert [e.fatal for e in out if isinstance(e, ErrorEvent)] == [True]


def test_system_events_overtake_and_an_interrupt_drops_queued_data_only():
    async def scenario() -> list[Event]:
        pipe = Pipe(capacity=8)
        for event in (Word("old"), Mark("keep"), Word("stale"), Interrupt()):
            await pipe.put(event)
        return [await pipe.get() for _ in range(len(pipe))]

    assert asyncio.run(scenario()) == [Interrupt(), Mark("keep")]


def test_a_full_pipe_makes_its_producer_wait():
    async def scenario() -> tuple[bool, bool]:
        pipe = Pipe(capacity=2)
        await pipe.put(Word("a"))
        await pipe.put(Word("b"))
        third = asyncio.create_task(pipe.put(Word("c")))
        await asyncio.sleep(0.05)
        waited = not third.done()
        await pipe.put(ErrorEvent("out of band", 0.0, fatal=False))  # system events never wait
        await pipe.get()
        await pipe.get()
        await asyncio.wait_for(third, 1)
        return waited, third.done()

    assert asyncio.run(scenario()) == (True, True)


def test_branches_run_side_by_side_and_the_end_waits_for_all():
    branches = Parallel([Suffix("-es", 0.05), Suffix("-pt", 0.0)], accepts=(Word,))

    async def scenario() -> list[Event]:
        async def source() -> AsyncIterator[Event]:
            yield Word("hi")
            yield Mark("passes by")

        return [e async for e in Pipeline([branches]).run(source())]

    out = asyncio.run(scenario())
    assert out[0] == Word("hi") and isinstance(out[-1], EndOfStream)
    assert sum(isinstance(e, EndOfStream) for e in out) == 1
    assert set(out[1:-1]) == {Mark("passes by"), Word("hi-es"), Word("hi-pt")}
    assert out.index(Word("hi-pt")) < out.index(Word("hi-es"))  # the faster branch did not wait for the slower


@pytest.mark.parametrize("stages", [1, 3])
def test_a_chain_keeps_order(stages):
    words = [Word(str(i)) for i in range(200)]

    async def scenario() -> list[Event]:
        async def source() -> AsyncIterator[Event]:
            for word in words:
                yield word

        return [e async for e in Pipeline([Stage() for _ in range(stages)], capacity=4).run(source())]

    assert asyncio.run(scenario()) == [*words, EndOfStream()]


def test_closing_a_pipe_frees_its_producers_and_ends_its_reader():
    async def scenario() -> tuple[bool, Event]:
        pipe = Pipe(capacity=1)
        await pipe.put(Word("a"))
        waiting = asyncio.create_task(pipe.put(Word("b")))
        await asyncio.sleep(0.01)
        pipe.close()
        return await asyncio.wait_for(waiting, 1), await pipe.get()

    assert asyncio.run(scenario()) == (False, EndOfStream())
