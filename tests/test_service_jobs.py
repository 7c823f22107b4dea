"""`host-engine service`'s jobs API end to end, as a studio's tools use it over HTTP: a clip uploaded with curl, its
progress streamed, the dubbed MP4 downloaded; a retried submit; bad submits refused with one line; and `kill -9` of the
service in the middle of a batch of four, after which a restarted service finishes all four exactly once,
without transcribing or dubbing again what the killed run had finished."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import TypeVar

import httpx
import pytest
from served import TOKEN, Served, served

from host_engine.media import probe

AUTH = {"Authorization": f"Bearer {TOKEN}"}
T = TypeVar("T")


def _submit(service: Served, clip: Path, to: str = "es", key: str | None = None, **fields: str) -> httpx.Response:
    headers = {**AUTH, **({"Idempotency-Key": key} if key else {})}
    with clip.open("rb") as upload:
        return httpx.post(f"{service.url}/v1/jobs/dub", headers=headers, files={"file": (clip.name, upload)},
                          data={"to": to, "src": "en", **fields}, timeout=60)  # fmt: skip


def _curl(service: Served, *args: str) -> str:
    """A studio's script: `curl` with the token, failing on an HTTP error."""
    command = ["curl", "-sS", "--fail-with-body", "-H", f"Authorization: Bearer {TOKEN}", *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _job(service: Served, job_id: str) -> dict:
    return httpx.get(f"{service.url}/v1/jobs/{job_id}", headers=AUTH, timeout=10).json()


def _until(check: Callable[[], T], seconds: float = 600) -> T:
    deadline = time.monotonic() + seconds
    while not (result := check()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.5)
    return result


@pytest.fixture
def service(tmp_path: Path) -> Iterator[tuple[Served, Path]]:
    with served("service", "--data", str(tmp_path / "data"), folder=tmp_path) as handle:
        yield handle, tmp_path / "data"


def test_a_clip_is_dubbed_through_the_api_with_progress_as_events(service, short_clip: Path) -> None:
    server, _ = service
    job = json.loads(_curl(server, "-H", "Idempotency-Key: replay-1", "-F", f"file=@{short_clip}", "-F", "to=es",
                           "-F", "src=en", f"{server.url}/v1/jobs/dub"))  # fmt: skip
    assert job["state"] == "queued" and "filename" in job["request"] and "input" not in job["request"]
    assert _submit(server, short_clip, key="replay-1").json()["id"] == job["id"]  # a retry, not a second job
    assert _submit(server, short_clip, to="pt", key="replay-1").status_code == 409
    seen = []
    with httpx.stream("GET", f"{server.url}/v1/jobs/{job['id']}/events", headers=AUTH, timeout=600) as events:
        for line in events.iter_lines():
            if line.startswith("data: "):
                seen.append(json.loads(line.removeprefix("data: ")))
    assert seen[-1]["state"] == "done", seen[-1]
    progress = [event["progress"] for event in seen]
    assert progress == sorted(progress) and progress[-1] == 1.0 and any(0 < p < 1 for p in progress)
    assert any(event["eta_seconds"] for event in seen if event["state"] == "running")
    files = seen[-1]["files"]
    assert {"replay.dub.mp4", "replay.es.srt", "replay.en.vtt", "replay.report.json"} <= set(files)
    path = server.log.parent / "downloaded.mp4"
    _curl(server, "-o", str(path), f"{server.url}/v1/jobs/{job['id']}/files/replay.dub.mp4")
    assert probe(path).duration == pytest.approx(6.0, abs=0.2)
    srt = httpx.get(f"{server.url}/v1/jobs/{job['id']}/files/replay.es.srt", headers=AUTH, timeout=10).text
    assert "-->" in srt
    listed = httpx.get(f"{server.url}/v1/jobs", headers=AUTH, params={"state": "done"}, timeout=10).json()
    assert [j["id"] for j in listed["data"]] == [job["id"]] and not listed["has_more"]
    metrics = httpx.get(f"{server.url}/metrics", headers=AUTH, timeout=10).text
    assert 'service_jobs{state="done"} 1.0' in metrics
    for stage in ('lang="",stage="transcribe"', 'lang="es",stage="translate"', 'lang="es",stage="synthesize"'):
        assert f"service_stage_seconds_count{{{stage}}} 1.0" in metrics, metrics
    gone = httpx.delete(f"{server.url}/v1/jobs/{job['id']}", headers=AUTH, timeout=10).json()
    assert gone["deleted"] and httpx.get(f"{server.url}/v1/jobs/{job['id']}", headers=AUTH).status_code == 404


def test_bad_submits_and_requests_get_one_line_and_no_job(service, short_clip: Path, tmp_path: Path) -> None:
    server, data = service
    assert _submit(server, short_clip, to="xx").json()["error"]["message"].startswith("unsupported language 'xx'")
    empty, garbage = tmp_path / "empty.mp4", tmp_path / "garbage.mp4"
    empty.write_bytes(b"")
    garbage.write_bytes(b"not a video" * 100)
    assert "empty.mp4: the file is empty" in _submit(server, empty).json()["error"]["message"]
    assert "garbage.mp4" in _submit(server, garbage).json()["error"]["message"]
    playlist, silent_video = tmp_path / "list.m3u8", tmp_path / "silent.mp4"
    playlist.write_text(f"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\n{short_clip}\n#EXT-X-ENDLIST\n")
    assert "list.m3u8: a 'hls' file is not taken as media" in _submit(server, playlist).json()["error"]["message"]
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-i", str(short_clip), "-an", "-c", "copy",
                    str(silent_video)], check=True)  # fmt: skip
    assert _submit(server, silent_video).json()["error"]["message"] == "silent.mp4: has no sound to dub"
    refused = _submit(server, short_clip, voices="es=pt-espeak").json()["error"]["message"]
    assert "no voice 'pt-espeak' for 'es'" in refused
    unnamed = _submit(server, short_clip, voices="es:guest=es-kumo").json()["error"]["message"]
    assert "name a speaker as S1, S2" in unnamed
    assert httpx.get(f"{server.url}/v1/jobs", headers=AUTH).json()["data"] == []
    assert not list((data / "jobs").glob("*"))  # nothing staged is left behind
    assert httpx.get(f"{server.url}/v1/jobs").status_code == 401
    assert httpx.get(f"{server.url}/v1/jobs/..%2F..%2Fetc", headers=AUTH).status_code in (404, 422)
    job = _submit(server, short_clip).json()
    missing = httpx.get(f"{server.url}/v1/jobs/{job['id']}/files/..%2Fjobs.sqlite3", headers=AUTH)
    assert missing.status_code == 404
    cancelled = httpx.delete(f"{server.url}/v1/jobs/{job['id']}", headers=AUTH).json()
    assert cancelled["state"] == "cancelled"


def test_a_killed_service_finishes_its_batch_exactly_once_after_a_restart(short_clip: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    with served("service", "--data", str(data), folder=tmp_path) as first:
        ids = [_submit(first, short_clip, to="es,pt").json()["id"] for _ in range(4)]

        looked_at: set[str] = set()

        def dubbed_one_language() -> str | None:
            for job_id in set(ids) - looked_at:
                if any(s["stage"] == "dub" for s in _job(first, job_id)["stages"]):
                    return job_id
            return None

        while True:  # stopped while the test looks, so that the job cannot finish between the look and the kill
            interrupted = _until(dubbed_one_language)
            first.process.send_signal(signal.SIGSTOP)
            if _job_state_offline(data, interrupted) == "running":
                break
            looked_at.add(interrupted)
            first.process.send_signal(signal.SIGCONT)
        first.process.send_signal(signal.SIGKILL)
        first.process.wait()
    dubbed_before = _dubbed_offline(data, interrupted)  # languages dub side by side: the other may have finished too
    assert dubbed_before
    with served("service", "--data", str(data), folder=tmp_path) as second:
        finished = _until(lambda: all(_job(second, i)["state"] in ("done", "failed") for i in ids) and ids)
        jobs = {job_id: _job(second, job_id) for job_id in finished}
        assert {j["state"] for j in jobs.values()} == {"done"}, jobs
        assert jobs[interrupted]["attempts"] == 2
        report = httpx.get(f"{second.url}/v1/jobs/{interrupted}/files/replay.report.json", headers=AUTH).json()
        assert report["targets"] == ["es", "pt"] and "transcribe" not in report["stages"]
        assert ("synthesize" in report["stages"]) == (dubbed_before != {"es", "pt"})  # only what was not done
        assert all(j["attempts"] == 1 for i, j in jobs.items() if i != interrupted)
        listed = httpx.get(f"{second.url}/v1/jobs", headers=AUTH).json()["data"]
        assert sorted(j["id"] for j in listed) == sorted(ids)  # no job lost, none made twice


def _dubbed_offline(data: Path, job_id: str) -> set[str]:
    """The languages whose dub a job's checkpoints say is done."""
    from host_engine.service.store import JobStore

    store = JobStore(data / "jobs.sqlite3")
    try:
        return {lang for stage, lang in store.checkpoints(job_id) if stage == "dub"}
    finally:
        store.close()


def _job_state_offline(data: Path, job_id: str) -> str:
    """A job's state, read-only: the service may be stopped in the middle of a write."""
    with closing(sqlite3.connect(f"file:{data / 'jobs.sqlite3'}?mode=ro", uri=True, timeout=10)) as db:
        return db.execute("SELECT state FROM jobs WHERE id = ?", (job_id,)).fetchone()[0]


def test_the_command_line_client_submits_follows_and_downloads(service, short_clip: Path, tmp_path: Path) -> None:
    server, _ = service
    environment = {**os.environ, "HOST_ENGINE_TOKEN": TOKEN}

    def jobs(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "host_engine", "jobs", *args]
        return subprocess.run(command, capture_output=True, text=True, env=environment, timeout=600)

    url = ("--url", server.url)
    submitted = jobs("submit", str(short_clip), "--to", "es", "--src", "en", "--wait", "--out", str(tmp_path / "got"),
                     *url)  # fmt: skip
    assert submitted.returncode == 0, submitted.stderr
    job_id = submitted.stdout.splitlines()[0]
    assert "done" in submitted.stderr
    assert (tmp_path / "got" / "replay.dub.mp4").is_file() and (tmp_path / "got" / "replay.es.vtt").is_file()
    assert json.loads(jobs("status", job_id, *url).stdout)["state"] == "done"
    assert job_id in jobs("list", "--state", "done", *url).stdout
    assert jobs("cancel", job_id, *url).stdout.strip() == f"{job_id}: deleted"
    lost = jobs("status", job_id, *url)
    assert lost.returncode == 2 and lost.stderr.strip().endswith(f"404: no job {job_id}")
    unreachable = jobs("list", "--url", "http://127.0.0.1:9")
    assert unreachable.returncode == 2 and "cannot reach the service" in unreachable.stderr
    assert "Traceback" not in lost.stderr + unreachable.stderr
