"""The virtual host's answer latency: comments in all 13 languages submitted to a running show, timed from arrival to
the answer's first synthesized audio (`ready`) and to its first sound in the output (`heard`: an answer cuts the
rundown sentence being said at its next pause between words, so this adds that wait), with answers per minute.

Two phases: `start`, comments from the show's first seconds (`START_DELAY` after it starts, while it translates
the overlay and fills the voice's memory: what viewers meet in a show's first minutes or right after a restart; the
voice's memory on disk from an earlier run is kept, as on a restart, unless `--forget-voice`: a first start; with
`--prepare` as well, a first start after `host-engine host --prepare`, timed; `--fresh`: the show's whole state folder
emptied, translations too, a first start on a fresh machine),
and `warm`, comments once that start-up work is done (as on a show that has been on air a while). Comments come
one at a time, `--gap` seconds apart (6 s: 10 a minute, the issue's load; 12 s: the host is mostly free). The
show runs in real time with the shipped pipeline (its translations cached in ~/.cache/host-engine/bench-host,
models loaded in this process) and no video output (drawing still runs).
Run: `python -m host_engine.bench.host [--gap 6] [--phase start|warm|both] [--forget-voice [--prepare] | --fresh]`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil
from rich.console import Console
from rich.table import Table

from host_engine.bench.metrics import percentiles
from host_engine.bench.results import machine
from host_engine.config import PROJECT_ROOT
from host_engine.durable import backup_path
from host_engine.engines import Engines
from host_engine.events import Spoken
from host_engine.host.chat import Comment
from host_engine.host.pipeline import load_pipeline
from host_engine.host.show import Show
from host_engine.registry import cache_root

RESULTS_DIR = PROJECT_ROOT / "benchmarks" / "host"
TARGET_READY_P50 = 0.5
TARGET_HEARD = {"p50": 1.0, "p95": 2.5}
START_DELAY = 5.0
"""Seconds after the show starts that the `start` phase's first comment comes."""
PHASES = ("start", "warm")
COMMENTS = {
    "en": ["How much is the rain jacket?", "Can I return it?"],
    "es": ["¿Cuánto cuesta la chaqueta impermeable?", "¿Puedo devolverlo?"],
    "pt": ["Quanto custa a jaqueta?", "Qual é o frete?"],
    "fr": ["Combien coûte la veste de pluie ?", "Quel est le prix de la livraison ?"],
    "de": ["Wie viel kostet die Regenjacke?", "Wie ist der Versand?"],
    "ar": ["كم سعر السترة؟", "كم الشحن؟"],
    "id": ["Berapa harga jaket hujan ini?", "Masih ada stok?"],
    "ms": ["Berapa harga baju hujan ni?", "Berapa lama penghantaran ke Johor?"],
    "th": ["เสื้อกันฝนราคาเท่าไหร่คะ", "ค่าส่งเท่าไหร่"],
    "vi": ["Áo khoác này giá bao nhiêu vậy?", "Phí ship bao nhiêu?"],
    "zh": ["这件雨衣多少钱？", "包邮吗？运费多少？"],
    "ja": ["このレインジャケットはいくらですか？", "返品できますか？"],
    "ko": ["이 재킷 가격이 얼마예요?", "배송비는 얼마예요?"],
}


def _interleaved() -> list[str]:
    """One comment per language in turn, then the second of each."""
    return [texts[i] for i in range(2) for texts in COMMENTS.values()]


async def _drive(show: Show, gap: float, phase: str) -> float:
    """Submit every comment `gap` seconds apart into the running show; returns the minutes it ran."""
    stop = asyncio.Event()
    running = asyncio.create_task(show.run(stop, []))
    if phase == "warm":
        await show.ready.wait()
    else:
        await asyncio.sleep(START_DELAY)
    began = time.monotonic()
    for index, text in enumerate(_interleaved()):
        await show.submit(Comment(f"bench-{index}", f"viewer{index}", text))
        await asyncio.sleep(gap)
    await asyncio.sleep(10)
    stop.set()
    await running
    return (time.monotonic() - began) / 60


def run(
    engines: Engines, gap: float, phase: str, forget_voice: bool = False, prepare: bool = False, fresh: bool = False
) -> dict[str, Any]:
    pipeline = load_pipeline(PROJECT_ROOT / "pipelines" / "overnight_host.yaml")
    chat = pipeline.chat.model_copy(update={"irc": None, "per_user_seconds": 0})
    pipeline = pipeline.model_copy(update={"chat": chat, "state_dir": cache_root() / "bench-host"})
    if fresh:
        shutil.rmtree(pipeline.state_dir, ignore_errors=True)
    for kept in (pipeline.state_dir / "state.json", backup_path(pipeline.state_dir / "state.json")):
        kept.unlink(missing_ok=True)  # a fresh show, not a restart
    if forget_voice:
        shutil.rmtree(pipeline.state_dir / "voice", ignore_errors=True)
    prepared_s = None
    if prepare:
        began = time.monotonic()
        asyncio.run(Show(pipeline, engines).prepare(lambda stage, done, total: None))
        prepared_s = round(time.monotonic() - began, 1)
    remembered = len(list((pipeline.state_dir / "voice").glob("*.npz")))
    spoken: list[Spoken] = []
    show = Show(pipeline, engines, on_spoken=spoken.append)
    rss_before = psutil.Process().memory_info().rss
    minutes = asyncio.run(_drive(show, gap, phase))
    answers = [s for s in spoken if s.kind == "answer"]
    rows = []
    for lang in COMMENTS:
        mine = [a for a in answers if a.lang == lang]
        voice = engines.voice_profile(lang).engine
        rows.append({
            "lang": lang, "voice": voice, "answered": len(mine), "of": len(COMMENTS[lang]),
            "ready_s": [round(a.ready_s or 0, 3) for a in mine], "heard_s": [round(a.starts_s or 0, 3) for a in mine],
            "texts": [a.text for a in mine],
        })  # fmt: skip
    ready = [a.ready_s for a in answers if a.ready_s is not None]
    starts = [a.starts_s for a in answers if a.starts_s is not None]
    return {
        "benchmark": "host",
        "phase": phase,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "comment_gap_s": gap,
        "fresh_state": fresh,
        "voice_memory_on_disk": remembered,
        "prepared_s": prepared_s,
        "minutes": round(minutes, 2),
        "comments": sum(len(v) for v in COMMENTS.values()),
        "answered": len(answers),
        "answers_per_minute": round(len(answers) / minutes, 2),
        "blocked": show.counters.blocked,
        "ready_s": {k: round(v, 3) for k, v in percentiles(ready).items()} if ready else {},
        "heard_s": {k: round(v, 3) for k, v in percentiles(starts).items()} if starts else {},
        "target_ready_p50_s": TARGET_READY_P50,
        "target_heard_s": TARGET_HEARD,
        "rss_mb": {"before": round(rss_before / 2**20), "after": round(psutil.Process().memory_info().rss / 2**20)},
        "languages": rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gap", type=float, default=6.0, help="Seconds between comments (26 in all).")
    parser.add_argument("--phase", choices=(*PHASES, "both"), default="both", help="When the comments come.")
    parser.add_argument("--json", type=Path, default=RESULTS_DIR / "results.json", help="Where to write results.")
    parser.add_argument(
        "--forget-voice", action="store_true",
        help="Empty the voice's memory on disk before the start phase: a first start, not a restart.",
    )  # fmt: skip
    parser.add_argument(
        "--prepare", action="store_true",
        help="Then prepare the show off air (host-engine host --prepare) before the start phase.",
    )  # fmt: skip
    parser.add_argument(
        "--fresh", action="store_true",
        help="Empty the show's state folder (voice memory and translations): a first start on a fresh machine.",
    )  # fmt: skip
    args = parser.parse_args()
    phases = PHASES if args.phase == "both" else (args.phase,)
    engines = Engines()
    first = {"forget_voice": args.forget_voice, "prepare": args.prepare, "fresh": args.fresh}
    runs = [run(engines, args.gap, phase, **(first if phase == "start" else {})) for phase in phases]
    path = args.json
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(runs, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    console = Console(width=160)
    for results in runs:
        table = Table(title=f"host answers, {results['phase']} phase ({results['machine']})")
        for column in ("lang", "voice", "answered", "ready s", "heard s"):
            table.add_column(column)
        for row in results["languages"]:
            table.add_row(row["lang"], row["voice"], f"{row['answered']}/{row['of']}",
                          " ".join(map(str, row["ready_s"])), " ".join(map(str, row["heard_s"])))  # fmt: skip
        console.print(table)
        console.print(
            f"{results['phase']}: ready p50/p95 {results['ready_s']}, heard {results['heard_s']} (target "
            f"{TARGET_HEARD}), {results['answers_per_minute']} answers/min, blocked {results['blocked']}, "
            f"RSS {results['rss_mb']}"
        )
    console.print(f"wrote {path}")


if __name__ == "__main__":
    main()
