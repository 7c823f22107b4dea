"""The typed, immutable events that flow through and out of live jobs (`stages`); the ones a client sees are
serialized one JSON object per event.

Every event is a `DataEvent`, a `ControlEvent` or a `SystemEvent`, and its class sets how a pipe treats it (as
pipecat's frames do): data and control keep their order, system events overtake queued ones, and an `Interrupt`
drops the data still queued while control events (the end of a stream) survive it.

Times: `start`/`end` are seconds of source audio, `emitted` is seconds since the source started on the same clock,
so `emitted - end` is how long after the speech a caption appeared, in tests and benchmarks alike.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from enum import IntEnum, StrEnum
from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np

if TYPE_CHECKING:
    from host_engine.host.answers import Answer
    from host_engine.host.chat import Admission, Comment


class Priority(IntEnum):
    SYSTEM = 0
    CONTROL = 1
    DATA = 2


@dataclass(frozen=True)
class Event:
    priority: ClassVar[Priority] = Priority.DATA


@dataclass(frozen=True)
class DataEvent(Event):
    """What a job produces (audio, words, captions, answers): dropped from a pipe by an `Interrupt`."""


@dataclass(frozen=True)
class ControlEvent(Event):
    """Ordered with the data around it, never dropped (the end of a stream)."""

    priority: ClassVar[Priority] = Priority.CONTROL


@dataclass(frozen=True)
class SystemEvent(Event):
    """Out of band: overtakes every queued data and control event."""

    priority: ClassVar[Priority] = Priority.SYSTEM


def _json(event: Event) -> str:
    """One JSON object, the event's fields (with its `type`), text as it is written."""
    return json.dumps(asdict(event), ensure_ascii=False)


@dataclass(frozen=True)
class EndOfStream(ControlEvent):
    """The input ended: each stage flushes what it holds, then passes this on; nothing follows it."""


@dataclass(frozen=True)
class Interrupt(SystemEvent):
    """Drop the data queued for the stages downstream (a newer event makes it stale)."""


@dataclass(frozen=True, eq=False)
class AudioChunk(DataEvent):
    """16 kHz mono float32 samples from a live source."""

    samples: np.ndarray


@dataclass(frozen=True)
class CaptionWord:
    text: str
    start: float
    end: float


@dataclass(frozen=True)
class CaptionEvent(DataEvent):
    """One revision of a caption segment.

    Source-language segments are revised while unconfirmed (`final=False`, lighter on screen) and end with one
    `final=True` revision holding the words the commit policy will never change. A translation is one segment per
    source sentence and target language, sharing the sentence number with its source segments: while the sentence
    is being said, revisions translating its final words so far (`final=False`: `stable` shown normally, `unstable`
    lighter, `text` both), then one `final=True` revision, the closed sentence's translation.
    """

    lang: str
    text: str
    start: float
    end: float
    emitted: float
    segment: str
    revision: int
    final: bool
    sentence: int
    source: bool
    words: tuple[CaptionWord, ...] = ()
    untranslated: str = ""
    """Why a translation caption has no text: no route kept the sentence's facts (a number, a name, the
    language), so none is shown rather than a wrong one."""
    stable: str = ""
    """Of a translation's `text`: the part that will not change before the sentence's final translation."""
    unstable: str = ""
    """Of a translation's `text`: the rest, likely to change as the sentence goes on."""
    source_end: float | None = None
    """A translation's: where (seconds of source audio) the last source word it translates ends."""
    type: Literal["caption"] = field(default="caption", init=False)

    def to_json(self) -> str:
        data = asdict(self)
        data["words"] = [[w["text"], round(w["start"], 3), round(w["end"], 3)] for w in data["words"]]
        for key in ("start", "end", "emitted", "source_end"):
            data[key] = None if data[key] is None else round(data[key], 3)
        return json.dumps(data, ensure_ascii=False)


@dataclass(frozen=True)
class ErrorEvent(SystemEvent):
    """Something went wrong with one session's input or one of its stages; `fatal` says whether the session ended
    because of it."""

    message: str
    emitted: float
    fatal: bool
    type: Literal["error"] = field(default="error", init=False)

    def to_json(self) -> str:
        return _json(self)


@dataclass(frozen=True)
class EndEvent(ControlEvent):
    """The source ended (or failed); no more events follow for this session."""

    emitted: float
    audio_seconds: float
    type: Literal["end"] = field(default="end", init=False)

    def to_json(self) -> str:
        return _json(self)


@dataclass(frozen=True)
class ProductEvent(DataEvent):
    """The product on air as one market sees it on the overlay: its name in the market's language, its price there
    and the market's ad label (empty when the market has none, or `price` when it is not sold there)."""

    market: str
    lang: str
    name: str
    price: str
    label: str
    type: Literal["product"] = field(default="product", init=False)

    def to_json(self) -> str:
        return _json(self)


LiveEvent = CaptionEvent | ErrorEvent | EndEvent
OverlayEvent = LiveEvent | ProductEvent


class LineKind(StrEnum):
    """What a line the host says is: a rundown talking point, the invitation to chat, or a viewer's answer."""

    RUNDOWN = "rundown"
    IDLE = "idle"
    ANSWER = "answer"


@dataclass(frozen=True)
class Spoken(DataEvent):
    """One line the host said, for the journal, captions and the benchmark."""

    text: str
    lang: str
    kind: LineKind
    comment_id: str | None = None
    ready_s: float | None = None
    """Comment received -> its answer's first sentence synthesized (seconds)."""
    starts_s: float | None = None
    """Comment received -> that audio's turn in the output (adds the end of the sentence being spoken)."""
    ad_label: str | None = None
    at_s: float = 0.0
    """Where the line starts in the output stream (seconds since the first frame)."""


@dataclass(frozen=True)
class CommentIn(DataEvent):
    """A viewer's comment from any chat source, `received` on the monotonic clock; `restored`: accepted before a
    restart and never heard answered."""

    comment: Comment
    received: float
    restored: bool = False


@dataclass(frozen=True)
class Refused(DataEvent):
    """A comment not answered: `reason` is the journal's word for it (`queue full`, a moderation verdict), `why`
    the detail for the log."""

    comment_id: str
    lang: str | None
    reason: str
    why: str = ""


@dataclass(frozen=True)
class Admitted(DataEvent):
    comment: Comment
    admission: Admission
    received: float


@dataclass(frozen=True)
class AnswerReady(DataEvent):
    comment: Comment
    answer: Answer
    name: str
    """The viewer's name as the answer says it (checked by the gate)."""
    received: float
