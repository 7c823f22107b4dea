"""Dubbing speed: wall time, per-stage time and real-time factor of dubbing clips into pt and es, first run and warm.

*First run* is what a user's first `host-engine dub` (and `make demo`) costs: a new process that imports, loads
its models and dubs; its wall time is the command's, from start to exit. *Warm* is the same dub again in a
process whose engines are loaded (a long-running worker, the job service). Per-stage seconds are the job's own
(a per-language stage is summed over the languages, which run side by side, so stages add up to more than the
wall time).

Clips: the shipped sample (real LibriVox speech); two voices taking turns (the sample's LibriVox reader and
pytest-audioeval's English speaker: real recordings, built as the diarization benchmark builds them); a
live-commerce script read by the English Piper voice (synthetic speech, labelled so), whose reference
translations give the chrF of the dubbed subtitles; and, unless `--short`, ten minutes of the sample's readings
one after another, to show how the cost grows with length.
Run: `python -m host_engine.bench.dub_speed [--short]`; writes benchmarks/dub_speed/results.json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pysubs2
import yaml
from rich.console import Console
from rich.table import Table
from sacrebleu.metrics import CHRF

from host_engine.asr import SAMPLE_RATE
from host_engine.bench.diarization import build
from host_engine.bench.results import machine
from host_engine.config import PROJECT_ROOT
from host_engine.dub.job import DubRequest, dub
from host_engine.engines import Engines
from host_engine.media import decode_audio, write_wav
from host_engine.speech import speak_line

TARGETS = ("pt", "es")
COMMERCE_SENTENCES = 9
LONG_SECONDS = 600.0
SAMPLE = PROJECT_ROOT / "samples" / "librivox_sense.mp4"
RESULTS = PROJECT_ROOT / "benchmarks" / "dub_speed" / "results.json"


def commerce_script(count: int = COMMERCE_SENTENCES) -> list[dict[str, str]]:
    data = yaml.safe_load((PROJECT_ROOT / "benchmarks" / "text" / "commerce.yaml").read_text(encoding="utf-8"))
    return [item["text"] for item in data["items"] if item["split"] == "test"][:count]


def read_aloud(engines: Engines, sentences: list[str], path: Path, rate: int = 22050) -> None:
    pause = np.zeros(int(0.7 * rate), np.float32)
    pieces = [pause]
    for sentence in sentences:
        pieces += [speak_line(engines, sentence, "en", rate), pause]
    write_wav(path, np.concatenate(pieces), rate)


def _looped(clip: Path, seconds: float, path: Path) -> None:
    """`clip`'s audio repeated to `seconds`."""
    audio = decode_audio(clip, SAMPLE_RATE)
    write_wav(path, np.tile(audio, int(np.ceil(seconds * SAMPLE_RATE / audio.size)))[: round(seconds * SAMPLE_RATE)],
              SAMPLE_RATE)  # fmt: skip


def _subtitle_text(path: Path) -> str:
    return " ".join(event.plaintext.replace("\n", " ") for event in pysubs2.load(str(path)))


def _first_run(clip: Path, out: Path) -> tuple[float, dict[str, Any]]:
    """The command's wall time in a new process, and its report."""
    command = [sys.executable, "-m", "host_engine", "dub", str(clip), "--src", "en", "--to", ",".join(TARGETS),
               "--out", str(out)]  # fmt: skip
    began = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    took = time.perf_counter() - began
    return took, json.loads((out / f"{clip.stem}.report.json").read_text(encoding="utf-8"))


def _row(label: str, run: str, report: dict[str, Any], wall: float, chrf: dict[str, float]) -> dict[str, Any]:
    lines = [line for segment in report["segments"] for line in segment["targets"].values()]
    return {
        "clip": label,
        "run": run,
        "duration": report["duration"],
        "speakers": len(report["speakers"]),
        "voices": report["voices"],
        "stages": report["stages"],
        "wall_seconds": round(wall, 2),
        "real_time_factor": round(wall / report["duration"], 3),
        "overrun_lines": sum(line["overrun"] > 0 for line in lines),
        "lines": len(lines),
        "routes": report["routes"],
        "subtitle_chrf": chrf,
    }


def run(short: bool = False) -> dict[str, object]:
    rows = []
    engines = Engines()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        two_voices = folder / "two_voices.wav"
        write_wav(two_voices, build("two voices", ["reader", "en", "reader", "en", "reader", "en", "reader"]).audio,
                  SAMPLE_RATE)  # fmt: skip
        clips: list[tuple[str, Path, list[dict[str, str]] | None]] = [
            ("librivox_sense (real speech)", SAMPLE, None),
            ("two voices (real speech)", two_voices, None),
        ]
        for label, clip, _ in clips:
            wall, report = _first_run(clip, folder / f"first-{clip.stem}")
            rows.append(_row(label, "first", report, wall, {}))
        script = commerce_script()
        commerce = folder / "commerce_en.wav"
        read_aloud(engines, [item["en"] for item in script], commerce)
        clips.append(("commerce script (synthetic speech)", commerce, script))
        if not short:
            long_clip = folder / "ten_minutes.wav"
            _looped(SAMPLE, LONG_SECONDS, long_clip)
            clips.append(("sample looped to 10 min (real speech)", long_clip, None))
        for label, clip, references in clips:
            out = folder / f"warm-{clip.stem}"
            result = dub(DubRequest(input=clip, targets=TARGETS, out_dir=out, source_lang="en"), engines)
            report = json.loads(result.report.read_text(encoding="utf-8"))
            chrf = {}
            for lang in TARGETS if references else ():
                reference = " ".join(item[lang] for item in references or [])
                hypothesis = _subtitle_text(result.subtitles[lang][0])
                chrf[lang] = round(CHRF().corpus_score([hypothesis], [[reference]]).score, 1)
            rows.append(_row(label, "warm", report, report["wall_seconds"], chrf))
    return {
        "benchmark": "dub_speed",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "targets": list(TARGETS),
        "clips": rows,
    }


def print_table(results: dict[str, object], console: Console) -> None:
    clips = results["clips"]
    assert isinstance(clips, list)
    stages = list(dict.fromkeys(name for row in clips for name in row["stages"]))
    table = Table(title=f"dub --to {','.join(TARGETS)} (first: a new process, loading included; warm: loaded)")
    for column in ("clip", "run", "audio s", "speakers", *stages, "wall s", "RTF", "overruns", "chrF pt/es"):
        table.add_column(column, justify="left" if column in ("clip", "run") else "right")
    for row in clips:
        table.add_row(
            row["clip"],
            row["run"],
            f"{row['duration']:.1f}",
            str(row["speakers"]),
            *(f"{row['stages'].get(name, 0):.1f}" for name in stages),
            f"{row['wall_seconds']:.1f}",
            f"{row['real_time_factor']:.2f}",
            f"{row['overrun_lines']}/{row['lines']}",
            "/".join(str(v) for v in row["subtitle_chrf"].values()) or "-",
        )
    console.print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--short", action="store_true", help="leave out the 10-minute clip")
    results = run(parser.parse_args().short)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    console = Console(width=220)
    print_table(results, console)
    console.print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
