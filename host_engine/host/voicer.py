"""A line's voice: its pieces synthesized in turn into the line's chunk queues, as soon as the line is made (an
answer as it is queued, a show line as the scheduler picks it), so that the speaker finds audio waiting."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from host_engine.events import LineKind
from host_engine.host.lines import Line
from host_engine.host.voicing import Urgency, Voice


class LineVoicer:
    """`failed(stage)` is called, with the exception being handled, when a line's voice fails (the line is then
    marked `voice_failed` and its remaining pieces end empty)."""

    def __init__(self, voice: Voice, failed: Callable[[str], None]) -> None:
        self.voice = voice
        self.failed = failed
        self._tasks: set[asyncio.Task[None]] = set()
        self.answers_voicing = 0
        """Answers whose audio is being synthesized now (the start-up work gives way to them)."""

    def start(self, line: Line) -> Line:
        """Start voicing `line` now, piece by piece, into its chunk queues."""
        urgency = Urgency.ANSWER if line.kind is LineKind.ANSWER else Urgency.SHOW
        said = line.open()
        answer = line.kind is LineKind.ANSWER
        self.answers_voicing += answer

        async def voice() -> None:
            done = 0
            try:
                for index, piece in enumerate(said):
                    remember = line.name is None or line.name not in piece  # not the viewer's name
                    async for chunk in self.voice.say(line.lang, piece, urgency, remember):
                        line.put(index, chunk)
                    line.put(index, None)
                    done += 1
            except Exception:
                line.voice_failed = True
                self.failed("voice")
            finally:
                self.answers_voicing -= answer
                for index in range(done, len(said)):
                    line.put(index, None)

        self._tasks.add(task := asyncio.create_task(voice()))
        line.synthesis = task
        task.add_done_callback(self._tasks.discard)
        return line
