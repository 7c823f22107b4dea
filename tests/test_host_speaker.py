"""The speaker: an answer's acknowledgement ("Good question!") is said only when the viewer's name is not ready by
the time the speech before it ends."""

from __future__ import annotations

import asyncio

import pytest

from host_engine.avatar.live import LiveAvatar
from host_engine.avatar.pack import load_pack
from host_engine.events import LineKind
from host_engine.host.lines import Line
from host_engine.host.speaker import Speaker
from host_engine.tts import SpeechChunk

FPS = 25.0


class _Scheduler:
    """What the speaker asks of the show's scheduler while it says an answer: to note a cut line."""

    def __init__(self) -> None:
        self.cut_lines: list[object | None] = []

    def cut(self, line: object | None) -> None:
        self.cut_lines.append(line)


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


@pytest.mark.parametrize(("name_after", "opens_with"), [(0.1, "Ana,"), (None, "Good question!")])
def test_the_filler_is_said_only_when_the_name_is_not_ready_in_time(
    engines, name_after: float | None, opens_with: str
) -> None:
    """Another answer (never cut) is still playing when this one's turn comes; a name synthesized while it plays
    replaces the filler, one that is not waits behind the filler."""
    ack, name, rest = (_one(engines, t) for t in ("Good question!", "Ana,", "the rain jacket is 49 dollars."))
    previous = _one(engines, "Thank you, great to have you here!")
    avatar = LiveAvatar(load_pack("mika"), (320, 180), fps=FPS, sample_rate=22050)
    taps = _Taps()
    speaker = Speaker(avatar, _Scheduler(), taps)  # type: ignore[arg-type]
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
