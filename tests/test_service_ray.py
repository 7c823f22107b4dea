"""`host-engine service --ray` against a real 2-node Ray cluster on loopback (Ray's own `Cluster` helper; the
nodes never bind the machine's network address): a batch of clips spreads over both nodes, and a Ray worker
killed in the middle of a language's task is replaced and the task run again: every job done once, files intact."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest
from served import TOKEN, served

from host_engine.media import probe
from host_engine.service.ray_executor import LOOPBACK, loopback_cluster

AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    with loopback_cluster() as address:
        yield address


def _ray_task(name: str) -> psutil.Process | None:
    """A Ray worker process running the task `name` now (Ray titles them `ray::NAME`)."""
    for process in psutil.process_iter(["cmdline"]):
        if any(part.startswith(f"ray::{name}") for part in process.info["cmdline"] or []):
            return process
    return None


def test_jobs_spread_over_both_nodes_and_survive_a_killed_worker(
    cluster: str, short_clip: Path, tmp_path: Path
) -> None:
    clip = short_clip
    args = ("service", "--data", str(tmp_path / "data"), "--workers", "2", "--ray", cluster)
    with served(*args, folder=tmp_path, env=LOOPBACK) as service:
        ids = []
        for _ in range(2):
            with clip.open("rb") as upload:
                reply = httpx.post(f"{service.url}/v1/jobs/dub", headers=AUTH, files={"file": (clip.name, upload)},
                                   data={"to": "es,pt", "src": "en"}, timeout=60)  # fmt: skip
            assert reply.status_code == 202, reply.text
            ids.append(reply.json()["id"])
        deadline = time.monotonic() + 600
        while (worker := _ray_task("_dub")) is None:
            assert time.monotonic() < deadline, service.stderr()[-3000:]
            time.sleep(0.2)
        worker.kill()
        jobs = {}
        while len(jobs) < len(ids):
            assert time.monotonic() < deadline, service.stderr()[-3000:]
            time.sleep(1)
            for job_id in ids:
                job = httpx.get(f"{service.url}/v1/jobs/{job_id}", headers=AUTH, timeout=10).json()
                if job["state"] not in ("queued", "running"):
                    jobs[job_id] = job
        assert {j["state"] for j in jobs.values()} == {"done"}, jobs
        assert all(j["attempts"] == 1 for j in jobs.values())  # Ray ran the killed task again; the job ran once
        nodes = set()
        for job_id in ids:
            base = f"{service.url}/v1/jobs/{job_id}/files"
            report = httpx.get(f"{base}/replay.report.json", headers=AUTH, timeout=10).json()
            assert set(report["ran_on"]) == {"es", "pt"} and report["segments"][0]["targets"]["pt"]["text"]
            nodes |= set(report["ran_on"].values())
            video = tmp_path / f"{job_id}.mp4"
            video.write_bytes(httpx.get(f"{base}/replay.dub.mp4", headers=AUTH, timeout=60).content)
            assert probe(video).duration == pytest.approx(6.0, abs=0.2)
        assert len(nodes) == 2, nodes  # both nodes dubbed languages


def test_a_folder_of_clips_is_dubbed_on_the_cluster_and_a_bad_one_is_one_line(
    cluster: str, short_clip: Path, tmp_path: Path
) -> None:
    clip = short_clip
    folder, out = tmp_path / "clips", tmp_path / "out"
    folder.mkdir()
    for name in ("monday.mp4", "tuesday.mp4"):
        shutil.copy(clip, folder / name)
    (folder / "broken.mp4").write_bytes(b"")
    (folder / "notes.txt").write_text("not a clip")
    command = [sys.executable, "-m", "host_engine", "dub", str(folder), "--to", "es", "--src", "en", "--out", str(out),
               "--ray", cluster]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, **LOOPBACK}, timeout=600)
    assert done.returncode == 2, done.stderr
    assert "failed broken.mp4: " in done.stderr and "empty" in done.stderr and "Traceback" not in done.stderr
    for day in ("monday", "tuesday"):
        report = json.loads((out / f"{day}.report.json").read_text(encoding="utf-8"))
        assert report["ran_on"]["es"] != "local" and probe(out / f"{day}.dub.mp4").duration == pytest.approx(6, abs=0.2)
    assert not (out / "broken.report.json").exists() and not (out / "notes.report.json").exists()
