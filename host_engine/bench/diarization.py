"""Diarization error rate on clips built from real recordings: LibriVox readers (Debian's pocketsphinx-testdata) and
the speakers of pytest-audioeval's clips, taking turns with short pauses between them (or none).

DER = (speech missed + speech found where there is none + speech given to the wrong speaker) / speech, over 10-ms
frames, speakers mapped one to one the way that errs least, no collar. Also: the share of speech given to the right
speaker (what a dub's voices follow) and the number of speakers found.
Run: `python -m host_engine.bench.diarization`; writes benchmarks/diarization/results.json.
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from host_engine.asr import SAMPLE_RATE
from host_engine.bench.results import machine
from host_engine.bench.speech import audioeval_clips, librivox_clips
from host_engine.config import PROJECT_ROOT
from host_engine.media import decode_audio
from host_engine.speakers.diarize import FRAME, Turn, diarize
from host_engine.speakers.encoder import SpeakerEncoder
from host_engine.tts.common import voiced_span

RESULTS = PROJECT_ROOT / "benchmarks" / "diarization" / "results.json"
TARGET_RIGHT_SPEAKER = 0.9


def voices() -> dict[str, list[Path]]:
    """Recordings by speaker: the LibriVox reader, and pytest-audioeval's English, French and Chinese voices."""
    heard = {"reader": librivox_clips()} | {lang: audioeval_clips(lang) for lang in ("en", "fr", "zh")}
    return {speaker: [path for path, _ in clips.clips] for speaker, clips in heard.items()}


@dataclass(frozen=True)
class Clip:
    name: str
    audio: np.ndarray
    turns: list[Turn]
    """Who speaks when, as built."""


def build(name: str, order: Sequence[str], pause: float = 0.4) -> Clip:
    """The speakers of `order` taking turns, each saying their next recording, `pause` seconds apart."""
    heard = voices()
    said = dict.fromkeys(heard, 0)
    speakers = list(dict.fromkeys(order))
    pieces, turns, at = [], [], 0.0
    for speaker in order:
        audio = decode_audio(heard[speaker][said[speaker] % len(heard[speaker])], SAMPLE_RATE)
        said[speaker] += 1
        pieces += [audio, np.zeros(round(pause * SAMPLE_RATE), np.float32)]
        start, end = voiced_span(audio, SAMPLE_RATE)  # a recording's own silence at either end is nobody's
        turns.append(Turn(at + start, at + end, speakers.index(speaker)))
        at += audio.size / SAMPLE_RATE + pause
    return Clip(name, np.concatenate(pieces), turns)


def clips() -> list[Clip]:
    return [
        build("two voices", ["reader", "en", "reader", "en", "reader", "en", "reader"]),
        build("two voices, no pauses", ["reader", "en", "reader", "en", "reader", "en", "reader"], pause=0.05),
        build("three voices", ["reader", "en", "reader", "fr", "en", "reader", "fr", "en", "reader"]),
    ]


def _frames(turns: Sequence[Turn], count: int) -> np.ndarray:
    """Speaker per 10-ms frame, -1 where nobody speaks."""
    labels = np.full(count, -1)
    for turn in turns:
        labels[round(turn.start / FRAME) : round(turn.end / FRAME)] = turn.speaker
    return labels


def score(reference: Sequence[Turn], found: Sequence[Turn], seconds: float) -> dict[str, float]:
    """DER and its parts, and the share of the reference's speech given to its speaker (best one-to-one mapping)."""
    count = round(seconds / FRAME) + 1
    truth, hypothesis = _frames(reference, count), _frames(found, count)
    speech = int((truth >= 0).sum())
    ours = sorted({t.speaker for t in found})
    theirs = sorted({t.speaker for t in reference})
    best = None
    for mapped in itertools.permutations([*theirs, *[-2] * len(ours)], len(ours)):
        relabelled = hypothesis.copy()
        for mine, their in zip(ours, mapped, strict=True):
            relabelled[hypothesis == mine] = their
        right = int(((truth >= 0) & (relabelled == truth)).sum())
        if best is None or right > best[0]:
            best = (right, relabelled)
    right, relabelled = best if best is not None else (0, hypothesis)
    missed = int(((truth >= 0) & (relabelled < 0) & (hypothesis < 0)).sum())
    false_alarm = int(((truth < 0) & (hypothesis >= 0)).sum())
    confused = speech - right - missed
    return {
        "der": (missed + false_alarm + confused) / speech,
        "missed": missed / speech,
        "false_alarm": false_alarm / speech,
        "confusion": confused / speech,
        "right_speaker": right / speech,
    }


def run(encoder: SpeakerEncoder) -> list[dict[str, Any]]:
    rows = []
    for clip in clips():
        seconds = clip.audio.size / SAMPLE_RATE
        for given in (None, len({t.speaker for t in clip.turns})):
            began = time.perf_counter()
            found = diarize(clip.audio, encoder, given)
            took = time.perf_counter() - began
            rows.append({
                "clip": clip.name, "seconds": round(seconds, 1), "speakers": len({t.speaker for t in clip.turns}),
                "given": given, "found": len({t.speaker for t in found}), "rtf": round(took / seconds, 3),
                **{k: round(v, 3) for k, v in score(clip.turns, found, seconds).items()},
            })  # fmt: skip
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, default=RESULTS, help="Where to write results.")
    args = parser.parse_args()
    rows = run(SpeakerEncoder())
    results = {
        "benchmark": "diarization",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "target_right_speaker": TARGET_RIGHT_SPEAKER,
        "clips": rows,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    table = Table(title=f"diarization ({results['machine']})")
    for column in ("clip", "s", "speakers", "given", "found", "DER", "miss", "FA", "conf", "right speaker", "RTF"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            row["clip"], str(row["seconds"]), str(row["speakers"]), str(row["given"] or "-"), str(row["found"]),
            f"{row['der']:.1%}", f"{row['missed']:.1%}", f"{row['false_alarm']:.1%}", f"{row['confusion']:.1%}",
            f"{row['right_speaker']:.1%}", str(row["rtf"]),
        )  # fmt: skip
    console = Console(width=160)
    console.print(table)
    console.print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
