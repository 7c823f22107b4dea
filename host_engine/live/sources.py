"""Live audio sources: anything FFmpeg opens (files, RTMP, SRT, HLS, UDP), and PCM pushed over a WebSocket.

Every source yields 16 kHz mono float32 chunks as they become available; a failure ends the iteration with one
`SourceError` saying what happened in words a studio engineer can act on.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import AsyncGenerator
from typing import Protocol

import numpy as np

from host_engine.asr import SAMPLE_RATE
from host_engine.errors import HostEngineError
from host_engine.media import ffmpeg_binary
from host_engine.urls import PROTOCOL_WHITELIST, redact, redact_text

log = logging.getLogger(__name__)

CHUNK_SECONDS = 0.1
STALL_SECONDS = 10.0
"""A source that sends no audio for this long is considered stopped."""


class SourceError(HostEngineError):
    """The audio source failed or stopped; the session ends cleanly with this message."""


class AudioSource(Protocol):
    name: str

    def chunks(self) -> AsyncGenerator[np.ndarray, None]: ...


class FFmpegSource:
    """Decode `url` with the ffmpeg CLI. `realtime` paces a file at 1x, as if it were a live feed.

    A network URL is opened with FFmpeg limited to network protocols. FFmpeg's own words about a failure (URLs
    redacted) end the `SourceError` only when `show_ffmpeg_errors` (the operator's command line); a server's
    clients get a plain message and the server's log gets FFmpeg's words."""

    def __init__(
        self, url: str, realtime: bool = False, stall_seconds: float = STALL_SECONDS, show_ffmpeg_errors: bool = True
    ) -> None:
        self.name = redact(url)
        self.url = url
        self.realtime = realtime
        self.stall_seconds = stall_seconds
        self.show_ffmpeg_errors = show_ffmpeg_errors

    def _command(self) -> list[str]:
        network = "://" in self.url and not self.url.startswith("file:")
        limits = ["-rw_timeout", str(int(self.stall_seconds * 1_000_000))] if network else []
        limits += ["-protocol_whitelist", PROTOCOL_WHITELIST] if network else []
        return [
            ffmpeg_binary(), "-nostdin", "-hide_banner", "-loglevel", "error", *limits, "-i", self.url,
            "-vn", "-ac", "1", "-ar", str(SAMPLE_RATE), "-f", "f32le", "-",
        ]  # fmt: skip

    async def chunks(self) -> AsyncGenerator[np.ndarray, None]:
        process = await asyncio.create_subprocess_exec(
            *self._command(), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
        assert process.stdout is not None and process.stderr is not None
        chunk_bytes = int(CHUNK_SECONDS * SAMPLE_RATE) * 4
        started: float | None = None  # paced from FFmpeg's first output, not its launch: a slow start would
        # otherwise come out in one burst, ahead of the clock the session sets on its first chunk
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
                        if started is None:
                            started = time.monotonic() - samples.size / SAMPLE_RATE
                        await asyncio.sleep(max(0.0, started + sent / SAMPLE_RATE - time.monotonic()))
                    yield samples
                if len(data) < chunk_bytes:
                    break
            stderr = redact_text((await process.stderr.read()).decode(errors="replace")).strip().splitlines()
            if await process.wait() != 0:
                reason = stderr[-1] if stderr else f"FFmpeg exited with {process.returncode}"
                if self.show_ffmpeg_errors:
                    raise SourceError(reason if reason.startswith(self.name) else f"{self.name}: {reason}")
                log.warning("FFmpeg could not read %s: %s", self.name, reason)
                raise SourceError(f"{self.name}: the input could not be read (the server's log says why)")
            if sent == 0:
                raise SourceError(f"{self.name}: no audio stream in this input")
        finally:
            if process.returncode is None:
                process.kill()
                await process.communicate()  # drain the pipes: `wait` alone hangs on a paused, full stdout


class PushedSource:
    """PCM pushed by a client (the WebSocket endpoint): `push` whole chunks, then `close` or `fail`. At most
    `max_seconds` of audio wait here; `push` waits for room, so a client faster than real time is slowed down.
    Closing never waits: what was pushed before is still read."""

    def __init__(self, name: str, max_seconds: float = 5.0) -> None:
        self.name = name
        self._max = round(max_seconds / CHUNK_SECONDS)
        self._chunks: deque[np.ndarray] = deque()
        self._closed = False
        self._unread = False
        """Nobody reads any more (the session ended or failed): pushes are dropped, never waited on."""
        self._changed = asyncio.Condition()

    @property
    def full(self) -> bool:
        return len(self._chunks) >= self._max

    async def push(self, samples: np.ndarray) -> bool:
        """Waits for room; returns at once (the audio dropped) once nobody reads any more (the session ended).
        True when it had to wait and the audio was taken: the client sends faster than the session reads."""
        samples = samples.astype(np.float32, copy=False)
        step = round(CHUNK_SECONDS * SAMPLE_RATE)
        waited = False
        for start in range(0, samples.size, step):
            async with self._changed:
                waited = waited or self.full
                await self._changed.wait_for(lambda: not self.full or self._closed or self._unread)
                if self._closed or self._unread:
                    return False
                self._chunks.append(samples[start : start + step])
                self._changed.notify_all()
        return waited

    async def close(self) -> None:
        async with self._changed:
            self._closed = True
            self._changed.notify_all()

    async def chunks(self) -> AsyncGenerator[np.ndarray, None]:
        try:
            while True:
                async with self._changed:
                    ready = self._changed.wait_for(lambda: self._chunks or self._closed)
                    try:
                        await asyncio.wait_for(ready, STALL_SECONDS * 6)
                    except TimeoutError:
                        message = f"{self.name}: the client sent no audio for {STALL_SECONDS * 6:g} s"
                        raise SourceError(message) from None
                    if not self._chunks:
                        return
                    chunk = self._chunks.popleft()
                    self._changed.notify_all()
                yield chunk
        finally:
            self._unread = True
            self._chunks.clear()
            async with self._changed:
                self._changed.notify_all()
