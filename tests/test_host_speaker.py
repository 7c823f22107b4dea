"""The speaker: an answer's acknowledgement ("Good question!") is said only when the viewer's name is not ready by
the time the speech before it ends and no other answer waits; a show line gives way to an answer even while its next
sentence is made."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from host_engine.avatar.live import LiveAvatar
from host_engine.avatar.pack import load_pack
from host_engine.events import LineKind
from host_engine.host.lines import Line
from host_engine.host.speaker import BRISK_TEMPO, RUSH_SECONDS, Speaker
from host_engine.tts import SpeechChunk

FPS = 25.0


class _Scheduler:
    """What the speaker asks of the show's scheduler: to note a cut line, and whether an answer waits."""

    def __init__(self) -> None:
        self.cut_lines: list[object | None] = []
        self.reply_waiting = asyncio.Event()
        self.again: Line | None = None
        self.depth = 0
        """Answers waiting."""

    def cut(self, line: object | None) -> None:
        self.cut_lines.append(line)

    async def reply_within(self, seconds: float) -> bool:
        return self.reply_waiting.is_set()


class _Taps:
    def __init__(self) -> None:
        self.playing: list[str] = []
        self.answered: list[Line] = []
        self.done = asyncio.Event()

    def first_audio(self, line: Line, made: float | None, at: float) -> None:
        self.playing.append(line.said)

    def caption(self, line: Line, at: float, seconds: float) -> None:
        pass

    def heard(self, lines: list[Line]) -> None:
        self.answered += lines
        self.done.set()

    def unheard(self, line: Line) -> None:
        raise AssertionError(f"{line.text} was not heard")


async def _pump(avatar: LiveAvatar, stop: asyncio.Event) -> None:
    """The output's clock: one frame (and its audio) every 1/FPS s."""
    while not stop.is_set():
        avatar.next_frame(draw=False)
        await asyncio.sleep(1 / FPS)


def _one(engines, text: str) -> SpeechChunk:
    (chunk,) = engines.synthesizer("en").synthesize(text, "en")
    return chunk


@pytest.mark.parametrize(
    ("name_after", "waiting", "opens_with"), [(0.1, 0, "Ana,"), (None, 0, "Good question!"), (None, 1, "Ana,")]
)
def test_the_filler_is_said_only_when_the_name_is_not_ready_in_time_and_nobody_else_waits(
    engines, name_after: float | None, waiting: int, opens_with: str
) -> None:
    """Another answer (never cut) is still playing when this one's turn comes; a name synthesized while it plays
    replaces the filler, one that is not waits behind the filler, unless more answers wait: then no filler
    delays them, the name is awaited."""
    ack, name, rest = (_one(engines, t) for t in ("Good question!", "Ana,", "the rain jacket is 49 dollars."))
    previous = _one(engines, "Thank you, great to have you here!")
    avatar = LiveAvatar(load_pack("mika"), (320, 180), fps=FPS, sample_rate=22050)
    taps = _Taps()
    scheduler = _Scheduler()
    scheduler.depth = waiting
    speaker = Speaker(avatar, scheduler, taps)  # type: ignore[arg-type]
    line = Line(f"{name.text} {rest.text}", "en", LineKind.ANSWER, ack=ack.text, name="Ana")
    assert line.open() == [ack.text, name.text, rest.text]

    async def scenario() -> None:
        stop = asyncio.Event()
        pump = asyncio.create_task(_pump(avatar, stop))
        avatar.say(previous.audio, previous.sample_rate, previous.phonemes)
        for index, chunk in ((0, ack), (2, rest)):
            line.put(index, chunk)
            line.put(index, None)

        async def name_ready() -> None:
            await asyncio.sleep(name_after if name_after is not None else previous.duration + 0.5)
            line.put(1, name)
            line.put(1, None)

        naming = asyncio.create_task(name_ready())
        await speaker.speak(line)
        await naming
        await asyncio.wait_for(taps.done.wait(), 10)  # the answer itself plays
        stop.set()
        await pump

    asyncio.run(scenario())
    assert taps.playing and taps.playing[0].startswith(opens_with), taps.playing
    assert taps.answered == [line]
    assert (line.ack is None) == (opens_with == "Ana,")


@pytest.mark.parametrize("again", [False, True])
def test_a_show_line_gives_way_to_an_answer_while_its_next_sentence_is_made(engines, again: bool) -> None:
    """The first sentence of a talking point plays; the second is still being synthesized (it never comes here)
    when an answer comes to wait: the speaker lets the line go at once, so the answer cuts the first sentence at
    its next pause instead of waiting for the second to be made. The rundown has not moved past the line: said
    again after the answers when it was itself a line said again, else the rundown's next line anyway."""
    first = _one(engines, "This lightweight rain jacket folds into its own pocket.")
    avatar = LiveAvatar(load_pack("mika"), (320, 180), fps=FPS, sample_rate=22050)
    taps, scheduler = _Taps(), _Scheduler()
    speaker = Speaker(avatar, scheduler, taps)  # type: ignore[arg-type]
    line = Line(f"{first.text} It weighs only two hundred grams.", "en", LineKind.RUNDOWN, again=again)
    line.open()

    async def scenario() -> float:
        stop = asyncio.Event()
        pump = asyncio.create_task(_pump(avatar, stop))
        line.put(0, first)
        speaking = asyncio.create_task(speaker.speak(line))
        await asyncio.sleep(0.5)
        assert not speaking.done()  # waiting for the second sentence
        scheduler.reply_waiting.set()
        await asyncio.wait_for(speaking, 0.5)
        left = avatar.queued_seconds
        stop.set()
        await pump
        return left

    left = asyncio.run(scenario())
    assert taps.playing == [line.said]
    assert left > 1.0, "let go while its first sentence still plays, for the answer to cut"
    assert not line.done
    assert scheduler.again is (line if again else None)


@pytest.mark.parametrize(
    ("waiting", "after_an_answer", "brisk"),
    [(0, None, False), (2, None, True), (0, 0.0, True), (0, RUSH_SECONDS - 2, True), (0, RUSH_SECONDS + 5, False)],
)
def test_answers_one_after_another_are_said_faster(
    engines, waiting: int, after_an_answer: float | None, brisk: bool
) -> None:
    """Said at its own pace when the host is free; a little faster while other answers wait, or within
    `RUSH_SECONDS` of the end of the last one (`after_an_answer` seconds later)."""
    name, rest = (_one(engines, t) for t in ("Ana,", "the rain jacket is 49 dollars."))
    avatar = LiveAvatar(load_pack("mika"), (320, 180), fps=FPS, sample_rate=22050)
    said: list[float] = []
    say = avatar.say

    def heard_for(audio: np.ndarray, sample_rate: int, *args: object, **kwargs: object) -> None:
        said.append(audio.size / sample_rate)
        say(audio, sample_rate, *args, **kwargs)  # type: ignore[arg-type]

    avatar.say = heard_for  # type: ignore[method-assign]
    scheduler = _Scheduler()
    scheduler.depth = waiting
    count = 1 + (after_an_answer is not None)
    lines = [Line(f"{name.text} {rest.text}", "en", LineKind.ANSWER, name="Ana") for _ in range(count)]
    now = [0.0]
    for line in lines:
        assert line.open() == [name.text, rest.text]
        for index, chunk in enumerate((name, rest)):
            line.put(index, chunk)
            line.put(index, None)

    async def scenario() -> None:
        stop = asyncio.Event()
        pump = asyncio.create_task(_pump(avatar, stop))
        speaker = Speaker(avatar, scheduler, taps := _Taps(), clock=lambda: now[0])  # type: ignore[arg-type]
        for line in lines:
            taps.done.clear()
            await speaker.speak(line)
            await asyncio.wait_for(taps.done.wait(), 10)
            now[0] += name.duration + rest.duration + (after_an_answer or 0.0)  # the answer said, then a pause
        stop.set()
        await pump

    asyncio.run(scenario())
    tempo = BRISK_TEMPO if brisk else 1.0
    assert said[-2:] == pytest.approx([name.duration / tempo, rest.duration / tempo], abs=0.03)  # atempo: +-15 ms
