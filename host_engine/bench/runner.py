"""`host-engine bench`: measure every stage, judge each value against its floor and target, write the reports."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from host_engine.bench.facts import measure_facts
from host_engine.bench.metrics import peak_memory_mb
from host_engine.bench.mt import measure_mt
from host_engine.bench.results import SUITE_SIZES, Measurement, machine
from host_engine.bench.speech import measure_speech
from host_engine.bench.targets import TARGETS_PATH, Verdict, judge, load_rules
from host_engine.config import PROJECT_ROOT
from host_engine.engines import Engines
from host_engine.errors import HostEngineError
from host_engine.mt import Pair
from host_engine.mt.router import DEFAULT_QUALITY_PATH, QualityTable, calibrate, load_parallel_set
from host_engine.tts import seed_voices

RESULTS_DIR = PROJECT_ROOT / "benchmarks" / "results"
Progress = Callable[[str, int, int], None]
DEV_NAME = "benchmarks/text/commerce.yaml (dev split)"


def calibrate_routes(pairs: Sequence[Pair] | None = None) -> Path:
    """Measure again, on the dev split, the direct edges and the two best pivot routes of `pairs` (default: every
    pair of the dev split's languages), and every installed edge the quality table lacks; the router reads the
    result (the test split stays for `run_suite`). The rest of the table is kept as it was."""
    table = calibrate(
        Engines().router,
        load_parallel_set(split="dev"),
        pairs,
        base=QualityTable.load(),
        top_k=2,
        dev_name=DEV_NAME,
        again=True,
    )
    table.save()
    return DEFAULT_QUALITY_PATH


def run_suite(
    suite: str, tier: str, progress: Progress | None = None, targets: Path = TARGETS_PATH
) -> tuple[list[Verdict], dict[str, object]]:
    if suite not in SUITE_SIZES:
        raise HostEngineError(f"unknown suite '{suite}'; use one of {', '.join(SUITE_SIZES)}")
    rules = load_rules(tier, targets)
    seed_voices()  # a run reads the same audio back, so a floor judges the code, not the voices' noise
    engines = Engines()
    began = time.perf_counter()
    measurements: list[Measurement] = [
        *measure_speech(engines, suite, progress),
        *measure_mt(engines, suite, progress=progress),
        *measure_facts(engines, suite, progress=progress),
    ]
    measurements.append(Measurement("latency", "peak_mb", peak_memory_mb(), lang="all"))
    header = {
        "tier": tier,
        "suite": suite,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "wall_seconds": round(time.perf_counter() - began, 1),
    }
    return judge(measurements, rules), header
