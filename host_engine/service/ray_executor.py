"""A dub's heavy stages as Ray tasks (`host-engine service --ray ADDRESS`): one task per clip transcribes it, then
one task per target language translates, voices, fits and mixes its track, so clips and languages spread over
every core of every node. A worker process keeps its models loaded between tasks (`_engines`). The clip travels
to the workers through Ray's object store and the tracks come back the same way: nodes share no folder with the
service, which writes every result and checkpoint itself. A worker that dies mid-task is replaced and the task
run again by Ray (`max_retries`); a task that fails on the clip itself (no speech, an unsupported language) is not.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import ray
from ray.exceptions import RayTaskError

from host_engine.asr import Segment
from host_engine.dub.stages import MIX_RATE, LanguageJob, ProgressHook, Track, dub_language, transcribe_clip
from host_engine.engines import Engines
from host_engine.errors import HostEngineError
from host_engine.media import decode_audio

LOOPBACK = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}
"""Ray's own switch that keeps every node of a `Cluster` on 127.0.0.1 (never the machine's network address)."""
TASK_RETRIES = 3
"""Times Ray runs a task again after its worker process or node died."""


@cache
def _engines() -> Engines:
    """The worker process's engines, loaded at its first task and kept for the next ones."""
    return Engines()


def _node() -> str:
    return str(ray.get_runtime_context().get_node_id())


@contextmanager
def _clip_on_disk(clip: bytes, name: str) -> Iterator[Path]:
    """The clip written to a temporary file of the worker's (FFmpeg reads files), removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="host-engine-clip-") as folder:
        path = Path(folder) / name
        path.write_bytes(clip)
        yield path


@ray.remote(max_retries=TASK_RETRIES)
def _transcribe(clip: bytes, name: str, source: str | None) -> tuple[list[Segment], str]:
    with _clip_on_disk(clip, name) as path:
        return transcribe_clip(_engines(), path, source)


@ray.remote(max_retries=TASK_RETRIES)
def _dub(clip: bytes, name: str, job: LanguageJob) -> Track:
    with _clip_on_disk(clip, name) as path:
        original = decode_audio(path, MIX_RATE)
    track = dub_language(_engines(), original, job)
    return dataclasses.replace(track, where=_node())


def _result(ref: Any) -> Any:
    """A task's result; a user error raised in the task is raised here as itself (one line, no remote traceback)."""
    try:
        return ray.get(ref)
    except RayTaskError as exc:
        if isinstance(exc.cause, HostEngineError):
            raise exc.cause from None
        raise


class RayExecutor:
    """Joins the Ray cluster at `address` ('auto': the one this machine is part of; 'local': start one here)."""

    def __init__(self, address: str) -> None:
        if not ray.is_initialized():
            ray.init(address=None if address == "local" else address, include_dashboard=False, log_to_driver=False,
                     configure_logging=False)  # fmt: skip

    def warm(self, source: str | None, targets: Sequence[str]) -> None:
        """Nothing: each Ray worker loads its engines with its first task and keeps them."""

    def transcribe(self, clip: Path, source: str | None) -> tuple[list[Segment], str]:
        return _result(_transcribe.remote(ray.put(clip.read_bytes()), clip.name, source))

    def dub_languages(
        self, clip: Path, original: np.ndarray, jobs: list[LanguageJob], progress: ProgressHook
    ) -> Iterator[Track]:
        """Every language at once as its own task; each track as it comes back. A cancelled job (`progress`
        raises) cancels the tasks still running."""
        if not jobs:
            return
        shared = ray.put(clip.read_bytes())
        pending = {_dub.remote(shared, clip.name, job): job for job in jobs}
        try:
            for job in jobs:
                progress(f"synthesize {job.target}", 0, 1)
            while pending:
                [ready], _ = ray.wait(list(pending), num_returns=1)
                job = pending.pop(ready)
                track = _result(ready)
                progress(f"translate {job.target}", 1, 1)
                progress(f"synthesize {job.target}", 1, 1)
                yield track
        finally:
            for ref in pending:
                ray.cancel(ref, force=True)


@contextmanager
def loopback_cluster(nodes: int = 2) -> Iterator[str]:
    """A Ray cluster of `nodes` one-CPU nodes on this machine's loopback (Ray's `Cluster` helper), for tests and
    benchmarks; yields its address, shuts it down after."""
    os.environ.update(LOOPBACK)
    from ray.cluster_utils import Cluster

    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False})
    try:
        for _ in range(nodes - 1):
            cluster.add_node(num_cpus=1)
        cluster.wait_for_nodes()
        yield cluster.address
    finally:
        cluster.shutdown()
