"""The service's jobs API: dubbing jobs a studio's tools submit, watch, download and cancel.

    POST   /v1/jobs/dub                multipart `file`, `to` (pt,es), `src`, `voices` (pt=pt-espeak,pt:S2=pt-kumo),
                                       `speakers` (how many; estimated when left out); an
                                       `Idempotency-Key` header makes a retried submit return the first job
    GET    /v1/jobs                    newest first; `state`, `limit`, `after` (the last id of the page before)
    GET    /v1/jobs/{id}               state, per-stage and per-language progress, ETA, error, files
    GET    /v1/jobs/{id}/events        the same as server-sent events, until the job ends
    GET    /v1/jobs/{id}/files/{name}  one of its files (the dubbed MP4, SRT/VTT, the report)
    DELETE /v1/jobs/{id}               cancel a queued or running job; a finished one is forgotten, its files deleted

A submit is checked before it is accepted (languages, voices, a readable media file): a bad one is one 400 line and
no job. The upload is saved under the job's id before the job is queued, so no worker can take a job whose input
is not in place; the job is committed to the store before its id is returned.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Header, HTTPException, Query, UploadFile
from fastapi import Path as RoutePath
from fastapi.responses import FileResponse, StreamingResponse

from host_engine.dub.casting import checked_voice_choices
from host_engine.engines import Engines
from host_engine.errors import BadInputError, HostEngineError
from host_engine.languages import get_language, parse_language_list
from host_engine.media import probe
from host_engine.server.uploads import save_upload
from host_engine.service.runner import job_folder
from host_engine.service.store import (
    FINISHED,
    JOB_ID,
    IdempotencyConflict,
    Job,
    JobState,
    JobStore,
    Stage,
    new_job_id,
)
from host_engine.speakers import MAX_SPEAKERS

MAX_CLIP_BYTES = 4 * 1024**3
"""A clip upload's cap (a few hours of 1080p replay)."""
MAX_QUEUED = 200
"""Jobs waiting at most; a submit past it is refused (429) before its upload is kept."""
EVENT_SECONDS = 0.5
"""How often an events stream looks at its job."""
KEEPALIVE_SECONDS = 15.0
WEIGHTS = {"decode": 0.5, "transcribe": 3.0, "speakers": 0.3, "translate": 1.0, "synthesize": 4.0, "mux": 0.5}
"""Each stage's share of a dub's work (per target language for those in `PER_LANGUAGE`), for progress and ETA."""
PER_LANGUAGE = ("translate", "synthesize")

JobId = Annotated[str, RoutePath(pattern=JOB_ID)]


def job_routes(store: JobStore, data: Path, engines: Engines, queued: Callable[[], None]) -> APIRouter:
    """The routes (`queued` is told of each new job). Those that only read or write the store are plain functions
    (FastAPI runs them in its thread pool): a store busy with a worker's write never stalls the event loop."""
    routes = APIRouter(prefix="/v1/jobs")

    def found(job_id: str) -> Job:
        job = store.get(job_id)
        if job is None:
            raise HTTPException(404, f"no job {job_id}")
        return job

    @routes.post("/dub", status_code=202)
    async def submit(
        file: Annotated[UploadFile, File()],
        to: Annotated[str, Form(max_length=120)],
        src: Annotated[str | None, Form(max_length=16)] = None,
        voices: Annotated[str, Form(max_length=500)] = "",
        speakers: Annotated[int | None, Form(ge=1, le=MAX_SPEAKERS)] = None,
        idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
    ) -> dict[str, Any]:
        """Queue a clip for dubbing; returns the job at once (202)."""
        try:
            request = {**_dub_request(engines, to, src, voices), "speakers": speakers}
        except HostEngineError as exc:
            raise HTTPException(400, str(exc)) from None
        if (await asyncio.to_thread(store.counts))[JobState.QUEUED] >= MAX_QUEUED:
            raise HTTPException(429, f"{MAX_QUEUED} jobs are queued; submit again later", headers={"Retry-After": "60"})
        job_id = new_job_id()
        staged = job_folder(data, job_id)
        try:
            clip, digest = await save_upload(file, staged / "input")
            if not (await asyncio.to_thread(probe, clip)).has_audio:
                raise BadInputError(f"{clip.name}: has no sound to dub")
            body = {**request, "filename": clip.name, "sha256": digest}
            job, new = await asyncio.to_thread(store.submit, "dub", body, idempotency_key, job_id)
        except HostEngineError as exc:
            await asyncio.to_thread(shutil.rmtree, staged, True)
            status = 409 if isinstance(exc, IdempotencyConflict) else 400
            raise HTTPException(status, str(exc).replace(f"{staged / 'input'}/", "")) from None
        except BaseException:
            await asyncio.to_thread(shutil.rmtree, staged, True)
            raise
        if new:
            queued()
        else:
            await asyncio.to_thread(shutil.rmtree, staged, True)
        return await asyncio.to_thread(view, store, job)

    @routes.get("")
    def listing(
        state: JobState | None = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        after: Annotated[str | None, Query(pattern=JOB_ID)] = None,
    ) -> dict[str, Any]:
        try:
            jobs = store.page(state, limit + 1, after)
        except HostEngineError as exc:
            raise HTTPException(400, str(exc)) from None
        shown = jobs[:limit]
        return {"data": [view(store, job) for job in shown], "has_more": len(jobs) > limit,
                "last_id": shown[-1].id if shown else None}  # fmt: skip

    @routes.get("/{job_id}")
    def status(job_id: JobId) -> dict[str, Any]:
        return view(store, found(job_id))

    @routes.get("/{job_id}/events")
    def events(job_id: JobId) -> StreamingResponse:
        found(job_id)
        return StreamingResponse(_events(store, job_id), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache"})  # fmt: skip

    @routes.get("/{job_id}/files/{name}")
    def download(job_id: JobId, name: Annotated[str, RoutePath(max_length=200)]) -> FileResponse:
        job = found(job_id)
        path = job_folder(data, job_id) / "files" / name
        if name not in job.files or not path.is_file():  # only names the job listed: never a path a client made up
            raise HTTPException(404, f"job {job_id} has no file {name!r}; it has: {', '.join(job.files) or 'none'}")
        return FileResponse(path, filename=name)

    @routes.delete("/{job_id}")
    def cancel(job_id: JobId) -> dict[str, Any]:
        """A queued or running job is cancelled (a running one stops at its next step); a finished one is deleted
        with its files."""
        job = found(job_id)
        if job.state in FINISHED:
            store.delete(job_id)
            shutil.rmtree(job_folder(data, job_id), ignore_errors=True)
            return {**view(store, job), "deleted": True}
        cancelled = store.cancel(job_id)
        if cancelled is None:
            raise HTTPException(404, f"no job {job_id}")
        after, was = cancelled
        if was is JobState.QUEUED:  # no worker has it: its folder goes now (a running one's, when it stops)
            shutil.rmtree(job_folder(data, job_id), ignore_errors=True)
        return view(store, after)

    return routes


def _dub_request(engines: Engines, to: str, src: str | None, voices: str) -> dict[str, Any]:
    """The job's request, checked as far as can be before any work (languages, voices)."""
    targets = list(parse_language_list(to))
    source = get_language(src).code if src else None
    chosen = {
        key.strip(): name.strip()
        for key, _, name in (item.partition("=") for item in voices.split(",") if item.strip())
    }
    checked_voice_choices(engines.voices, chosen, targets)
    for target in targets:
        if target == source:
            raise HostEngineError(f"target '{target}' is the source language; pick other targets")
        engines.voice_profile(target)
    return {"to": targets, "src": source, "voices": chosen}


def view(store: JobStore, job: Job, now: float | None = None) -> dict[str, Any]:
    """A job as clients see it: no server paths; progress 0-1 over its stages; ETA while it runs, from the pace of
    this run (what an earlier run did counts as done, not as speed)."""
    stages = store.stages(job.id)
    targets = len(job.request.get("to", []))
    progress = 1.0 if job.state is JobState.DONE else _progress(stages, targets)
    eta = None
    if job.state is JobState.RUNNING and job.started is not None and progress < 1:
        before = _progress([s for s in stages if s.updated < job.started], targets)
        elapsed = (time.time() if now is None else now) - job.started
        if progress > before:
            eta = round(elapsed * (1 - progress) / (progress - before), 1)
    return {
        "id": job.id,
        "object": "job",
        "kind": job.kind,
        "state": str(job.state),
        "created": round(job.created, 3),
        "updated": round(job.updated, 3),
        "started": round(job.started, 3) if job.started is not None else None,
        "request": {k: v for k, v in job.request.items() if k != "sha256"},
        "progress": round(progress, 3),
        "eta_seconds": eta,
        "stages": [{"stage": s.stage, "lang": s.lang or None, "done": s.done, "total": s.total} for s in stages],
        "attempts": job.attempts,
        "error": job.error,
        "files": list(job.files),
    }


def _progress(stages: list[Stage], targets: int) -> float:
    """The share of a dub's work done, stages weighted by `WEIGHTS` (what an earlier run finished counts too)."""
    total = sum(weight * (targets if name in PER_LANGUAGE else 1) for name, weight in WEIGHTS.items())
    done = sum(WEIGHTS.get(s.stage, 0.0) * s.done / s.total for s in stages if s.total)
    return min(1.0, done / total) if total else 0.0


async def _events(store: JobStore, job_id: str) -> AsyncIterator[str]:
    """The job's view each time it changes (and a comment line now and then, so proxies keep the stream), until it
    ends or is deleted (`event: deleted`)."""
    last, quiet = None, 0.0
    while True:
        job = await asyncio.to_thread(store.get, job_id)
        if job is None:
            yield f"event: deleted\ndata: {json.dumps({'id': job_id})}\n\n"
            return
        shown = json.dumps(await asyncio.to_thread(view, store, job), ensure_ascii=False)
        if shown != last:
            last, quiet = shown, 0.0
            yield f"data: {shown}\n\n"
        elif quiet >= KEEPALIVE_SECONDS:
            quiet = 0.0
            yield ": still running\n\n"
        if job.state in FINISHED:
            return
        await asyncio.sleep(EVENT_SECONDS)
        quiet += EVENT_SECONDS
