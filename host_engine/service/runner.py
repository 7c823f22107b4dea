"""Runs the service's queued jobs in this process: a worker thread claims a job from the store, dubs it stage by
stage (the store keeps each stage's progress and checkpoint), moves its outputs into the job's `files` folder and
marks it done; a failure is one line on the job, a cancellation stops it at its next progress report.

Each job lives in `DATA/jobs/<id>/`: `input/` (the upload), `work/` (kept between runs: what a killed run
finished is not done again) and `files/` (what the client downloads); once the job ends only `files/` is kept.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prometheus_client import Histogram

from host_engine.dub.job import DubRequest, dub
from host_engine.dub.stages import Executor, ProgressHook
from host_engine.engines import Engines
from host_engine.errors import HostEngineError
from host_engine.service.store import Job, JobStore

log = logging.getLogger(__name__)

IDLE_SECONDS = 5.0
"""How often an idle worker looks for a queued job when no submit wakes it (`wake`)."""
PROGRESS_SECONDS = 0.5
"""A stage's progress is written (an fsync) at most this often, besides its first and last step."""
TROUBLE_SECONDS = 5.0
"""A worker that could not use the store (a full disk) waits this long before it tries again."""


class Cancelled(Exception):
    """The job was cancelled while it ran."""


@dataclass(frozen=True)
class StoreCheckpoints:
    """A job's stage checkpoints, in the store (`dub.job.Checkpoints`)."""

    store: JobStore
    job_id: str

    def get(self, stage: str, lang: str = "") -> Any | None:
        return self.store.checkpoints(self.job_id).get((stage, lang))

    def put(self, stage: str, value: Any, lang: str = "") -> None:
        self.store.checkpoint(self.job_id, stage, value, lang)


def job_folder(data: Path, job_id: str) -> Path:
    return data / "jobs" / job_id


class Runner:
    """`workers` threads taking queued jobs until `stop`. At `start`, jobs a stopped service left running are
    queued again (`JobStore.recover`), and job folders no job owns (an upload a kill interrupted) are removed."""

    def __init__(
        self, store: JobStore, data: Path, engines: Engines, workers: int = 1, executor: Executor | None = None
    ) -> None:
        self.store = store
        self.data = data
        self.engines = engines
        self.workers = workers
        self.executor = executor
        """Where the heavy stages run (default: in the worker thread; a `RayExecutor`: on a Ray cluster)."""
        self.stage_seconds = Histogram(
            "service_stage_seconds", "Seconds a job's stage took, by stage and target language", ["stage", "lang"],
            registry=None, buckets=(0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800),
        )  # fmt: skip
        """Under Ray a language's translation, synthesis and fit are one task: its seconds count as `synthesize`."""
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._threads: list[threading.Thread] = []
        self._running: set[str] = set()
        self._lock = threading.Lock()

    @property
    def busy(self) -> int:
        """Workers running a job now."""
        with self._lock:
            return len(self._running)

    def start(self) -> None:
        again, failed = self.store.recover()
        if again or failed:
            log.warning("resuming %d job(s) the last run left running; failed %d tried too often", len(again),
                        len(failed))  # fmt: skip
        owned = self.store.ids()
        for folder in (self.data / "jobs").glob("job_*"):
            if folder.name not in owned:
                shutil.rmtree(folder, ignore_errors=True)
        self._threads = [
            threading.Thread(target=self._work, name=f"job-worker-{n}", daemon=True) for n in range(self.workers)
        ]
        for thread in self._threads:
            thread.start()

    def wake(self) -> None:
        """A job was queued: an idle worker takes it now."""
        self._wake.set()

    def stop(self, seconds: float = 5.0) -> None:
        """Stop taking jobs; a job running stays running in the store and resumes at the next start."""
        self._stop.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(seconds)

    def _work(self) -> None:
        while not self._stop.is_set():
            try:
                job = self.store.claim()
                if job is None:
                    self._wake.wait(IDLE_SECONDS)
                    self._wake.clear()
                    continue
                with self._lock:
                    self._running.add(job.id)
                try:
                    self.run(job)
                finally:
                    with self._lock:
                        self._running.discard(job.id)
            except Exception:  # the store itself failed (a full disk): the job stays running until the next start
                log.exception("a job worker could not use the store; trying again in %.0f s", TROUBLE_SECONDS)
                self._stop.wait(TROUBLE_SECONDS)

    def run(self, job: Job) -> None:
        """Run one claimed job to its end: done, failed (one line), or cancelled (its folder removed)."""
        folder = job_folder(self.data, job.id)
        log.info("job %s: running (attempt %d)", job.id, job.attempts)
        try:
            dub(self._request(job, folder), self.engines, self._progress(job.id), work=folder / "work",
                checkpoints=StoreCheckpoints(self.store, job.id), executor=self.executor)  # fmt: skip
        except Cancelled:
            log.info("job %s: cancelled", job.id)
            shutil.rmtree(folder, ignore_errors=True)
            return
        except HostEngineError as exc:
            log.warning("job %s: failed: %s", job.id, exc)
            self._end(folder, self.store.fail(job.id, str(exc).replace(f"{folder}/", "")))
            return
        except Exception as exc:
            log.exception("job %s: failed", job.id)
            self._end(folder, self.store.fail(job.id, f"internal error ({type(exc).__name__}); see the service log"))
            return
        files = folder / "files"
        produced = sorted(path for path in files.iterdir() if path.is_file() and not path.name.startswith("."))
        kept = self.store.finish(job.id, [p.name for p in produced], sum(p.stat().st_size for p in produced))
        self._end(folder, kept)
        log.info("job %s: done, %d files", job.id, len(produced))

    @staticmethod
    def _end(folder: Path, kept: bool) -> None:
        """A job ended: its upload and work are no longer needed; all of it goes when it was cancelled meanwhile."""
        for part in ("input", "work") if kept else ("",):
            shutil.rmtree(folder / part, ignore_errors=True)

    def _request(self, job: Job, folder: Path) -> DubRequest:
        request = job.request
        return DubRequest(
            input=folder / "input" / request["filename"],
            targets=tuple(request["to"]),
            out_dir=folder / "files",
            source_lang=request.get("src"),
            voices=dict(request.get("voices", {})),
            speakers=request.get("speakers"),
        )

    def _progress(self, job_id: str) -> ProgressHook:
        written = 0.0
        began: dict[str, float] = {}

        def report(stage: str, done: int, total: int) -> None:
            nonlocal written
            name, _, lang = stage.partition(" ")
            if done == 0:
                began[stage] = time.monotonic()
            elif done == total and stage in began:
                self.stage_seconds.labels(name, lang).observe(time.monotonic() - began.pop(stage))
            if done not in (0, total) and time.monotonic() - written < PROGRESS_SECONDS:
                return
            written = time.monotonic()
            if not self.store.progress(job_id, name, done, total, lang):
                raise Cancelled

        return report
