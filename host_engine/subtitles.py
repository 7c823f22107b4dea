"""Subtitle cues: cutting recognized words into readable cues, wrapping lines per language, SRT/VTT output."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

import pysubs2

from host_engine.asr import Segment
from host_engine.languages import MAX_CAPTION_SECONDS, MIN_CAPTION_SECONDS, Language
from host_engine.text import ends_sentence

CLAUSE_END = re.compile(r"[,;:，、；：]$")
MAX_LINES = 2
CLEAR_PAUSE = 0.3
"""Seconds of silence between words that mark a phrase boundary worth cutting at."""


class TimedWord(Protocol):
    text: str
    start: float
    end: float


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    text: str
    speaker: int | None = None
    """Who says it (0, 1, ... as diarization numbers them), where known."""


def _joined(words: Sequence[TimedWord]) -> str:
    return "".join(w.text for w in words).strip()


def _best_break(words: Sequence[TimedWord], lang: Language) -> int:
    """Index after which to cut an over-long run: a sentence end, else a clause end, else a clear pause,
    else the most even split (halves translate and read better than a long part and a stub)."""
    limit = lang.max_line_chars * MAX_LINES
    candidates = [
        i
        for i in range(1, len(words))
        if len(_joined(words[:i])) <= limit and words[i - 1].end - words[0].start <= MAX_CAPTION_SECONDS
    ] or [1]

    total = len(_joined(words))

    def score(i: int) -> tuple[int, bool, float]:
        text = words[i - 1].text.strip()
        rank = 2 if ends_sentence(text) else 1 if CLAUSE_END.search(text) else 0
        pause = words[i].start - words[i - 1].end >= CLEAR_PAUSE
        return rank, pause, -abs(total / 2 - len(_joined(words[:i])))

    return max(candidates, key=score)


def cues_from_segments(segments: Sequence[Segment], lang: Language) -> list[Cue]:
    """Cut recognized speech into cues that obey `lang`'s reading rules (chars per cue, duration).

    Sentences are kept whole where they fit, since each cue is also the unit that gets translated and dubbed.
    """
    return cues_from_words([w for s in segments for w in s.words], lang)


def cues_from_words(all_words: Sequence[TimedWord], lang: Language) -> list[Cue]:
    words = [w for w in all_words if w.text.strip()]
    limit = lang.max_line_chars * MAX_LINES
    cues: list[Cue] = []
    start = 0
    while start < len(words):
        end = start + 1
        while end < len(words):
            sentence_done = ends_sentence(words[end - 1].text)
            gap = words[end].start - words[end - 1].end
            if sentence_done or gap > 1.0:
                break
            end += 1
        run = words[start:end]
        too_long = len(_joined(run)) > limit or run[-1].end - run[0].start > MAX_CAPTION_SECONDS
        if too_long and len(run) > 1:
            end = start + _best_break(run, lang)
            run = words[start:end]
        cues.append(Cue(run[0].start, max(run[-1].end, run[0].start + MIN_CAPTION_SECONDS), _joined(run)))
        start = end
    return without_overlaps(cues)


def without_overlaps(cues: list[Cue]) -> list[Cue]:
    """Minimum durations may push a cue into the next one: end it where the next begins."""
    fixed = []
    for i, cue in enumerate(cues):
        end = min(cue.end, cues[i + 1].start) if i + 1 < len(cues) else cue.end
        fixed.append(replace(cue, end=end))
    return fixed


def wrap(text: str, lang: Language) -> str:
    """Break `text` into at most two balanced lines of the language's line length (longer text stays on 2)."""
    text = " ".join(text.split())
    if len(text) <= lang.max_line_chars:
        return text
    if lang.spaced:
        words = text.split(" ")
        splits = [(" ".join(words[:i]), " ".join(words[i:])) for i in range(1, len(words))]
    else:
        splits = [(text[:i], text[i:]) for i in range(1, len(text))]
    if not splits:
        return text
    first, second = min(splits, key=lambda pair: (max(len(pair[0]), len(pair[1])), len(pair[1])))
    return f"{first}\n{second}"


def speaker_label(speaker: int) -> str:
    """How subtitles and reports name a speaker: S1, S2, ..."""
    return f"S{speaker + 1}"


def _subtitle_file(cues: Sequence[Cue], lang: Language, fmt: str) -> pysubs2.SSAFile:
    """Where the cues have more than one speaker, each cue names its own: WebVTT's voice tag (`<v S1>`), or an
    `[S1]` before an SRT cue's text."""
    labelled = len({cue.speaker for cue in cues if cue.speaker is not None}) > 1
    subs = pysubs2.SSAFile()
    for cue in cues:
        text = wrap(cue.text, lang).replace("\n", r"\N")
        if labelled and cue.speaker is not None:
            label = speaker_label(cue.speaker)
            text = f"<v {label}>{text}" if fmt == "vtt" else f"[{label}] {text}"
        subs.append(pysubs2.SSAEvent(start=round(cue.start * 1000), end=round(cue.end * 1000), text=text))
    return subs


def subtitles_text(cues: Sequence[Cue], lang: Language, fmt: str) -> str:
    """`fmt` is "srt" or "vtt"."""
    return _subtitle_file(cues, lang, fmt).to_string(format_=fmt)


def write_subtitles(cues: Sequence[Cue], lang: Language, srt: Path, vtt: Path) -> None:
    _subtitle_file(cues, lang, "srt").save(str(srt), format_="srt")
    _subtitle_file(cues, lang, "vtt").save(str(vtt), format_="vtt")


def _timestamp(seconds: float, separator: str) -> str:
    ms = round(seconds * 1000)
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}{separator}{ms % 1000:03d}"


class SubtitleAppender:
    """SRT and VTT files that grow cue by cue as a live job finalizes them; complete and valid after every cue."""

    def __init__(self, srt: Path, vtt: Path, lang: Language) -> None:
        self.srt, self.vtt, self.lang = srt, vtt, lang
        self.count = 0
        srt.write_text("", encoding="utf-8")
        vtt.write_text("WEBVTT\n\n", encoding="utf-8")

    def append(self, cues: Sequence[Cue]) -> None:
        srt_blocks, vtt_blocks = [], []
        for cue in cues:
            self.count += 1
            text = wrap(cue.text, self.lang)
            srt_blocks.append(f"{self.count}\n{_timestamp(cue.start, ',')} --> {_timestamp(cue.end, ',')}\n{text}\n\n")
            vtt_blocks.append(f"{_timestamp(cue.start, '.')} --> {_timestamp(cue.end, '.')}\n{text}\n\n")
        with self.srt.open("a", encoding="utf-8") as srt:
            srt.write("".join(srt_blocks))
        with self.vtt.open("a", encoding="utf-8") as vtt:
            vtt.write("".join(vtt_blocks))
