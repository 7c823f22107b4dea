"""Live audio sources: anything FFmpeg opens (files, RTMP, SRT, HLS, UDP), and PCM pushed over a WebSocket.

Every source yields 16 kHz mono float32 chunks as they become available; a failure ends the iteration with one
`SourceError` saying what happened in words a studio engineer can act on.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Protocol

import numpy as np

from host_engine.asr import SAMPLE_RATE
from host_engine.errors import HostEngineError
from host_engine.media import ffmpeg_binary

CHUNK_SECONDS = 0.1
STALL_SECONDS = 10.0
"""A source that sends no audio for this long is considered stopped."""


class SourceError(HostEngineError):
    """The audio source failed or stopped; the session ends cleanly with this message."""


class AudioSource(Protocol):
    name: str

    def chunks(self) -> AsyncIterator[np.ndarray]: ...


class FFmpegSource:
    """Decode `url` with the ffmpeg CLI. `realtime` paces a file at 1x, as if it were a live feed."""

    def __init__(self, url: str, realtime: bool = False, stall_seconds: float = STALL_SECONDS) -> None:
        self.name = url
        self.url = url
        self.realtime = realtime
        self.stall_seconds = stall_seconds

    def _command(self) -> list[str]:
        network = "://" in self.url and not self.url.startswith("file:")
        timeout = ["-rw_timeout", str(int(self.stall_seconds * 1_000_000))] if network else []
        return [
            ffmpeg_binary(), "-nostdin", "-hide_banner", "-loglevel", "error", *timeout, "-i", self.url,
            "-vn", "-ac", "1", "-ar", str(SAMPLE_RATE), "-f", "f32le", "-",
        ]  # fmt: skip

    async def chunks(self) -> AsyncIterator[np.ndarray]:
        process = await asyncio.create_subprocess_exec(
            *self._command(), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
        assert process.stdout is not None and process.stderr is not None
        chunk_bytes = int(CHUNK_SECONDS * SAMPLE_RATE) * 4
        started = time.monotonic()
        sent = 0
        try:
            while True:
                try:
                    data = await asyncio.wait_for(process.stdout.readexactly(chunk_bytes), self.stall_seconds)
                except asyncio.IncompleteReadError as end:
                    data = end.partial[: len(end.partial) - len(end.partial) % 4]
                except TimeoutError:
                    stopped = f"{self.name}: no audio for {self.stall_seconds:g} s; the stream stopped"
                    raise SourceError(stopped) from None
                if data:
                    samples = np.frombuffer(data, dtype=np.float32)
                    sent += samples.size
                    if self.realtime:
                        await asyncio.sleep(max(0.0, started + sent / SAMPLE_RATE - time.monotonic()))
                    yield samples
                if len(data) < chunk_bytes:
                    break
            stderr = (await process.stderr.read()).decode(errors="replace").strip().splitlines()
            if await process.wait() != 0:
                reason = stderr[-1] if stderr else f"ffmpeg exited with {process.returncode}"
                raise SourceError(reason if reason.startswith(self.url) else f"{self.name}: {reason}")
            if sent == 0:
                raise SourceError(f"{self.name}: no audio stream in this input")
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()


class PushedSource:
    """PCM pushed by a client (the WebSocket endpoint): `push` whole chunks, then `close` or `fail`."""

    def __init__(self, name: str, max_chunks: int = 600) -> None:
        self.name = name
        self._queue: asyncio.Queue[np.ndarray | SourceError | None] = asyncio.Queue(max_chunks)

    async def push(self, samples: np.ndarray) -> None:
        """Waits when the recognizer is far behind: the client's sending slows down instead of memory growing."""
        await self._queue.put(samples.astype(np.float32, copy=False))

    async def close(self) -> None:
        await self._queue.put(None)

    async def fail(self, message: str) -> None:
        await self._queue.put(SourceError(f"{self.name}: {message}"))

    async def chunks(self) -> AsyncIterator[np.ndarray]:
        while True:
            try:
                item = await asyncio.wait_for(self._queue.get(), STALL_SECONDS * 6)
            except TimeoutError:
                raise SourceError(f"{self.name}: the client sent no audio for {STALL_SECONDS * 6:g} s") from None
            if item is None:
                return
            if isinstance(item, SourceError):
                raise item
            yield item
