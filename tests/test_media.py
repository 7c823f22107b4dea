import logging
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import av
import numpy as np
import pytest

from host_engine.errors import BadInputError, HostEngineError
from host_engine.media import VideoEncoder, decode_audio, probe, recover_partials, resample, time_stretch, write_wav

ROOT = Path(__file__).resolve().parents[1]


def test_probe_and_decode_the_sample(sample_clip):
    info = probe(sample_clip)
    assert info.has_video and info.has_audio
    assert info.duration == pytest.approx(29.53, abs=0.1)
    audio = decode_audio(sample_clip, 16000)
    assert audio.dtype == np.float32 and audio.size / 16000 == pytest.approx(29.53, abs=0.1)


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "empty"), (b"\x00garbage" * 100, "not a media file")],
)
def test_bad_files_give_one_clear_error(tmp_path, content, message):
    path = tmp_path / "clip.mp4"
    path.write_bytes(content)
    with pytest.raises(BadInputError, match=message):
        decode_audio(path)


def test_missing_file(tmp_path):
    with pytest.raises(BadInputError, match="no such file"):
        probe(tmp_path / "nope.wav")


def test_resample_and_wav_roundtrip(tmp_path):
    tone = (0.3 * np.sin(2 * np.pi * 440 * np.arange(22050) / 22050)).astype(np.float32)
    path = tmp_path / "tone.wav"
    write_wav(path, tone, 22050)
    back = decode_audio(path, 16000)
    assert back.size == pytest.approx(16000, abs=64)
    assert resample(tone, 22050, 48000).size == pytest.approx(48000, abs=64)


def test_time_stretch_keeps_pitch_and_changes_duration():
    rate = 24000
    tone = (0.3 * np.sin(2 * np.pi * 300 * np.arange(rate * 2) / rate)).astype(np.float32)
    faster = time_stretch(tone, rate, 1.25)
    assert faster.size / rate == pytest.approx(1.6, abs=0.02)
    spectrum = np.abs(np.fft.rfft(faster))
    assert np.fft.rfftfreq(faster.size, 1 / rate)[spectrum.argmax()] == pytest.approx(300, abs=5)


RECORDER = """
import sys, time
import numpy as np
from host_engine.media import VideoEncoder
fps, rate = 25, 16000
encoder = VideoEncoder(time.strftime(sys.argv[1]), (320, 240), fps, audio_rate=rate)
noise, began = np.random.default_rng(0), time.monotonic()
for i in range(100_000):
    tone = 0.3 * np.sin(2 * np.pi * 440 * (np.arange(rate // fps) + i * rate // fps) / rate)
    encoder.write(noise.integers(0, 255, (240, 320, 3), np.uint8), tone.astype(np.float32))
    time.sleep(max(0.0, began + (i + 1) / fps - time.monotonic()))
"""


@pytest.mark.parametrize("suffix", [".mkv", ".mp4"])
def test_a_live_recording_killed_mid_write_is_recovered_and_plays(tmp_path, suffix):
    """The host and its FFmpeg killed together (`kill -9` of the process group, as systemd does), then recovered.
    About 4 s are recorded: a killed MP4 keeps its whole fragments (2 s each), and there its audio trails its
    video by about a second, so the first fragment has no sound."""
    template = tmp_path / f"night-%Y%m%d-%H%M%S{suffix}"
    recorder = subprocess.Popen([sys.executable, "-c", RECORDER, str(template)], cwd=ROOT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not [p for p in tmp_path.glob(f".night-*.partial{suffix}") if p.stat().st_size > 4_000_000]:
            assert recorder.poll() is None and time.monotonic() < deadline
            time.sleep(0.1)
    finally:
        os.killpg(recorder.pid, signal.SIGKILL)
        recorder.wait()
    [partial] = tmp_path.glob(".night-*")
    [recovered] = recover_partials(template)
    assert recovered == tmp_path / f"{partial.name[1 : -len(f'.partial{suffix}')]}-recovered{suffix}"
    assert [p.name for p in tmp_path.iterdir()] == [recovered.name]
    assert re.fullmatch(rf"night-\d{{8}}-\d{{6}}-recovered{suffix}", recovered.name)
    info = probe(recovered)
    assert info.has_video and info.has_audio
    if suffix == ".mp4":  # a killed MKV has no Duration element: it plays, but probe() reads 0 s
        assert info.duration > 1.0
    with av.open(str(recovered)) as container:
        assert sum(1 for _ in container.decode(video=0)) > 50
    assert decode_audio(recovered, 16000).size > 16000


def test_recovery_takes_only_the_targets_leftovers(tmp_path, caplog):
    template = tmp_path / "night-%Y%m%d-%H%M.mkv"
    taken = "night-20261202-2300-recovered.mkv"
    others = (".night-backup-20261202-2200.partial.mkv", ".day-20261202-2200.partial.mkv")
    for name in (".night-20261202-2200.partial.mkv", ".night-20261202-2300.partial.mkv", taken, *others):
        (tmp_path / name).write_bytes(b"recorded")
    (tmp_path / ".night-20261203-0100.partial.mkv").write_bytes(b"")
    live = VideoEncoder(tmp_path / "night-20261203-0200.mkv", (64, 48), 25, audio_rate=16000)
    try:
        recovered = recover_partials(template)
        assert sorted(p.name for p in recovered) == ["night-20261202-2200-recovered.mkv",
                                                     "night-20261202-2300-recovered-2.mkv"]  # fmt: skip
        left = {p.name for p in tmp_path.iterdir()}
        assert left == {*others, ".night-20261203-0200.partial.mkv", taken, *(p.name for p in recovered)}
        assert all(p.read_bytes() == b"recorded" for p in recovered)
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 2 and all("killed before it finished" in w for w in warnings)
        with pytest.raises(HostEngineError, match="another recorder is writing"):
            VideoEncoder(tmp_path / "night-20261203-0200.mkv", (64, 48), 25, audio_rate=16000)
        live.write(np.zeros((48, 64, 3), np.uint8), np.zeros(640, np.float32))
    finally:
        live.close()
    assert probe(tmp_path / "night-20261203-0200.mkv").has_video
    assert recover_partials(template) == []


def test_a_target_without_fields_is_recovered_beside_the_name_the_next_run_takes(tmp_path):
    (tmp_path / ".show.partial.mp4").write_bytes(b"recorded")
    assert recover_partials(str(tmp_path / "show.mp4")) == [tmp_path / "show-recovered.mp4"]
