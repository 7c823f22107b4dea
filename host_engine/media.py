"""Media through FFmpeg: probe, decode to float PCM, resample, time-stretch, encode (PyAV), write WAV, mux (ffmpeg
CLI).

Every failure to read the user's file becomes one `BadInputError` line; nothing here prints a traceback for a
file that is empty, corrupt or has no sound.
"""

from __future__ import annotations

import contextlib
import glob
import io
import logging
import os
import re
import shutil
import subprocess
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import av
import numpy as np

from host_engine.durable import try_lock
from host_engine.errors import BadInputError, HostEngineError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MediaInfo:
    path: Path
    duration: float
    has_video: bool
    has_audio: bool


MEDIA_FORMATS = frozenset({
    "mov", "mp4", "m4a", "3gp", "matroska", "webm", "mpegts", "mpeg", "flv", "avi", "asf", "wav", "w64", "mp3",
    "flac", "ogg", "aac", "aiff", "caf", "amr", "au", "wv",
})  # fmt: skip
"""FFmpeg demuxers a file is read with: audio and video containers. Not playlists or lists of files (hls, concat,
dash, sdp: an uploaded playlist would make FFmpeg read a file of the server's, or open a network address)."""


def _open(path: Path) -> av.container.InputContainer:
    """`path` opened for reading media, local files only (no protocol but `file`), in one of `MEDIA_FORMATS`."""
    if not path.exists():
        raise BadInputError(f"{path}: no such file")
    if path.is_dir():
        raise BadInputError(f"{path}: is a folder, not a media file")
    if path.stat().st_size == 0:
        raise BadInputError(f"{path}: the file is empty (0 bytes)")
    try:
        container = av.open(str(path), options={"protocol_whitelist": "file"})
    except av.FFmpegError:
        raise BadInputError(f"{path}: not a media file FFmpeg can read (corrupt or unknown format)") from None
    if not set(container.format.name.split(",")) & MEDIA_FORMATS:
        container.close()
        raise BadInputError(f"{path}: a '{container.format.name}' file is not taken as media (playlists and lists of "
                            "other files are refused); send the audio or video itself")  # fmt: skip
    return container


def probe(path: Path) -> MediaInfo:
    with _open(path) as container:
        duration = container.duration / av.time_base if container.duration else 0.0
        if not duration:
            duration = max((float(s.duration * s.time_base) for s in container.streams if s.duration), default=0.0)
        return MediaInfo(path, duration, bool(container.streams.video), bool(container.streams.audio))


def decode_audio(path: Path, sample_rate: int = 16000, stream: int = 0) -> np.ndarray:
    """Audio stream number `stream` (0 = the first) as float32 mono at `sample_rate`."""
    chunks: list[np.ndarray] = []
    with _open(path) as container:
        if len(container.streams.audio) <= stream:
            raise BadInputError(f"{path}: has no audio stream #{stream}")
        resampler = av.AudioResampler(format="flt", layout="mono", rate=sample_rate)
        try:
            for frame in container.decode(audio=stream):
                chunks.extend(out.to_ndarray().reshape(-1) for out in resampler.resample(frame))
            chunks.extend(out.to_ndarray().reshape(-1) for out in resampler.resample(None))
        except av.FFmpegError:
            raise BadInputError(f"{path}: the audio is corrupt and cannot be decoded") from None
    if not chunks:
        raise BadInputError(f"{path}: the audio stream holds no samples")
    return np.concatenate(chunks).astype(np.float32, copy=False)


def _mono_frame(audio: np.ndarray, sample_rate: int) -> av.AudioFrame:
    frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(audio, np.float32)[None, :], format="flt", layout="mono")
    frame.sample_rate = sample_rate
    frame.pts = 0
    return frame


def _run_filter(audio: np.ndarray, sample_rate: int, name: str, args: str, out_rate: int) -> np.ndarray:
    """Push mono float audio through one FFmpeg audio filter and collect the result."""
    graph = av.filter.Graph()
    source = graph.add_abuffer(format="flt", sample_rate=sample_rate, layout="mono")
    node = graph.add(name, args)
    fmt = graph.add("aformat", f"sample_fmts=flt:channel_layouts=mono:sample_rates={out_rate}")
    sink = graph.add("abuffersink")
    source.link_to(node)
    node.link_to(fmt)
    fmt.link_to(sink)
    graph.configure()
    graph.push(_mono_frame(audio, sample_rate))
    graph.push(None)
    out: list[np.ndarray] = []
    while True:
        try:
            out.append(graph.pull().to_ndarray().reshape(-1))
        except (av.error.EOFError, av.error.BlockingIOError):
            break
    return np.concatenate(out) if out else np.zeros(0, np.float32)


def resample(audio: np.ndarray, sample_rate: int, target_rate: int) -> np.ndarray:
    if sample_rate == target_rate or audio.size == 0:
        return audio.astype(np.float32, copy=False)
    return _run_filter(audio, sample_rate, "aresample", str(target_rate), target_rate)


def time_stretch(audio: np.ndarray, sample_rate: int, factor: float) -> np.ndarray:
    """Play `factor` times faster (>1 shortens) without changing pitch (FFmpeg's WSOLA `atempo`)."""
    if abs(factor - 1.0) < 1e-3 or audio.size == 0:
        return audio
    if not 0.5 <= factor <= 2.0:
        raise ValueError(f"time-stretch factor {factor:.2f} outside 0.5-2.0")
    return _run_filter(audio, sample_rate, "atempo", f"{factor:.6f}", sample_rate)


def write_wav(path: Path, audio: np.ndarray, sample_rate: int) -> None:
    """16-bit PCM mono WAV."""
    pcm = (np.clip(audio, -1.0, 1.0) * 32767.0).astype("<i2")
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(sample_rate)
        handle.writeframes(pcm.tobytes())


ENCODINGS = {"wav": ("wav", "pcm_s16le"), "mp3": ("mp3", "libmp3lame"), "opus": ("ogg", "libopus"),
             "aac": ("adts", "aac"), "flac": ("flac", "flac")}  # fmt: skip
"""Audio file formats `encode_audio` writes: name -> (container, codec)."""
OPUS_RATES = (8000, 12000, 16000, 24000, 48000)
"""The only sample rates Opus encodes (Piper's 22.05 kHz is resampled to 48 kHz)."""


def encode_audio(audio: np.ndarray, sample_rate: int, fmt: str) -> bytes:
    """Mono float audio as a file in memory, in one of `ENCODINGS`, or "pcm": bare 16-bit little-endian samples."""
    if fmt == "pcm":
        return (np.clip(audio, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()
    container_format, codec = ENCODINGS[fmt]
    if codec == "libopus" and sample_rate not in OPUS_RATES:
        audio, sample_rate = resample(audio, sample_rate, OPUS_RATES[-1]), OPUS_RATES[-1]
    buffer = io.BytesIO()
    with av.open(buffer, "w", format=container_format) as container:
        stream = container.add_stream(codec, rate=sample_rate, layout="mono")
        for packet in (*stream.encode(_mono_frame(audio, sample_rate)), *stream.encode(None)):
            container.mux(packet)
    return buffer.getvalue()


@dataclass(frozen=True)
class AudioTrack:
    path: Path
    iso3: str
    title: str


def ffmpeg_binary() -> str:
    binary = shutil.which("ffmpeg")
    if binary is None:
        raise HostEngineError("FFmpeg is not installed; run `sudo apt-get install ffmpeg` (or `make setup`)")
    return binary


def mux(source: Path, tracks: list[AudioTrack], output: Path, source_iso3: str) -> None:
    """Write `output`: the source's video copied, its audio kept first, then one AAC track per `tracks`."""
    info = probe(source)
    command = [ffmpeg_binary(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i", str(source)]
    for track in tracks:
        command += ["-i", str(track.path)]
    if info.has_video:
        command += ["-map", "0:v:0", "-c:v", "copy"]
    command += ["-map", "0:a:0"]
    for index in range(len(tracks)):
        command += ["-map", f"{index + 1}:a:0"]
    command += ["-c:a", "aac", "-b:a", "128k", "-metadata:s:a:0", f"language={source_iso3}"]
    command += ["-metadata:s:a:0", "title=original", "-disposition:a:0", "default"]
    for index, track in enumerate(tracks, start=1):
        command += [f"-metadata:s:a:{index}", f"language={track.iso3}"]
        command += [f"-metadata:s:a:{index}", f"title={track.title}", f"-disposition:a:{index}", "0"]
    command += ["-movflags", "+faststart", str(output)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["unknown error"])[-1]
        raise HostEngineError(f"FFmpeg could not write {output.name}: {last}")


LIVE_MOVFLAGS = "+frag_keyframe+delay_moov+default_base_moof"
"""A live MP4 written as a fragment per keyframe (every 2 s), each playable once written: no index at the end.
`delay_moov` writes the header with the first fragment, late enough to hold the edit list that hides AAC's
priming (with `empty_moov` the sound plays 43 ms late at 24 kHz)."""

PARTIAL = ".partial"


def partial_path(final: Path) -> Path:
    """Where a recording of `final` is written until FFmpeg finishes it cleanly: hidden, beside it."""
    return final.with_name(f".{final.stem}{PARTIAL}{final.suffix}")


def _finished_path(partial: Path) -> Path:
    """The name `partial` would have been renamed to (`partial_path` undone)."""
    match = re.fullmatch(rf"\.(.*){re.escape(PARTIAL)}(\.[^.]*)?", partial.name)
    assert match is not None
    return partial.with_name(match.group(1) + (match.group(2) or ""))


_DIGIT_FIELDS = frozenset("CdHIjmMSsUuVWwYyGgf")
"""strftime fields that print digits only."""


def _wildcards(template: str) -> tuple[str, re.Pattern[str]]:
    """A glob for the paths `time.strftime(template)` can make, and a regex that checks each exactly."""
    wild, exact = [], []
    for index, piece in enumerate(re.split(r"(%.)", template)):
        if index % 2 == 0 or piece == "%%":
            text = piece if index % 2 == 0 else "%"
            wild.append(glob.escape(text))
            exact.append(re.escape(text))
        else:
            wild.append("*")
            exact.append(r"\d+" if piece[1] in _DIGIT_FIELDS else r"[^/]+")
    return "".join(wild), re.compile("".join(exact))


def _recovered_path(final: Path) -> Path:
    """`NAME-recovered.EXT` (then `-recovered-2`, ...): never `NAME.EXT` itself, which a restart in the same minute
    (or any restart, for a target without strftime fields) records again and replaces on a clean close."""
    path, count = final.with_name(f"{final.stem}-recovered{final.suffix}"), 1
    while path.exists():
        count += 1
        path = final.with_name(f"{final.stem}-recovered-{count}{final.suffix}")
    return path


def recover_partials(target: str | Path) -> list[Path]:
    """Make visible the recordings of the file output `target` that a killed run left hidden.

    `target` is the output as configured, strftime fields and all (`out/night-%Y%m%d-%H%M.mkv`): every
    `.NAME.partial.EXT` those fields could have named is renamed to `NAME-recovered.EXT`, except one that a
    running encoder still holds (its lock), so this is safe to call while other recordings go on. A partial
    FFmpeg wrote nothing into is deleted. Returns the recovered files, each logged with a warning.
    """
    pattern, exact = _wildcards(str(partial_path(Path(target))))
    recovered = []
    for name in sorted(glob.glob(pattern)):
        partial = Path(name)
        if not exact.fullmatch(name) or not partial.is_file() or (lock := try_lock(partial)) is None:
            continue
        try:
            size = partial.stat().st_size
            if size == 0:
                partial.unlink()
                log.info("removed %s: a recording killed before FFmpeg wrote anything", partial)
                continue
            visible = _recovered_path(_finished_path(partial))
            partial.rename(visible)
        finally:
            os.close(lock)
        log.warning("recovered %s (%.1f MB): the recording of a run killed before it finished", visible, size / 1e6)
        recovered.append(visible)
    return recovered


class VideoEncoder:
    """Raw BGR frames in, H.264 out through the ffmpeg CLI, with AAC audio from the `audio` file or, live, from
    blocks passed to `write` beside each frame (`audio_rate` set; FFmpeg reads them through a second pipe).

    A file target is written under a hidden name (`partial_path`), locked while it is written, and renamed only
    when FFmpeg finishes cleanly, so a failed or interrupted render never leaves a half-written file under the
    name asked for; `recover_partials` brings back what a killed run left. A live MP4 (`audio_rate` set) is
    fragmented, so one killed mid-write still plays up to its last keyframe; a killed MKV plays up to its last
    cluster as it is, though without a duration in its header. `rtmp://` targets go out as FLV.
    """

    def __init__(
        self,
        target: str | Path,
        size: tuple[int, int],
        fps: float,
        audio: Path | None = None,
        audio_rate: int | None = None,
    ) -> None:
        binary = ffmpeg_binary()
        self.target = str(target)
        self.is_stream = "://" in self.target
        self._live = audio_rate is not None
        self._final = None if self.is_stream else Path(self.target)
        output = self.target
        self._lock: int | None = None
        if self._final is not None:
            output = str(partial_path(self._final))
            try:
                self._final.parent.mkdir(parents=True, exist_ok=True)
                self._lock = try_lock(Path(output))
            except OSError as exc:
                raise HostEngineError(f"cannot write {self._final}: {exc.strerror}") from None
            if self._lock is None:
                raise HostEngineError(f"cannot write {self._final}: another recorder is writing {output} now")
        self._output = output
        width, height = size
        command = [
            binary, "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
            "-probesize", "32", "-analyzeduration", "0", "-thread_queue_size", "64",
            "-f", "rawvideo", "-pix_fmt", "bgr24", "-s", f"{width}x{height}", "-r", f"{fps:g}", "-i", "pipe:0",
        ]  # fmt: skip
        self._audio_pipe: BinaryIO | None = None
        pipe_read = None
        if audio_rate is not None:
            pipe_read, pipe_write = os.pipe()
            self._audio_pipe = os.fdopen(pipe_write, "wb")
            command += ["-probesize", "32", "-analyzeduration", "0", "-thread_queue_size", "64"]
            command += ["-f", "s16le", "-ar", str(audio_rate), "-ac", "1", "-i", f"pipe:{pipe_read}"]
        elif audio is not None:
            command += ["-i", str(audio)]
        if audio is not None or audio_rate is not None:
            command += ["-map", "0:v:0", "-map", "1:a:0", "-c:a", "aac", "-b:a", "128k"]
        command += ["-c:v", "libx264", "-preset", "veryfast", "-crf", "21", "-pix_fmt", "yuv420p"]
        command += ["-g", str(round(2 * fps))]
        if self.target.startswith("rtmp"):
            command += ["-f", "flv", output]
        else:
            live_mp4 = audio_rate is not None and Path(self.target).suffix.lower() in (".mp4", ".mov")
            command += ["-movflags", LIVE_MOVFLAGS if live_mp4 else "+faststart", output]
        passed = (pipe_read,) if pipe_read is not None else ()
        try:
            self._process = subprocess.Popen(command, stdin=subprocess.PIPE, stderr=subprocess.PIPE, pass_fds=passed)
        except OSError as exc:  # no descriptor or lock left behind
            self._close_audio()
            self._unlock()
            raise HostEngineError(f"cannot start FFmpeg for {self.target}: {exc.strerror}") from None
        finally:
            if pipe_read is not None:
                os.close(pipe_read)
        self.frames = 0

    def write(self, frame: np.ndarray, audio: np.ndarray | None = None) -> None:
        """One frame, and (live audio only) the audio it spans."""
        assert self._process.stdin is not None
        try:
            self._process.stdin.write(frame.tobytes())
            if self._audio_pipe is not None and audio is not None:
                self._audio_pipe.write((np.clip(audio, -1.0, 1.0) * 32767.0).astype("<i2").tobytes())
                self._audio_pipe.flush()
        except BrokenPipeError:
            self.abort()
            raise HostEngineError(f"FFmpeg stopped taking frames for {self.target}: {self._error()}") from None
        self.frames += 1

    def close(self) -> None:
        """Finish the file (or stream); raises if FFmpeg failed, leaving nothing under the target name."""
        assert self._process.stdin is not None
        self._process.stdin.close()
        self._close_audio()
        if self._process.wait() != 0:
            message = self._error()
            self._discard()
            raise HostEngineError(f"FFmpeg could not write {self.target}: {message}")
        if self._final is not None:
            Path(self._output).replace(self._final)
            self._unlock()

    def kill(self) -> None:
        """Stop FFmpeg now, from any thread (a stuck stream): the writer's next or pending write fails."""
        self._process.kill()

    def abort(self) -> None:
        self._process.kill()
        self._process.wait()
        self._close_audio()
        self._discard()

    def _close_audio(self) -> None:
        if self._audio_pipe is not None:
            with contextlib.suppress(BrokenPipeError):
                self._audio_pipe.close()
            self._audio_pipe = None

    def _discard(self) -> None:
        """A failed render leaves nothing; a failed live recording keeps what it recorded, as `NAME-recovered.EXT`
        (a night's stream is worth keeping up to the moment FFmpeg failed)."""
        if self._final is None:
            return
        partial = Path(self._output)
        if self._live and partial.is_file() and partial.stat().st_size > 0:
            kept = _recovered_path(self._final)
            partial.rename(kept)
            log.warning("kept %s: what the recording held when FFmpeg failed", kept)
        else:
            partial.unlink(missing_ok=True)
        self._unlock()

    def _unlock(self) -> None:
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None

    def _error(self) -> str:
        assert self._process.stderr is not None
        lines = self._process.stderr.read().decode(errors="replace").strip().splitlines()
        return lines[-1] if lines else f"exit status {self._process.returncode}"

    def __enter__(self) -> VideoEncoder:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        if kind is None:
            self.close()
        else:
            self.abort()
