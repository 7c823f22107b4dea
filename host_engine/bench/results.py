"""One measured value of the benchmark suite, as it appears in the JSON report and is judged against targets."""

from __future__ import annotations

import os
import platform
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, TypeVar

Stage = Literal["asr", "mt", "tts", "latency"]
Suite = Literal["quick", "full"]

T = TypeVar("T")

SUITE_SIZES: dict[str, int] = {"quick": 8, "full": 32}
"""Test-split sentences (MT) or utterances (ASR/TTS on synthesized speech) per language in each suite."""


@dataclass(frozen=True)
class Measurement:
    stage: Stage
    metric: str
    """wer | cer | chrf | bleu | p50_s | p95_s | rtf | peak_mb"""
    value: float
    lang: str | None = None
    pair: str | None = None
    """'xx-yy' for MT."""
    synthetic: bool = False
    """True when the audio was made by our own TTS (never mixed into real-speech figures)."""
    samples: int = 0
    detail: dict[str, str] = field(default_factory=dict)
    """Free-form context: the dataset, the MT route, the voice."""

    @property
    def key(self) -> str:
        return f"{self.stage}:{self.pair or self.lang}:{self.metric}"


def suite_sample(items: Sequence[T], size: int) -> list[T]:
    """`size` items spread evenly over `items` (which the text set orders by category), so a quick run still
    sees greetings, prices, shipping and slang, not just the first category."""
    if size >= len(items):
        return list(items)
    step = len(items) / size
    return [items[int(i * step)] for i in range(size)]


def machine() -> str:
    """The machine a benchmark ran on, as every results file names it."""
    return f"{platform.machine()} CPU, {os.cpu_count()} cores, Python {platform.python_version()}"
