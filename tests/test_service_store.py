"""The job service's SQLite store: a job accepted survives `kill -9`, a running one is queued again with its
checkpoints, idempotent submits, cancellation that sticks, pagination and retention."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from host_engine.errors import HostEngineError
from host_engine.service.store import MAX_ATTEMPTS, IdempotencyConflict, JobState, JobStore

DUB = {"input": "clip.mp4", "to": ["pt", "es"]}

_KILLED_MID_RUN = """
import os, signal, sys
from host_engine.errors import HostEngineError
from host_engine.service.store import JobStore
store = JobStore(__import__("pathlib").Path(sys.argv[1]))
ids = [store.submit("dub", {"input": f"clip{n}.mp4", "to": ["pt"]})[0].id for n in range(4)]
running = store.claim()
store.checkpoint(running.id, "transcribe", {"file": "transcript.json"})
store.progress(running.id, "synthesize", 3, 10, lang="pt")
print(" ".join(ids), running.id, flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.fixture
def store(tmp_path: Path):
    opened = JobStore(tmp_path / "jobs.sqlite3")
    yield opened
    opened.close()


def test_a_service_killed_mid_job_loses_nothing_and_queues_the_running_job_again(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3"
    child = subprocess.run([sys.executable, "-c", _KILLED_MID_RUN, str(path)], capture_output=True, text=True)
    assert child.returncode == -signal.SIGKILL, child.stderr
    *submitted, running = child.stdout.split()
    store = JobStore(path)
    try:
        assert {job.id for job in store.page()} == set(submitted)
        assert store.get(running).state is JobState.RUNNING  # until the restarted service recovers it
        assert store.recover() == ([running], [])
        job = store.get(running)
        assert job is not None and job.state is JobState.QUEUED and job.attempts == 1
        assert store.checkpoints(running) == {("transcribe", ""): {"file": "transcript.json"}}
        assert [(s.stage, s.lang, s.done, s.total) for s in store.stages(running)][-1] == ("synthesize", "pt", 3, 10)
        claimed = [store.claim() for _ in submitted]
        assert [job.id for job in claimed if job] == submitted  # oldest first, the recovered one in its place
    finally:
        store.close()


def test_a_job_that_keeps_bringing_the_service_down_is_failed(store: JobStore) -> None:
    job, _ = store.submit("dub", DUB)
    for _ in range(MAX_ATTEMPTS - 1):
        assert store.claim().id == job.id
        assert store.recover() == ([job.id], [])
    store.claim()
    assert store.recover() == ([], [job.id])
    failed = store.get(job.id)
    assert failed.state is JobState.FAILED and f"each of its {MAX_ATTEMPTS} runs" in failed.error


def test_an_idempotency_key_returns_the_first_job_and_refuses_another_request(store: JobStore) -> None:
    first, new = store.submit("dub", DUB, idempotency_key="upload-7")
    again, new_again = store.submit("dub", dict(reversed(DUB.items())), idempotency_key="upload-7")
    assert new and not new_again and again.id == first.id
    with pytest.raises(IdempotencyConflict, match="upload-7"):
        store.submit("dub", {**DUB, "to": ["fr"]}, idempotency_key="upload-7")
    assert store.counts()[JobState.QUEUED] == 1


def test_a_cancelled_job_stays_cancelled_whatever_its_executor_reports(store: JobStore) -> None:
    job, _ = store.submit("dub", DUB)
    store.claim()
    assert store.progress(job.id, "translate", 1, 5, lang="pt")
    assert store.cancel(job.id) == (store.get(job.id), JobState.RUNNING)
    assert store.get(job.id).state is JobState.CANCELLED
    assert not store.progress(job.id, "translate", 2, 5, lang="pt")  # the executor's cue to stop
    assert not store.finish(job.id, ["clip.dub.mp4"], 1000)
    assert store.get(job.id).state is JobState.CANCELLED and store.get(job.id).files == ()
    assert store.cancel("job_none") is None


def test_a_finished_job_is_not_cancelled_and_keeps_its_files(store: JobStore) -> None:
    job, _ = store.submit("dub", DUB)
    store.claim()
    assert store.finish(job.id, ["clip.dub.mp4", "clip.pt.srt"], 2048)
    assert store.cancel(job.id)[0].state is JobState.DONE
    assert store.get(job.id).files == ("clip.dub.mp4", "clip.pt.srt")


def test_two_workers_never_claim_the_same_job(store: JobStore) -> None:
    ids = {store.submit("dub", {"input": f"clip{n}.mp4"})[0].id for n in range(40)}
    claimed: list[list[str]] = [[], []]

    def work(mine: list[str]) -> None:
        while (job := store.claim()) is not None:
            mine.append(job.id)

    workers = [threading.Thread(target=work, args=(mine,)) for mine in claimed]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert sorted(claimed[0] + claimed[1]) == sorted(ids)
    assert store.counts()[JobState.RUNNING] == 40


def test_pages_run_newest_first_and_filter_by_state(store: JobStore) -> None:
    ids = [store.submit("dub", {"input": f"clip{n}.mp4"})[0].id for n in range(5)]
    store.claim()
    first = store.page(limit=2)
    second = store.page(limit=2, after=first[-1].id)
    third = store.page(limit=2, after=second[-1].id)
    assert [j.id for j in first + second + third] == ids[::-1]
    assert [j.id for j in store.page(state=JobState.RUNNING)] == [ids[0]]
    store.claim()
    store.cancel(ids[1])
    store.delete(ids[1])
    with pytest.raises(HostEngineError, match=f"job {ids[1]} is gone"):
        store.page(limit=2, after=ids[1])


def test_retention_drops_old_jobs_then_the_oldest_past_the_size_budget(store: JobStore) -> None:
    jobs = []
    for n in range(4):
        job, _ = store.submit("dub", {"input": f"clip{n}.mp4"})
        store.claim()
        store.finish(job.id, [f"clip{n}.dub.mp4"], 100)
        jobs.append(store.get(job.id))
    queued, _ = store.submit("dub", {"input": "waiting.mp4"})
    newest = jobs[-1].updated
    assert store.expired(max_age_seconds=3600, max_bytes=250, now=newest) == jobs[:2][::-1]
    assert store.expired(max_age_seconds=3600, max_bytes=10_000, now=newest + 7200) == jobs[::-1]
    store.delete(jobs[0].id)
    store.delete(queued.id)  # not finished: kept
    assert store.get(jobs[0].id) is None and store.get(queued.id) is not None
