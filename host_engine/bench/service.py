"""Dubbing throughput of the studio's service: a batch of clips (`--clips` copies of the shipped sample, each its
first `--seconds`, dubbed to `--to`) done three ways, in one run on one machine:

- `one by one`: `dub()` on each clip in turn in this process (models loaded once, before the clock starts);
- `service`: `host-engine service --workers W` on loopback, every clip submitted at once over HTTP;
- `service + Ray`: the same with `--ray` on a 2-node Ray cluster on loopback (one CPU each).

Reported: wall time from the first submit to the last job done, clips per hour, and the service's per-job
overhead (submit -> its run starts, on an idle service). The services start cold (their workers load models during
the run, as a service does after a restart). Writes benchmarks/service/results.json.
Run: `python -m host_engine.bench.service [--clips 8] [--seconds 30] [--to pt,es] [--workers 2]`.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from host_engine.bench.results import machine
from host_engine.config import PROJECT_ROOT
from host_engine.dub.job import DubRequest, dub
from host_engine.engines import Engines
from host_engine.errors import HostEngineError
from host_engine.server.jobs_client import JobsClient

SAMPLE = PROJECT_ROOT / "samples" / "librivox_sense.mp4"
RESULTS = PROJECT_ROOT / "benchmarks" / "service" / "results.json"


def _clips(folder: Path, count: int, seconds: float) -> list[Path]:
    clips = []
    for n in range(count):
        path = folder / f"clip{n:02d}.mp4"
        command = ["ffmpeg", "-nostdin", "-loglevel", "error", "-i", str(SAMPLE), "-t", str(seconds), str(path)]
        subprocess.run(command, check=True)
        clips.append(path)
    return clips


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@contextmanager
def _service(folder: Path, workers: int, ray_address: str | None = None) -> Iterator[JobsClient]:
    token, port = secrets.token_urlsafe(24), _free_port()
    command = [sys.executable, "-m", "host_engine", "service", "--data", str(folder / "data"), "--port", str(port),
               "--workers", str(workers), *(["--ray", ray_address] if ray_address else [])]  # fmt: skip
    environment = {**os.environ, "HOST_ENGINE_TOKEN": token}  # under `loopback_cluster`: its LOOPBACK switch too
    with (folder / "service.log").open("wb") as log:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log, env=environment)
    try:
        deadline = time.monotonic() + 120
        while not _listening(port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the service did not start: {(folder / 'service.log').read_text()[-2000:]}")
            time.sleep(0.3)
        yield JobsClient(f"http://127.0.0.1:{port}", token)
    except HostEngineError as exc:  # the service died under the batch: say why, from its log
        raise RuntimeError(f"{exc}; the service's log ends:\n{(folder / 'service.log').read_text()[-3000:]}") from None
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()


def _batch(client: JobsClient, clips: list[Path], to: str) -> dict[str, Any]:
    began = time.monotonic()
    ids = [client.submit(clip, to, "en")["id"] for clip in clips]
    jobs: dict[str, dict[str, Any]] = {}
    while len(jobs) < len(ids):
        time.sleep(1)
        for job_id in ids:
            job = client.job(job_id)
            if job["state"] not in ("queued", "running"):
                jobs[job_id] = job
    wall = time.monotonic() - began
    failed = [j["error"] for j in jobs.values() if j["state"] != "done"]
    return {"wall_s": round(wall, 1), "clips_per_hour": round(len(clips) * 3600 / wall, 1), "failed": failed}


def _overhead(client: JobsClient, clip: Path, to: str) -> float:
    """Submit -> the job's run starts, on an idle service (its models loaded by the batch before)."""
    job = client.submit(clip, to, "en")
    while (status := client.job(job["id"]))["started"] is None:
        time.sleep(0.05)
    return round(status["started"] - status["created"], 3)


def run(count: int, seconds: float, to: str, workers: int) -> dict[str, Any]:
    results: dict[str, Any] = {"benchmark": "service", "date": datetime.now(UTC).isoformat(timespec="seconds"),
                               "machine": machine(), "clips": count, "clip_seconds": seconds, "to": to,
                               "workers": workers, "ways": {}}  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="host-engine-bench-service-") as scratch:
        folder = Path(scratch)
        clips = _clips(folder, count, seconds)
        engines = Engines()
        _ = engines.recognizer, engines.translator
        began = time.monotonic()
        for clip in clips:
            dub(DubRequest(clip, tuple(to.split(",")), folder / "one-by-one", "en"), engines)
        wall = time.monotonic() - began
        results["ways"]["one by one"] = {"wall_s": round(wall, 1), "clips_per_hour": round(count * 3600 / wall, 1)}
        (folder / "local").mkdir()
        with _service(folder / "local", workers) as client:
            results["ways"]["service"] = _batch(client, clips, to)
            results["ways"]["service"]["overhead_s"] = _overhead(client, clips[0], to)
        (folder / "ray").mkdir()
        from host_engine.service.ray_executor import loopback_cluster

        with loopback_cluster() as address, _service(folder / "ray", workers, address) as client:
            results["ways"]["service + Ray, 2 nodes"] = _batch(client, clips, to)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=30.0, help="Each clip's length (the sample is 29.5 s).")
    parser.add_argument("--to", default="pt,es")
    parser.add_argument("--workers", type=int, default=2, help="Jobs the service runs at once.")
    args = parser.parse_args()
    results = run(args.clips, args.seconds, args.to, args.workers)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    table = Table(title=f"{args.clips} clips of {args.seconds:g} s dubbed to {args.to} ({results['machine']})")
    for column in ("way", "wall s", "clips/hour", "per-job overhead s"):
        table.add_column(column)
    for way, row in results["ways"].items():
        table.add_row(way, str(row["wall_s"]), str(row["clips_per_hour"]), str(row.get("overhead_s", "")))
    Console(width=140).print(table)
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
