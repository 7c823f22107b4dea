"""`host-engine service`: the studio's service. The jobs API (server/jobs_api.py) over the durable store
(service/store.py) and its runner (service/runner.py), the OpenAI-compatible audio API (server/openai_audio.py) and
Prometheus `/metrics`; every route needs the access token (server/auth.py). Request bodies are capped at an audio
upload's 25 MB, a clip for dubbing at `MAX_CLIP_BYTES`. Finished jobs are kept `keep_days` and within `keep_bytes`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric

from host_engine.durable import try_lock
from host_engine.engines import Engines
from host_engine.errors import HostEngineError
from host_engine.server.auth import Access, protect
from host_engine.server.jobs_api import MAX_CLIP_BYTES, job_routes
from host_engine.server.openai_audio import MAX_UPLOAD_BYTES, audio_routes, openai_error, openai_errors
from host_engine.service.runner import Runner, job_folder
from host_engine.service.store import JobStore

log = logging.getLogger(__name__)

RETENTION_SECONDS = 600.0
"""How often finished jobs past the retention policy are deleted."""


@dataclass(frozen=True)
class Retention:
    keep_days: float = 7.0
    keep_bytes: int = 50 * 1024**3


class JobsCollector:
    """Prometheus metrics read from the store and the runner at scrape time."""

    def __init__(self, store: JobStore, runner: Runner) -> None:
        self.store = store
        self.runner = runner

    def collect(self) -> Iterator[Metric]:  # a scrape reads the store in the route's thread, not the event loop
        jobs = GaugeMetricFamily("service_jobs", "Jobs in the store, by state", labels=["state"])
        for state, count in self.store.counts().items():
            jobs.add_metric([str(state)], count)
        yield jobs
        yield GaugeMetricFamily("service_workers", "Job workers in this process", self.runner.workers)
        yield GaugeMetricFamily("service_workers_busy", "Job workers running a job now", self.runner.busy)
        yield from self.runner.stage_seconds.collect()


def create_service_app(
    access: Access,
    data: Path,
    engines: Engines | None = None,
    workers: int = 1,
    retention: Retention = Retention(),
    ray_address: str | None = None,
) -> FastAPI:
    """The app over the jobs in `data`; with `ray_address`, jobs run their heavy stages on that Ray cluster."""
    data.mkdir(parents=True, exist_ok=True)
    owner = try_lock(data / "service.lock")
    if owner is None:  # two services would each take the other's running jobs for ones a crash left
        raise HostEngineError(f"another service is using {data}; stop it, or pass another --data")
    engines = engines or Engines()
    store = JobStore(data / "jobs.sqlite3")
    executor = None
    if ray_address is not None:
        from host_engine.service.ray_executor import RayExecutor

        executor = RayExecutor(ray_address)
    runner = Runner(store, data, engines, workers, executor)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runner.start()
        pruning = asyncio.create_task(_prune(store, data, retention))
        yield
        pruning.cancel()
        await asyncio.to_thread(runner.stop)
        store.close()
        os.close(owner)

    app = FastAPI(title="host-engine service", lifespan=lifespan)
    protect(app, access, max_body=MAX_UPLOAD_BYTES, larger={"/v1/jobs/dub": MAX_CLIP_BYTES}, error=openai_error)
    openai_errors(app)
    app.include_router(job_routes(store, data, engines, runner.wake))
    app.include_router(audio_routes(engines))
    registry = CollectorRegistry()
    registry.register(JobsCollector(store, runner))

    @app.get("/metrics")
    def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return app


async def _prune(store: JobStore, data: Path, retention: Retention) -> None:
    """Every `RETENTION_SECONDS`: finished jobs past the retention policy, forgotten then their files deleted (a
    failure is logged and tried again the next time)."""
    while True:
        try:
            for job in await asyncio.to_thread(store.expired, retention.keep_days * 86400, retention.keep_bytes):
                await asyncio.to_thread(store.delete, job.id)
                await asyncio.to_thread(shutil.rmtree, job_folder(data, job.id), True)
                log.info("job %s deleted by the retention policy", job.id)
        except Exception:
            log.exception("the retention policy could not run; trying again in %.0f s", RETENTION_SECONDS)
        await asyncio.sleep(RETENTION_SECONDS)
