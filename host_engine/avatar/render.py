"""Frames from a viseme track, and `host-engine avatar render`: a speech file in, a lip-synced MP4 out."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from host_engine.avatar import Renderer
from host_engine.avatar.motion import IdleMotion
from host_engine.avatar.pack import Pack, load_pack
from host_engine.avatar.photo import PhotoRenderer
from host_engine.avatar.sprites import SpriteRenderer
from host_engine.avatar.stage import frame_size
from host_engine.avatar.visemes import VisemeTrack, from_audio, from_phonemes
from host_engine.engines import Engines
from host_engine.errors import BadInputError
from host_engine.languages import get_language
from host_engine.media import VideoEncoder, decode_audio, write_wav
from host_engine.speech import speak

ANALYSIS_RATE = 16000
DEFAULT_FPS = 25.0
VIDEO_SUFFIXES = (".mp4", ".mkv", ".mov")
Progress = Callable[[int, int], None]

_RENDERERS: dict[str, Callable[[Pack, tuple[int, int], np.ndarray | None], Renderer]] = {
    "photo": PhotoRenderer,
    "sprites": SpriteRenderer,
}


def make_renderer(pack: Pack, size: tuple[int, int], backdrop: np.ndarray | None = None) -> Renderer:
    """The pack's renderer; `backdrop` (BGR) fills the frame behind the portrait instead of the pack's colour."""
    return _RENDERERS[pack.kind](pack, size, backdrop)


def frames(renderer: Renderer, track: VisemeTrack, motion: IdleMotion) -> Iterator[np.ndarray]:
    """One frame per frame of `track` (a lazy generator: nothing is drawn before it is asked for)."""
    for i in range(len(track)):
        mouth = track.mouth(i)
        yield renderer.draw(mouth, motion.pose((i + 0.5) / track.fps, mouth.open))


@dataclass(frozen=True)
class RenderOptions:
    size: str = "720p"
    fps: float = DEFAULT_FPS
    seed: int = 0
    """Blinks and head motion are drawn from it: the same seed gives the same frames."""


def render_track(
    pack: Pack,
    track: VisemeTrack,
    audio_path: Path,
    output: Path,
    options: RenderOptions,
    progress: Progress | None = None,
) -> int:
    """Draw `track` with the pack's face and mux it with `audio_path` into `output` (H.264 + AAC).

    Returns the frame count; on any failure nothing is left under `output`'s name."""
    if output.suffix.lower() not in VIDEO_SUFFIXES:
        raise BadInputError(f"{output}: name the output {' or '.join(VIDEO_SUFFIXES)}")
    if len(track) == 0:
        raise BadInputError(f"{audio_path}: shorter than one video frame; nothing to render")
    renderer = make_renderer(pack, frame_size(options.size))
    with VideoEncoder(output, renderer.size, track.fps, audio=audio_path) as encoder:
        for index, frame in enumerate(frames(renderer, track, IdleMotion(options.seed))):
            encoder.write(frame)
            if progress is not None:
                progress(index + 1, len(track))
    return len(track)


def render_audio(
    pack_name: str, audio_path: Path, output: Path, options: RenderOptions, progress: Progress | None = None
) -> int:
    """A speech file (any voice, any language) spoken by the pack: mouth shapes from the audio itself."""
    pack = load_pack(pack_name)
    audio = decode_audio(audio_path, ANALYSIS_RATE)
    track = from_audio(audio, ANALYSIS_RATE, options.fps)
    return render_track(pack, track, audio_path, output, options, progress)


def render_text(
    engines: Engines,
    pack_name: str,
    text: str,
    lang: str,
    output: Path,
    options: RenderOptions,
    progress: Progress | None = None,
) -> int:
    """`text` spoken by the language's default voice: mouth shapes from the voice's phoneme timings."""
    pack = load_pack(pack_name)
    line = speak(engines, text, get_language(lang).code, ANALYSIS_RATE)
    if line.audio.size == 0:
        raise BadInputError("nothing to say: the text has no speakable words")
    duration = line.audio.size / line.sample_rate
    track = from_phonemes(line.phonemes, duration, options.fps, (line.audio, line.sample_rate))
    with tempfile.TemporaryDirectory(prefix="host-engine-avatar-") as scratch:
        speech = Path(scratch) / "speech.wav"
        write_wav(speech, line.audio, line.sample_rate)
        return render_track(pack, track, speech, output, options, progress)
