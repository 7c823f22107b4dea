import numpy as np
import pytest

from host_engine.errors import BadInputError
from host_engine.media import decode_audio, probe, resample, time_stretch, write_wav


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
