"""A client of the service's jobs API (`host-engine jobs ...`): every failure the server names is one
`HostEngineError` line, never a traceback."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from host_engine import registry
from host_engine.errors import HostEngineError
from host_engine.server.auth import TOKEN_ENV


def local_token(token_file: Path | None = None) -> str:
    """`HOST_ENGINE_TOKEN`, else the file named, else the token a service on this machine keeps by default."""
    if value := os.environ.get(TOKEN_ENV, "").strip():
        return value
    path = token_file or registry.cache_root() / "service" / "token"
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError:
        raise HostEngineError(f"no access token: set {TOKEN_ENV} or pass --token-file (tried {path})") from None


class JobsClient:
    def __init__(self, url: str, token: str, timeout: float = 60.0) -> None:
        self._http = httpx.Client(base_url=url.rstrip("/"), headers={"Authorization": f"Bearer {token}"},
                                  timeout=timeout)  # fmt: skip

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            reply = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise HostEngineError(f"cannot reach the service at {self._http.base_url}: {exc}") from None
        if reply.status_code >= 400:
            raise HostEngineError(f"the service said {reply.status_code}: {_message(reply)}")
        return reply

    def submit(
        self,
        clip: Path,
        to: str,
        src: str | None = None,
        voices: str = "",
        key: str | None = None,
        speakers: int | None = None,
    ) -> dict[str, Any]:
        if not clip.is_file():
            raise HostEngineError(f"{clip}: no such file")
        fields = {
            "to": to,
            "voices": voices,
            **({"src": src} if src else {}),
            **({"speakers": speakers} if speakers else {}),
        }
        headers = {"Idempotency-Key": key} if key else {}
        with clip.open("rb") as upload:
            return self._call("POST", "/v1/jobs/dub", files={"file": (clip.name, upload)}, data=fields,
                              headers=headers, timeout=None).json()  # fmt: skip

    def jobs(self, state: str | None = None, limit: int = 50) -> dict[str, Any]:
        params = {"limit": limit, **({"state": state} if state else {})}
        return self._call("GET", "/v1/jobs", params=params).json()

    def job(self, job_id: str) -> dict[str, Any]:
        return self._call("GET", f"/v1/jobs/{job_id}").json()

    def cancel(self, job_id: str) -> dict[str, Any]:
        return self._call("DELETE", f"/v1/jobs/{job_id}").json()

    def events(self, job_id: str) -> Iterator[dict[str, Any]]:
        """The job as it changes, until it ends (server-sent events)."""
        try:
            with self._http.stream("GET", f"/v1/jobs/{job_id}/events", timeout=None) as stream:
                if stream.status_code >= 400:
                    stream.read()
                    raise HostEngineError(f"the service said {stream.status_code}: {_message(stream)}")
                event = "message"
                for line in stream.iter_lines():
                    if line.startswith("event: "):
                        event = line.removeprefix("event: ")
                    elif line.startswith("data: ") and event == "deleted":
                        raise HostEngineError(f"job {job_id} was deleted")
                    elif line.startswith("data: "):
                        yield json.loads(line.removeprefix("data: "))
                    elif not line:
                        event = "message"
        except httpx.HTTPError as exc:
            raise HostEngineError(f"lost the service at {self._http.base_url}: {exc}") from None

    def download(self, job_id: str, folder: Path) -> list[Path]:
        """Every file of a finished job into `folder` (each written whole, then renamed into place)."""
        folder.mkdir(parents=True, exist_ok=True)
        saved = []
        for name in self.job(job_id)["files"]:
            target = folder / Path(name).name
            partial = target.with_name(f".{target.name}.partial")
            with self._http.stream("GET", f"/v1/jobs/{job_id}/files/{quote(name)}", timeout=None) as stream:
                if stream.status_code >= 400:
                    stream.read()
                    raise HostEngineError(f"the service said {stream.status_code}: {_message(stream)}")
                with partial.open("wb") as out:
                    for chunk in stream.iter_bytes():
                        out.write(chunk)
            partial.replace(target)
            saved.append(target)
        return saved


def _message(reply: httpx.Response) -> str:
    try:
        body = reply.json()
    except ValueError:
        return reply.text[:200]
    error = body.get("error")
    return str(error.get("message") if isinstance(error, dict) else body.get("detail", body))
