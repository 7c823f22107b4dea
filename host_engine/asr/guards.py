"""Hallucination guards that work in every language: decoder confidence, compression, loops, silence.

No phrase lists: Whisper's "thanks for watching" on silence is caught by its own statistics (no-speech probability,
average log-probability), loops by repeated n-grams over words (or characters in unspaced scripts), and a
character loop inside one "word" by a run of one letter that no word has.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import TypeVar

import numpy as np

from host_engine.asr import Segment, Word

T = TypeVar("T")


@dataclass(frozen=True)
class GuardSettings:
    min_avg_logprob: float = -1.0
    max_compression_ratio: float = 2.4
    max_no_speech_prob: float = 0.6
    no_speech_logprob: float = -0.8
    """A high no-speech probability drops a segment only when its words are this unconfident too (Whisper's own
    rule, with a stricter confidence): long confident readings often carry a high no-speech probability."""
    max_ngram: int = 8
    max_repeats: int = 2
    """An n-gram may appear this many times in a row; longer runs collapse to one occurrence."""
    max_letter_run: int = 5
    """A letter may appear this many times in a row in a word; a longer run is a character loop ("rrrrrrrr..."),
    not a word, and is dropped. Digits are not letters: "1000000" stays."""
    silence_dbfs: float = -55.0
    max_chars_per_second: float = 50.0
    """Faster than anyone speaks (fast speech is ~20): words crammed into a blip are an echo of the prompt."""


def is_silent(audio: np.ndarray, threshold_dbfs: float = GuardSettings.silence_dbfs) -> bool:
    """True when the loudest 100 ms of `audio` stays below `threshold_dbfs`."""
    window = 1600
    if audio.size == 0:
        return True
    usable = audio[: audio.size - audio.size % window] if audio.size >= window else audio
    frames = usable.reshape(-1, min(window, usable.size))
    peak_rms = float(np.sqrt((frames.astype(np.float64) ** 2).mean(axis=1)).max())
    return 20 * np.log10(max(peak_rms, 1e-10)) < threshold_dbfs


def collapse_repeats(items: Sequence[T], key: Sequence[str], max_ngram: int, max_repeats: int) -> list[T]:
    """Drop runs of more than `max_repeats` consecutive identical n-grams (compared by `key`), keeping one."""
    kept_items, kept_keys = list(items), list(key)
    for n in range(1, max_ngram + 1):
        i = 0
        while i + n <= len(kept_keys):
            gram = kept_keys[i : i + n]
            run = 1
            while kept_keys[i + run * n : i + (run + 1) * n] == gram:
                run += 1
            if run > max_repeats:
                del kept_items[i + n : i + run * n]
                del kept_keys[i + n : i + run * n]
            i += 1
    return kept_items


def _token_key(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.lower())


def _clean_words(segment: Segment, settings: GuardSettings) -> Segment:
    """The segment without character loops posing as words and with word loops collapsed."""
    loop = re.compile(rf"([^\W\d_])\1{{{settings.max_letter_run},}}")
    if segment.words:
        words: list[Word] = [w for w in segment.words if not loop.search(w.text)]
        words = collapse_repeats(words, [_token_key(w.text) for w in words], settings.max_ngram, settings.max_repeats)
        if len(words) == len(segment.words):
            return segment
        return replace(segment, words=tuple(words), text="".join(w.text for w in words).strip())
    pieces = re.findall(r"\S+\s*", segment.text) if " " in segment.text.strip() else list(segment.text)
    pieces = [p for p in pieces if not loop.search(p)]
    kept = collapse_repeats(pieces, [_token_key(p) for p in pieces], settings.max_ngram, settings.max_repeats)
    return replace(segment, text="".join(kept).strip())


def is_confident(segment: Segment, settings: GuardSettings) -> bool:
    probably_silence = (
        segment.no_speech_prob > settings.max_no_speech_prob and segment.avg_logprob < settings.no_speech_logprob
    )
    spoken = segment.words[-1].end - segment.words[0].start if segment.words else segment.end - segment.start
    return (
        len(segment.text) <= settings.max_chars_per_second * max(spoken, 0.5)
        and segment.avg_logprob >= settings.min_avg_logprob
        and segment.compression_ratio <= settings.max_compression_ratio
        and not probably_silence
    )


def guard_segments(segments: Iterable[Segment], settings: GuardSettings | None = None) -> Iterator[Segment]:
    """Lazily drop unconfident segments, collapse loops, and skip a segment that repeats the previous one."""
    settings = settings or GuardSettings()
    previous = ""
    for segment in segments:
        if not is_confident(segment, settings):
            continue
        cleaned = _clean_words(segment, settings)
        key = _token_key(cleaned.text)
        if not key or key == previous:
            continue
        previous = key
        yield cleaned
