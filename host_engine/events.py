"""The typed, immutable events that flow out of live jobs; serialized one JSON object per event.

Times: `start`/`end` are seconds of source audio, `emitted` is seconds since the source started on the same clock,
so `emitted - end` is how long after the speech a caption appeared, in tests and benchmarks alike.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Literal


@dataclass(frozen=True)
class CaptionWord:
    text: str
    start: float
    end: float


@dataclass(frozen=True)
class CaptionEvent:
    """One revision of a caption segment.

    Source-language segments are revised while unconfirmed (`final=False`, lighter on screen) and end with one
    `final=True` revision holding the words the commit policy will never change. Translations are only ever final:
    one event per source sentence and target language, sharing the sentence number with its source segments.
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
    type: Literal["caption"] = field(default="caption", init=False)

    def to_json(self) -> str:
        data = asdict(self)
        data["words"] = [[w["text"], round(w["start"], 3), round(w["end"], 3)] for w in data["words"]]
        for key in ("start", "end", "emitted"):
            data[key] = round(data[key], 3)
        return json.dumps(data, ensure_ascii=False)


@dataclass(frozen=True)
class ErrorEvent:
    """Something went wrong with one session's input; `fatal` says whether the session ended because of it."""

    message: str
    emitted: float
    fatal: bool
    type: Literal["error"] = field(default="error", init=False)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)


@dataclass(frozen=True)
class EndEvent:
    """The source ended (or failed); no more events follow for this session."""

    emitted: float
    audio_seconds: float
    type: Literal["end"] = field(default="end", init=False)

    def to_json(self) -> str:
        return json.dumps(asdict(self))


LiveEvent = CaptionEvent | ErrorEvent | EndEvent
