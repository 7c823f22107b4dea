"""A line the host says, and the pieces it is voiced in."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from host_engine.events import LineKind, Spoken
from host_engine.host.answers import Answer
from host_engine.host.chat import Comment
from host_engine.host.phrases import phrase
from host_engine.text import has_unspaced_script
from host_engine.tts import SpeechChunk

GREETING_MAX = 40
"""Characters an answer's greeting ("Ana,") may take at most: a longer one is voiced with the rest."""


@dataclass
class Line:
    """A line on its way to the viewers: what it says, its pieces' audio as they are synthesized, and what
    happened to it."""

    text: str
    lang: str
    kind: LineKind
    comment: Comment | None = None
    received: float | None = None
    answer: Answer | None = None
    parts: list[asyncio.Queue[SpeechChunk | None]] = field(default_factory=list)
    """One queue per piece (`voiced`), filled by the synthesis task (`put`) as each sentence is ready; None ends
    each."""
    ready: list[float | None] = field(default_factory=list)
    """When each piece's first chunk was synthesized (monotonic), by piece."""
    begun: list[asyncio.Event] = field(default_factory=list)
    """Set, by piece, once it has its first chunk or is over."""
    captions: dict[str, str] = field(default_factory=dict)
    """What the line says in each market language the show has it in (language -> text), for the overlay."""
    synthesis: asyncio.Task[None] | None = None
    joined: list[Line] = field(default_factory=list)
    """Answers to other viewers that say the same; their greetings are said with this one's (`GROUP_MAX`)."""
    ack: str | None = None
    """A short acknowledgement said before the answer ("Good question!"): it is in the voice's memory, so it
    plays at once while the viewer's name is synthesized."""
    name: str | None = None
    """The viewer's name as the answer says it (checked by the chat gate): said once, never remembered."""
    attempts: int = 1
    voice_failed: bool = False
    again: bool = False
    """A rundown line said again after an answer cut it short: the rundown has moved past it already."""
    done: bool = False
    """Handed whole to the avatar."""
    spoken: Spoken | None = None
    """What the show measured when the line started playing (`first_audio`); an answer's is journalled once
    it is heard."""

    def open(self) -> list[str]:
        """The pieces to voice (`voiced`), each given its empty chunk queue."""
        said = self.voiced()
        self.parts = [asyncio.Queue() for _ in said]
        self.ready = [None for _ in said]
        self.begun = [asyncio.Event() for _ in said]
        return said

    def put(self, index: int, chunk: SpeechChunk | None) -> None:
        """Piece `index`'s next chunk, or None: the piece is over."""
        if chunk is not None and self.ready[index] is None:
            self.ready[index] = time.monotonic()
        self.parts[index].put_nowait(chunk)
        self.begun[index].set()

    def voiced(self) -> list[str]:
        """The pieces said one after the other: the acknowledgement, then `pieces` of the text."""
        return [*([self.ack] if self.ack else []), *pieces(self.text, self.kind, self.lang)]

    @property
    def said(self) -> str:
        """The whole line as heard."""
        return joined(self.voiced())


def pieces(text: str, kind: LineKind, lang: str) -> list[str]:
    """What is voiced one after the other: an answer's greeting (phrases.yaml `greeting`: "Ana,", "yukiさん、",
    "คุณAna ค่ะ") on its own, short to synthesize, so it starts the answer while the rest is made (or found in
    memory: the rest is the same for every viewer)."""
    if kind is not LineKind.ANSWER:
        return [text]
    before, _, after = phrase(lang, "greeting").partition("{name}")
    end = after.rstrip()  # "Ana, " ends at its comma; a comma inside the price ("1,590 THB") is not it
    at = text.find(end, len(before) + 1) if end else -1
    if at < 0 or at + len(end) > GREETING_MAX:
        return [text]
    return [text[: at + len(end)], text[at + len(end) :].lstrip()]


def joined(said: list[str]) -> str:
    return ("" if has_unspaced_script("".join(said)) else " ").join(said)
