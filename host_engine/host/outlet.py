"""One output of the show (a file or an RTMP URL) that cannot stall or stop the others.

Frames go into a short queue served by the outlet's own thread; when FFmpeg fails (the RTMP server went away, the
disk is full) the outlet logs it, drops frames meanwhile and starts FFmpeg again with backoff, while the show and
the other outputs carry on. A file target gets a fresh name (its strftime fields) on every start.

When FFmpeg is only slow (the CPU is busy synthesizing), the frames it cannot take are dropped but their audio is
not: it rides with the next frame, which FFmpeg is given once for every frame it stands for. The picture holds
still for a moment; every word is heard, in time.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from dataclasses import dataclass

import numpy as np

from host_engine.media import VideoEncoder
from host_engine.urls import redact, redact_text

log = logging.getLogger(__name__)

RETRY_SECONDS = (1.0, 30.0)
CLOSE_SECONDS = 3.0
"""The longest a stopping show waits for an output to finish its file or stream."""
STALL_SECONDS = 3.0
"""FFmpeg taking no frames for this long is stuck (a dead RTMP peer can leave it hanging): it is killed. Audio of
dropped frames is held this long at most; older audio is lost (and counted)."""


@dataclass(frozen=True)
class _Frame:
    image: np.ndarray
    audio: np.ndarray
    repeats: int
    """Frames this one stands for: itself and the dropped frames whose audio it carries."""


class Outlet:
    def __init__(self, target: str, size: tuple[int, int], fps: float, audio_rate: int) -> None:
        self.target, self.size, self.fps, self.audio_rate = target, size, fps, audio_rate
        self.name = redact(target)
        """How logs and thread names call it: an RTMP URL holds the stream key."""
        self.starts = 0
        self.failures = 0
        self.dropped = 0
        self.audio_lost = 0
        """Frames whose audio was lost too (FFmpeg stuck or restarting for longer than STALL_SECONDS)."""
        self._held: list[np.ndarray] = []
        self._last: np.ndarray | None = None
        self._held_max = round(STALL_SECONDS * fps)
        self._encoder: VideoEncoder | None = None
        self._full_since: float | None = None
        self._frames: queue.Queue[_Frame | None] = queue.Queue(maxsize=round(fps))
        self._thread = threading.Thread(target=self._serve, name=f"outlet {self.name}", daemon=True)
        self._thread.start()

    def write(self, frame: np.ndarray, audio: np.ndarray) -> None:
        """Never blocks: a frame that finds the queue full is dropped and counted, and its audio held. One thread
        writes, so a queue not full now still has room when it is put."""
        self._held.append(audio)
        self._last = frame
        if self._frames.full():
            self.dropped += 1
            if len(self._held) > self._held_max:
                del self._held[0]
                self.audio_lost += 1
            self._unstick()
            return
        held = self._held[0] if len(self._held) == 1 else np.concatenate(self._held)
        self._frames.put_nowait(_Frame(frame, held, len(self._held)))
        self._held.clear()
        self._full_since = None

    def _unstick(self) -> None:
        now = time.monotonic()
        if self._full_since is None:
            self._full_since = now
        elif now - self._full_since > STALL_SECONDS and (encoder := self._encoder) is not None:
            log.warning("output %s took no frames for %.0f s; stopping FFmpeg", self.name, STALL_SECONDS)
            encoder.kill()
            self._full_since = None

    def close(self) -> None:
        """Finish, with the audio still held (the last frame carries it), within `CLOSE_SECONDS` in all: an FFmpeg
        that takes longer is killed (a recording keeps what it has, as `NAME-recovered`)."""
        deadline = time.monotonic() + CLOSE_SECONDS
        try:
            if self._held and self._last is not None:
                held = _Frame(self._last, np.concatenate(self._held), len(self._held))
                self._frames.put(held, timeout=max(0.0, deadline - time.monotonic()))
            self._frames.put(None, timeout=max(0.0, deadline - time.monotonic()))
            self._thread.join(max(0.0, deadline - time.monotonic()))
        except queue.Full:
            pass
        if self._thread.is_alive():
            if (encoder := self._encoder) is not None:
                encoder.kill()
            with contextlib.suppress(queue.Full):
                self._frames.put(None, timeout=0.5)
            self._thread.join(0.5)
            log.warning("output %s did not finish within %.0f s; FFmpeg was stopped", self.name, CLOSE_SECONDS)

    def _open(self) -> VideoEncoder:
        target = self.target if "://" in self.target else time.strftime(self.target)
        self.starts += 1
        return VideoEncoder(target, self.size, self.fps, audio_rate=self.audio_rate)

    def _serve(self) -> None:
        """Any failure (FFmpeg exiting, failing to start, the disk) restarts the output; the thread never dies
        while frames come."""
        delay, retry_at, opened = RETRY_SECONDS[0], 0.0, 0.0
        while (item := self._frames.get()) is not None:
            if self._encoder is None and time.monotonic() < retry_at:
                self.dropped += 1
                self.audio_lost += item.repeats
                continue
            try:
                if self._encoder is None:
                    self._encoder, opened = self._open(), time.monotonic()
                self._encoder.write(item.image, item.audio)
                for _ in range(item.repeats - 1):
                    self._encoder.write(item.image)
                if time.monotonic() - opened > RETRY_SECONDS[1]:
                    delay = RETRY_SECONDS[0]  # it has been up a while: the next failure retries quickly again
            except Exception as exc:
                self.failures += 1
                reason = redact_text(str(exc))
                log.warning("output %s failed (%s); starting it again in %.0f s", self.name, reason, delay)
                if self._encoder is not None:
                    self._encoder.abort()  # its process reaped, pipes closed, a recording kept as NAME-recovered
                self._encoder, retry_at = None, time.monotonic() + delay
                delay = min(2 * delay, RETRY_SECONDS[1])
        if self._encoder is not None:
            try:
                self._encoder.close()
            except Exception as exc:
                log.warning("output %s did not close cleanly: %s", self.name, redact_text(str(exc)))
