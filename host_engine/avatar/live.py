"""The live host's face: speech goes in whenever there is something to say; frames and the matching audio come out
at a steady frame rate, idle (blinking, breathing, mouth shut) when the queue is empty. The portrait stands on the
studio's background image where one is given, and every frame carries the `Scene`'s layer (the product card and
the ad label) on top.

`LiveAvatar.next_frame` is the clock-free core (one frame and its audio block per call); `run` paces it in real
time into an `AVSink` such as FFmpeg streaming to a file or an RTMP URL, or the server's MJPEG preview.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from host_engine.avatar.motion import IdleMotion
from host_engine.avatar.pack import Pack
from host_engine.avatar.pauses import next_cut
from host_engine.avatar.render import make_renderer
from host_engine.avatar.scene import Scene
from host_engine.avatar.visemes import Mouth, VisemeTrack, from_audio, from_phonemes
from host_engine.media import resample
from host_engine.tts import WORD_BREAK, PhonemeTiming

AVSink = Callable[[np.ndarray, np.ndarray], None]
"""Takes one frame (BGR) and its span of audio (float32 mono)."""
INTERRUPT_MARGIN = 0.08
"""The soonest `LiveAvatar.interrupt` cuts, ahead of the frame being drawn (seconds)."""
CUT_FADE_SECONDS = 0.015
"""Speech cut between two words fades out over this long (no click where the seam is not silent)."""


@dataclass
class _Utterance:
    audio: np.ndarray
    track: VisemeTrack
    frame: int = 0
    end: int = -1
    """The frame it ends before: its track's length, or earlier once `interrupt` cut it."""
    cuttable: object | None = None
    """Who said it, where `interrupt` may cut it short; None: never cut (an answer)."""
    seams: tuple[tuple[float, float], ...] = ()
    """(start, end) seconds of each seam between two words the voice timed."""

    def __post_init__(self) -> None:
        if self.end < 0:
            self.end = len(self.track)


def _faded_out(audio: np.ndarray, at: int, sample_rate: int) -> np.ndarray:
    """`audio` silent from sample `at`, fading out over `CUT_FADE_SECONDS` before it."""
    fade = min(at, round(CUT_FADE_SECONDS * sample_rate))
    out = audio.copy()
    out[at - fade : at] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)
    out[at:] = 0.0
    return out


class LiveAvatar:
    def __init__(
        self,
        pack: Pack,
        size: tuple[int, int],
        fps: float = 25.0,
        sample_rate: int = 24000,
        seed: int = 0,
        backdrop: np.ndarray | None = None,
    ) -> None:
        self.renderer = make_renderer(pack, size, backdrop)
        self.scene = Scene(size)
        """What is shown over the host (`Scene.show`); nothing until told."""
        self.fps = fps
        self.sample_rate = sample_rate
        self.motion = IdleMotion(seed)
        self.frame_index = 0
        self._queue: deque[_Utterance] = deque()
        self._lock = threading.Lock()
        self._frame: np.ndarray | None = None
        self.frames_repeated = 0
        """Frames `run` sent again instead of drawing, to keep time while the CPU was busy with something else."""

    def say(
        self,
        audio: np.ndarray,
        sample_rate: int,
        phonemes: Sequence[PhonemeTiming] = (),
        cuttable: object | None = None,
    ) -> None:
        """Queue speech; it starts at the next frame if nothing else is being said. Speech given a `cuttable` owner
        may be cut short by `interrupt`. Thread-safe."""
        audio = resample(audio, sample_rate, self.sample_rate)
        duration = audio.size / self.sample_rate
        pair = (audio, self.sample_rate)
        track = from_phonemes(phonemes, duration, self.fps, pair) if phonemes else from_audio(*pair, self.fps)
        if len(track) == 0:
            return
        seams = tuple((p.start, p.end) for p in phonemes if p.phoneme == WORD_BREAK)
        with self._lock:
            self._queue.append(_Utterance(audio, track, cuttable=cuttable, seams=seams))

    @property
    def queued_seconds(self) -> float:
        with self._lock:
            return sum((u.end - u.frame) / self.fps for u in self._queue)

    def interrupt(self, margin: float = INTERRUPT_MARGIN) -> object | None:
        """Stop the cuttable speech being said where its next two words meet at least `margin` seconds ahead
        (never inside a word: `pauses.next_cut`), and drop the cuttable speech queued after it (also behind an
        answer being said), so that what is said next (an answer) starts there. Returns the owner of the speech cut
        short or dropped, or None when nothing was: nothing cuttable is said or queued, or no seam or pause comes
        before the end of what is being said (it then ends as it would have).
        Thread-safe."""
        with self._lock:
            if not self._queue:
                return None
            current, *after = self._queue
            dropped = [u.cuttable for u in after if u.cuttable is not None]
            self._queue = deque([current, *(u for u in after if u.cuttable is None)])
            if current.cuttable is None:  # an answer ends first; show speech queued behind it is dropped
                return dropped[0] if dropped else None
            cut = bool(dropped)
            at = next_cut(current.audio, self.sample_rate, current.frame / self.fps + margin, current.seams)
            if at is not None and math.ceil(at * self.fps) < current.end:
                current.end = math.ceil(at * self.fps)
                current.audio = _faded_out(current.audio, round(at * self.sample_rate), self.sample_rate)
                cut = True
            return current.cuttable if cut else None

    def _samples(self, index: int) -> int:
        return round((index + 1) * self.sample_rate / self.fps) - round(index * self.sample_rate / self.fps)

    def next_frame(self, draw: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """The next frame and exactly its span of audio (silence when idle); without `draw`, the previous frame
        again (the audio always advances)."""
        block = np.zeros(self._samples(self.frame_index), np.float32)
        mouth = Mouth(0.0, 0.0)
        with self._lock:
            utterance = self._queue[0] if self._queue else None
            if utterance is not None:
                mouth = utterance.track.mouth(utterance.frame)
                start = round(utterance.frame * self.sample_rate / self.fps)
                piece = utterance.audio[start : start + block.size]
                block[: piece.size] = piece
                utterance.frame += 1
                if utterance.frame >= utterance.end:
                    self._queue.popleft()
        if draw or self._frame is None:
            t = (self.frame_index + 0.5) / self.fps
            self._frame = self.scene.draw(self.renderer.draw(mouth, self.motion.pose(t, mouth.open)))
        self.frame_index += 1
        return self._frame, block

    def run(self, sink: AVSink, stop: threading.Event, realtime: bool = True) -> None:
        """Feed `sink` frame by frame until `stop` is set, at the frame rate when `realtime`. A frame due more than
        a frame ago is not drawn (the previous one goes out again), so a busy CPU costs smoothness, not time."""
        started = time.monotonic()
        first = self.frame_index
        period = 1 / self.fps
        while not stop.is_set():
            due = started + (self.frame_index - first) * period
            late = realtime and time.monotonic() - due > period
            if late:
                self.frames_repeated += 1
            sink(*self.next_frame(draw=not late))
            if realtime:
                time.sleep(max(0.0, due + period - time.monotonic()))
