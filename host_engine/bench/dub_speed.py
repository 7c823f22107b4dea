"""Dubbing speed: wall time per stage and real-time factor of `dub` on two clips, plus subtitle chrF.

Clips: the shipped sample (real LibriVox speech) and a live-commerce script read by the English Piper voice from
the test split of benchmarks/text/commerce.yaml (synthetic speech, labelled so), whose reference translations
give the chrF of the dubbed subtitles. Model loading is timed apart from the job, as a long-running worker
loads once.
"""

from __future__ import annotations

import itertools
import json
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pysubs2
import yaml
from rich.console import Console
from rich.table import Table
from sacrebleu.metrics import CHRF

from host_engine.bench.results import machine
from host_engine.config import PROJECT_ROOT
from host_engine.dub.job import DubRequest, dub
from host_engine.engines import Engines
from host_engine.media import write_wav
from host_engine.speech import speak_line

TARGETS = ("pt", "es")
VOICE_SETS: dict[str, dict[str, str]] = {
    "default voices": {},
    "espeak voices": {"pt": "pt-espeak", "es": "es-espeak"},
}
"""The defaults are the most intelligible voices (Kokoro for pt and es); espeak-ng is the fast fallback."""
COMMERCE_SENTENCES = 9
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


def _timed_load(engines: Engines) -> float:
    began = time.perf_counter()
    _ = engines.recognizer, engines.translator
    for voices in VOICE_SETS.values():
        for lang in ("en", *TARGETS):
            engines.synthesizer(lang, voices.get(lang))
    return time.perf_counter() - began


def _subtitle_text(path: Path) -> str:
    return " ".join(event.plaintext.replace("\n", " ") for event in pysubs2.load(str(path)))


def run() -> dict[str, object]:
    engines = Engines()
    load_seconds = _timed_load(engines)
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        script = commerce_script()
        commerce = Path(scratch) / "commerce_en.wav"
        read_aloud(engines, [item["en"] for item in script], commerce)
        clips = [
            ("librivox_sense (real speech)", PROJECT_ROOT / "samples" / "librivox_sense.mp4", None),
            ("commerce_en (synthetic speech)", commerce, script),
        ]
        for (label, clip, references), (voice_set, voices) in itertools.product(clips, VOICE_SETS.items()):
            out = Path(scratch) / clip.stem
            request = DubRequest(input=clip, targets=TARGETS, out_dir=out, source_lang="en", voices=voices)
            result = dub(request, engines)
            report = json.loads(result.report.read_text(encoding="utf-8"))
            chrf = {}
            if references:
                for lang in TARGETS:
                    reference = " ".join(item[lang] for item in references)
                    hypothesis = _subtitle_text(result.subtitles[lang][0])
                    chrf[lang] = round(CHRF().corpus_score([hypothesis], [[reference]]).score, 1)
            overruns = sum(line["overrun"] > 0 for seg in report["segments"] for line in seg["targets"].values())
            rows.append(
                {
                    "clip": label,
                    "voices_set": voice_set,
                    "duration": report["duration"],
                    "stages": report["stages"],
                    "wall_seconds": report["wall_seconds"],
                    "real_time_factor": report["real_time_factor"],
                    "segments": len(report["segments"]),
                    "overrun_lines": overruns,
                    "routes": report["routes"],
                    "voices": report["voices"],
                    "subtitle_chrf": chrf,
                }
            )
    return {
        "benchmark": "dub_speed",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "targets": list(TARGETS),
        "model_load_seconds": round(load_seconds, 2),
        "clips": rows,
    }


def print_table(results: dict[str, object], console: Console) -> None:
    clips = results["clips"]
    assert isinstance(clips, list)
    stages = list(clips[0]["stages"])
    table = Table(title=f"dub --to {','.join(TARGETS)}  (model loading {results['model_load_seconds']} s, once)")
    for column in ("clip", "voices", "audio s", *stages, "total s", "RTF", "overruns", "chrF pt/es"):
        table.add_column(column, justify="left" if column == "clip" else "right")
    for row in clips:
        chrf = "/".join(str(v) for v in row["subtitle_chrf"].values()) or "-"
        table.add_row(
            row["clip"],
            "/".join(row["voices"].values()),
            f"{row['duration']:.1f}",
            *(f"{row['stages'].get(name, 0):.1f}" for name in stages),
            f"{row['wall_seconds']:.1f}",
            f"{row['real_time_factor']:.2f}",
            f"{row['overrun_lines']}/{2 * row['segments']}",
            chrf,
        )
    console.print(table)


def main() -> None:
    results = run()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    console = Console(width=200)
    print_table(results, console)
    console.print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
