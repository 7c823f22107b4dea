"""`host-engine serve` / `host-engine host` started as a user starts them, on a free loopback port, for tests that
talk to them over the network; always stopped (SIGTERM, then SIGKILL) when the test ends."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ircd import free_port

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "test-token-0123456789abcdef"


@dataclass
class Served:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def stderr(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self, seconds: float = 10.0) -> float:
        """SIGTERM; the seconds it took to exit (SIGKILL and AssertionError past `seconds`)."""
        began = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"did not exit within {seconds} s of SIGTERM: {self.stderr()[-2000:]}") from None
        return time.monotonic() - began


def wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path, seconds: float = 240) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        assert process.poll() is None, log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
        time.sleep(0.3)
    raise AssertionError(f"nothing listened on port {port} within {seconds} s")


@contextmanager
def served(
    *args: str, folder: Path, token: str | None = TOKEN, env: dict[str, str] | None = None, port: int | None = None
) -> Iterator[Served]:
    """`host-engine ARGS --port/--listen ...` with `HOST_ENGINE_TOKEN=token` (None: not set)."""
    port = port or free_port()
    listen = ["--port", str(port)] if args[0] in ("serve", "service") else ["--listen", f"127.0.0.1:{port}"]
    environment = {k: v for k, v in os.environ.items() if k != "HOST_ENGINE_TOKEN"} | (env or {})
    if token is not None:
        environment["HOST_ENGINE_TOKEN"] = token
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / f"{args[0]}-{port}.log"
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "host_engine", *args, *listen], cwd=ROOT, stdout=subprocess.DEVNULL,
            stderr=stderr, env=environment,
        )  # fmt: skip
    handle = Served(process, port, log)
    try:
        wait_for_port(port, process, log)
        yield handle
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
