"""The job service's durable store: jobs, each stage's progress and checkpoint, in one SQLite file (WAL).

A job accepted is committed before its id is returned (synchronous=FULL: a power cut keeps it too). A running job
records each finished stage's checkpoint (a small JSON value: the transcript's file name, a language's fitted
track), so a service restarted after `kill -9` puts the jobs it left running back in the queue (`recover`) and the
executor skips what their checkpoints say is done. A job that has brought the service down `MAX_ATTEMPTS` times is
failed instead of tried again all night. State changes are conditional (`finish` only a running job): a job
cancelled while it runs stays cancelled whatever its executor does next.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from host_engine.errors import HostEngineError

MAX_ATTEMPTS = 3
"""Runs a job may start; one found running at a restart for the last time is failed, not queued again."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    state TEXT NOT NULL,
    request TEXT NOT NULL,
    idempotency_key TEXT UNIQUE,
    created REAL NOT NULL,
    updated REAL NOT NULL,
    started REAL,
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    files TEXT NOT NULL DEFAULT '[]',
    bytes INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS jobs_by_state ON jobs (state, created);
CREATE TABLE IF NOT EXISTS stages (
    job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    stage TEXT NOT NULL,
    lang TEXT NOT NULL DEFAULT '',
    done INTEGER NOT NULL DEFAULT 0,
    total INTEGER NOT NULL DEFAULT 0,
    checkpoint TEXT,
    updated REAL NOT NULL,
    PRIMARY KEY (job_id, stage, lang)
);
"""


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


FINISHED = frozenset({JobState.DONE, JobState.FAILED, JobState.CANCELLED})


JOB_ID = r"^job_[0-9a-f]{16}$"


def new_job_id() -> str:
    return f"job_{secrets.token_hex(8)}"


class IdempotencyConflict(HostEngineError):
    """An idempotency key sent again with a different request."""


@dataclass(frozen=True)
class Stage:
    """One stage of a job (for one language, or '' for the whole clip): its progress and, once done, checkpoint."""

    stage: str
    lang: str
    done: int
    total: int
    checkpoint: Any | None
    updated: float


@dataclass(frozen=True)
class Job:
    id: str
    kind: str
    state: JobState
    request: dict[str, Any]
    created: float
    updated: float
    started: float | None
    """When its latest run began."""
    attempts: int
    error: str | None
    files: tuple[str, ...]
    bytes: int
    """What its finished files take on disk (the retention policy's size budget)."""


def _job(row: sqlite3.Row) -> Job:
    return Job(
        id=row["id"],
        kind=row["kind"],
        state=JobState(row["state"]),
        request=json.loads(row["request"]),
        created=row["created"],
        updated=row["updated"],
        started=row["started"],
        attempts=row["attempts"],
        error=row["error"],
        files=tuple(json.loads(row["files"])),
        bytes=row["bytes"],
    )


class JobStore:
    """Thread-safe: one connection, one lock (a job service writes a few rows a second at most)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON", "busy_timeout=5000"):
            self._db.execute(f"PRAGMA {pragma}")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One transaction, taken for writing at its start (no other writer slips in between a read and a write)."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _read(self, sql: str, *args: object) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def submit(
        self, kind: str, request: dict[str, Any], idempotency_key: str | None = None, job_id: str | None = None
    ) -> tuple[Job, bool]:
        """Queue a job (as `job_id`, one from `new_job_id`, when its files were put in place under that id first);
        returns it and whether it is new. The same `idempotency_key` with the same request returns the job made
        the first time (a client retrying after a lost response); with another request it is an
        `IdempotencyConflict`."""
        body = json.dumps(request, sort_keys=True, ensure_ascii=False)
        with self._write() as db:
            if idempotency_key is not None:
                row = db.execute("SELECT * FROM jobs WHERE idempotency_key = ?", (idempotency_key,)).fetchone()
                if row is not None:
                    if row["request"] != body or row["kind"] != kind:
                        raise IdempotencyConflict(
                            f"idempotency key {idempotency_key!r} was used for another request (job {row['id']})"
                        )
                    return _job(row), False
            now = time.time()
            job_id = job_id or new_job_id()
            db.execute(
                "INSERT INTO jobs (id, kind, state, request, idempotency_key, created, updated) VALUES (?,?,?,?,?,?,?)",
                (job_id, kind, JobState.QUEUED, body, idempotency_key, now, now),
            )
            return _job(db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()), True

    def ids(self) -> set[str]:
        return {row["id"] for row in self._read("SELECT id FROM jobs")}

    def get(self, job_id: str) -> Job | None:
        rows = self._read("SELECT * FROM jobs WHERE id = ?", job_id)
        return _job(rows[0]) if rows else None

    def page(self, state: JobState | None = None, limit: int = 50, after: str | None = None) -> list[Job]:
        """Jobs newest first, `limit` at most, those older than job `after` (the last id of the page before; one
        deleted since is an error: the list would silently skip what follows it)."""
        if after is not None and self.get(after) is None:
            raise HostEngineError(f"job {after} is gone (deleted since that page); list again from the start")
        where, args = [], []
        if state is not None:
            where.append("state = ?")
            args.append(str(state))
        if after is not None:
            where.append("(created, id) < (SELECT created, id FROM jobs WHERE id = ?)")
            args.append(after)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        rows = self._read(f"SELECT * FROM jobs {clause} ORDER BY created DESC, id DESC LIMIT ?", *args, limit)
        return [_job(row) for row in rows]

    def counts(self) -> dict[JobState, int]:
        """Jobs by state, every state named (for /metrics)."""
        found = {row["state"]: row["n"] for row in self._read("SELECT state, COUNT(*) AS n FROM jobs GROUP BY state")}
        return {state: found.get(state, 0) for state in JobState}

    def claim(self) -> Job | None:
        """The oldest queued job, now running (its attempt counted), or None when none waits."""
        with self._write() as db:
            row = db.execute(
                "SELECT id FROM jobs WHERE state = ? ORDER BY created, id LIMIT 1", (JobState.QUEUED,)
            ).fetchone()
            if row is None:
                return None
            now = time.time()
            db.execute(
                "UPDATE jobs SET state = ?, attempts = attempts + 1, updated = ?, started = ? WHERE id = ?",
                (JobState.RUNNING, now, now, row["id"]),
            )
            return _job(db.execute("SELECT * FROM jobs WHERE id = ?", (row["id"],)).fetchone())

    def progress(self, job_id: str, stage: str, done: int, total: int, lang: str = "") -> bool:
        """Record a stage's progress; returns whether the job is still wanted (running: not cancelled)."""
        with self._write() as db:
            db.execute(
                """INSERT INTO stages (job_id, stage, lang, done, total, updated) VALUES (?,?,?,?,?,?)
                ON CONFLICT (job_id, stage, lang) DO UPDATE SET
                    done = excluded.done, total = excluded.total, updated = excluded.updated""",
                (job_id, stage, lang, done, total, time.time()),
            )
            row = db.execute("SELECT state FROM jobs WHERE id = ?", (job_id,)).fetchone()
            return row is not None and row["state"] == JobState.RUNNING

    def checkpoint(self, job_id: str, stage: str, value: Any, lang: str = "") -> None:
        """A stage finished (its progress full): `value` (JSON) says where its result is, for a later run."""
        with self._write() as db:
            db.execute(
                """INSERT INTO stages (job_id, stage, lang, done, total, checkpoint, updated) VALUES (?,?,?,1,1,?,?)
                ON CONFLICT (job_id, stage, lang) DO UPDATE SET
                    done = MAX(total, 1), total = MAX(total, 1), checkpoint = excluded.checkpoint,
                    updated = excluded.updated""",
                (job_id, stage, lang, json.dumps(value, ensure_ascii=False), time.time()),
            )

    def stages(self, job_id: str) -> list[Stage]:
        rows = self._read("SELECT * FROM stages WHERE job_id = ? ORDER BY rowid", job_id)
        kept = [json.loads(r["checkpoint"]) if r["checkpoint"] is not None else None for r in rows]
        return [
            Stage(r["stage"], r["lang"], r["done"], r["total"], value, r["updated"])
            for r, value in zip(rows, kept, strict=True)
        ]

    def checkpoints(self, job_id: str) -> dict[tuple[str, str], Any]:
        """(stage, lang) -> checkpoint, for the stages a run of the job finished."""
        return {(s.stage, s.lang): s.checkpoint for s in self.stages(job_id) if s.checkpoint is not None}

    def finish(self, job_id: str, files: list[str], size: int) -> bool:
        """A running job done, its `files` (names) taking `size` bytes; False if it was cancelled meanwhile."""
        return self._end(job_id, JobState.DONE, None, files, size)

    def fail(self, job_id: str, error: str) -> bool:
        """A running job failed with `error` (one line for the client); False if it was cancelled meanwhile."""
        return self._end(job_id, JobState.FAILED, error, [], 0)

    def _end(self, job_id: str, state: JobState, error: str | None, files: list[str], size: int) -> bool:
        with self._write() as db:
            changed = db.execute(
                "UPDATE jobs SET state = ?, error = ?, files = ?, bytes = ?, updated = ? WHERE id = ? AND state = ?",
                (state, error, json.dumps(files, ensure_ascii=False), size, time.time(), job_id, JobState.RUNNING),
            ).rowcount
            return changed == 1

    def cancel(self, job_id: str) -> tuple[Job, JobState] | None:
        """Cancel a queued or running job (a running one stops at its next progress report); a finished job is
        left as it is. Returns the job and the state it was in when cancelled; None when there is no such job."""
        with self._write() as db:
            row = db.execute("SELECT state FROM jobs WHERE id = ?", (job_id,)).fetchone()
            if row is None:
                return None
            db.execute(
                "UPDATE jobs SET state = ?, updated = ? WHERE id = ? AND state IN (?, ?)",
                (JobState.CANCELLED, time.time(), job_id, JobState.QUEUED, JobState.RUNNING),
            )
            return _job(db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()), JobState(row["state"])

    def delete(self, job_id: str) -> None:
        """Forget a finished job and its stages (its files are the caller's to remove next: a row without files is
        an error a client sees, files without a row are swept at the next start)."""
        with self._write() as db:
            db.execute("DELETE FROM jobs WHERE id = ? AND state IN (?, ?, ?)", (job_id, *FINISHED))

    def recover(self) -> tuple[list[str], list[str]]:
        """At start-up: jobs a stopped service left running go back to the queue, keeping their checkpoints, or
        fail when they have had `MAX_ATTEMPTS` runs. Returns (queued again, failed) ids."""
        with self._write() as db:
            rows = db.execute("SELECT id, attempts FROM jobs WHERE state = ?", (JobState.RUNNING,)).fetchall()
            again = [r["id"] for r in rows if r["attempts"] < MAX_ATTEMPTS]
            failed = [r["id"] for r in rows if r["attempts"] >= MAX_ATTEMPTS]
            now = time.time()
            for job_id in again:
                db.execute("UPDATE jobs SET state = ?, updated = ? WHERE id = ?", (JobState.QUEUED, now, job_id))
            for job_id in failed:
                error = f"the service stopped during each of its {MAX_ATTEMPTS} runs; not tried again"
                db.execute(
                    "UPDATE jobs SET state = ?, error = ?, updated = ? WHERE id = ?",
                    (JobState.FAILED, error, now, job_id),
                )
            return again, failed

    def expired(self, max_age_seconds: float, max_bytes: int, now: float | None = None) -> list[Job]:
        """Finished jobs the retention policy drops: those finished more than `max_age_seconds` ago, then the
        oldest of the rest until their files fit in `max_bytes`."""
        now = time.time() if now is None else now
        rows = self._read("SELECT * FROM jobs WHERE state IN (?, ?, ?) ORDER BY updated DESC, id DESC", *FINISHED)
        dropped, size = [], 0
        for job in map(_job, rows):
            if now - job.updated > max_age_seconds or size + job.bytes > max_bytes:
                dropped.append(job)
            else:
                size += job.bytes
        return dropped
