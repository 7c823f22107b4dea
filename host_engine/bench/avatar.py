"""Avatar: render speed on one core at 720p and 1080p, and audio-video sync measured from the rendered files.

Speech: a 20 s live-commerce pitch read by the English voice (Piper) with 2 s of silence at each end, and a
Japanese line read by Kokoro. Each pack renders it with mouth shapes from the audio and from the voice's phonemes;
sync is measured from the MP4 alone (`avatar.sync`). Speed: frames drawn per second with OpenCV on one thread
and the process pinned to one core (drawing only), and the whole `render` (drawing + H.264/AAC encoding on both
cores) against the clip's duration. Run: `python -m host_engine.bench.avatar`; exit 1 when a target is missed.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from rich.console import Console
from rich.table import Table

from host_engine.avatar.motion import IdleMotion
from host_engine.avatar.pack import available_packs, load_pack
from host_engine.avatar.render import RenderOptions, frames, make_renderer, render_track
from host_engine.avatar.stage import SIZES
from host_engine.avatar.sync import measure_sync
from host_engine.avatar.visemes import VisemeTrack, from_audio, from_phonemes
from host_engine.bench.results import machine
from host_engine.config import PROJECT_ROOT
from host_engine.engines import Engines
from host_engine.media import probe, write_wav
from host_engine.speech import SpokenLine, speak
from host_engine.tts import PhonemeTiming

RESULTS_DIR = PROJECT_ROOT / "benchmarks" / "avatar"
TARGETS = {"fps_720p_one_core": 25.0, "abs_offset_ms": 40.0, "correlation": 0.5}
SPEECH = {
    "en": "Welcome back to the studio. Tonight we have three new products for you, starting with a lightweight "
    "rain jacket that folds into its own pocket. It costs forty nine dollars, and shipping is free in every "
    "market. Ask me anything in the chat, in any language, and I will answer you right away.",
    "ja": "こんばんは。今夜のおすすめは、ポケットにたためる軽いレインジャケットです。送料は無料です。",
}
PAD_SECONDS = 2.0
SPEED_FRAMES = 250


def _padded(line: SpokenLine) -> SpokenLine:
    pad = np.zeros(int(PAD_SECONDS * line.sample_rate), np.float32)
    phonemes = tuple(PhonemeTiming(p.phoneme, p.start + PAD_SECONDS, p.end + PAD_SECONDS) for p in line.phonemes)
    return SpokenLine(np.concatenate([pad, line.audio, pad]), line.sample_rate, phonemes)


def _track(line: SpokenLine, source: str, fps: float) -> VisemeTrack:
    duration = line.audio.size / line.sample_rate
    if source == "phonemes":
        return from_phonemes(line.phonemes, duration, fps, (line.audio, line.sample_rate))
    return from_audio(line.audio, line.sample_rate, fps)


@contextmanager
def one_core() -> Iterator[None]:
    """Pin this process to one core and OpenCV to one thread for the duration."""
    cores = os.sched_getaffinity(0)
    threads = cv2.getNumThreads()
    os.sched_setaffinity(0, {min(cores)})
    cv2.setNumThreads(1)
    try:
        yield
    finally:
        os.sched_setaffinity(0, cores)
        cv2.setNumThreads(threads)


def draw_speed(pack_name: str, size: str, track: VisemeTrack) -> float:
    """Frames drawn per second on one core (no encoding)."""
    renderer = make_renderer(load_pack(pack_name), SIZES[size])
    with one_core():
        began = time.perf_counter()
        for index, _ in enumerate(frames(renderer, track, IdleMotion(0))):
            if index + 1 >= SPEED_FRAMES:
                break
        return SPEED_FRAMES / (time.perf_counter() - began)


def measure_render(pack_name: str, line: SpokenLine, source: str, scratch: Path) -> dict[str, object]:
    options = RenderOptions()
    speech = scratch / f"speech-{len(line.audio)}.wav"
    write_wav(speech, line.audio, line.sample_rate)
    output = scratch / f"{pack_name}-{source}.mp4"
    pack = load_pack(pack_name)
    began = time.perf_counter()
    count = render_track(pack, _track(line, source, options.fps), speech, output, options)
    wall = time.perf_counter() - began
    report = measure_sync(output, pack)
    return {
        "pack": pack_name,
        "kind": pack.kind,
        "mouth_from": source,
        "audio_seconds": round(line.audio.size / line.sample_rate, 3),
        "video_seconds": round(probe(output).duration, 3),
        "frames": count,
        "render_wall_s": round(wall, 2),
        "realtime_factor": round(wall / (line.audio.size / line.sample_rate), 3),
        **{k: v for k, v in asdict(report).items() if k not in ("frames", "fps", "duration")},
    }


def run() -> dict[str, Any]:
    engines = Engines()
    lines = {lang: _padded(speak(engines, text, lang, 24000)) for lang, text in SPEECH.items()}
    speed = []
    for pack_name in available_packs():
        for size in SIZES:
            fps = draw_speed(pack_name, size, _track(lines["en"], "audio", 25.0))
            speed.append({"pack": pack_name, "size": size, "fps_one_core": round(fps, 1)})
    renders = []
    with tempfile.TemporaryDirectory(prefix="avatar-bench-") as scratch:
        for pack_name in available_packs():
            for lang, source in (("en", "audio"), ("en", "phonemes"), ("ja", "phonemes")):
                row = measure_render(pack_name, lines[lang], source, Path(scratch))
                renders.append({"lang": lang, **row})
    met = {
        "fps_720p_one_core": all(
            r["fps_one_core"] >= TARGETS["fps_720p_one_core"] for r in speed if r["size"] == "720p"
        ),
        "abs_offset_ms": all(abs(r["offset_ms"]) <= TARGETS["abs_offset_ms"] for r in renders),
        "correlation": all(r["correlation"] >= TARGETS["correlation"] for r in renders),
        "faster_than_real_time_720p": all(r["realtime_factor"] < 1.0 for r in renders),
    }
    return {
        "benchmark": "avatar",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{machine()}, OpenCV {cv2.__version__}",
        "targets": TARGETS,
        "speed": speed,
        "renders": renders,
        "met": met,
    }


def markdown(results: dict[str, Any]) -> str:
    lines = ["| pack | size | frames/s drawn, one core |", "|---|---|---|"]
    lines += [f"| {r['pack']} | {r['size']} | {r['fps_one_core']} |" for r in results["speed"]]
    lines += [
        "",
        "| pack | speech | mouth from | audio s | video s | render wall s (2 cores) | offset ms | correlation "
        "| opening speech / silence |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results["renders"]:
        lines.append(
            f"| {r['pack']} | {r['lang']} | {r['mouth_from']} | {r['audio_seconds']} | {r['video_seconds']} "
            f"| {r['render_wall_s']} | {r['offset_ms']} | {r['correlation']} "
            f"| {r['speech_opening']} / {r['silence_opening']} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    results = run()
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / "results.json").write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n")
    (RESULTS_DIR / "results.md").write_text(markdown(results))
    console = Console(width=160)
    table = Table(title=f"avatar ({results['machine']})")
    for column in ("pack", "speech", "mouth from", "video s", "render s", "offset ms", "correlation"):
        table.add_column(column)
    for r in results["renders"]:
        table.add_row(
            r["pack"], r["lang"], r["mouth_from"], f"{r['video_seconds']} / {r['audio_seconds']}",
            str(r["render_wall_s"]), str(r["offset_ms"]), str(r["correlation"]),
        )  # fmt: skip
    console.print(table)
    for r in results["speed"]:
        console.print(f"{r['pack']} {r['size']}: {r['fps_one_core']} frames/s drawn on one core")
    console.print(f"targets met: {results['met']}")
    console.print(f"wrote {RESULTS_DIR / 'results.json'}")
    if not all(results["met"].values()):
        sys.exit(1)


if __name__ == "__main__":
    main()
