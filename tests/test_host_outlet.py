"""An output whose FFmpeg falls behind drops pictures, never sound: the file keeps every sample, in time."""

import time

import av
import numpy as np

from host_engine.host.outlet import Outlet
from host_engine.media import VideoEncoder, decode_audio

FPS, RATE, FRAMES = 25, 16000, 100


def test_slow_encoder_drops_frames_but_keeps_their_audio(tmp_path, monkeypatch):
    real_write = VideoEncoder.write
    calls = 0

    def slow_for_a_while(self, frame, audio=None):
        nonlocal calls
        calls += 1
        if 5 <= calls <= 40:  # 36 frames at a third of real time: the one-second queue overflows
            time.sleep(3 / FPS)
        real_write(self, frame, audio)

    monkeypatch.setattr(VideoEncoder, "write", slow_for_a_while)
    target = tmp_path / "night.mp4"
    outlet = Outlet(str(target), (64, 48), FPS, RATE)
    block = RATE // FPS
    tone = (0.3 * np.sin(2 * np.pi * 440 * np.arange(FRAMES * block) / RATE)).astype(np.float32)
    frame = np.full((48, 64, 3), 128, np.uint8)
    for index in range(FRAMES):
        outlet.write(frame, tone[index * block : (index + 1) * block])
        time.sleep(1 / FPS)
    outlet.close()

    assert outlet.dropped > 0 and outlet.audio_lost == 0
    audio = decode_audio(target, RATE)
    assert abs(audio.size / RATE - FRAMES / FPS) < 0.05  # AAC priming aside, all 4 s of the tone
    with av.open(str(target)) as container:
        pictures = sum(1 for _ in container.decode(video=0))
    assert pictures == FRAMES  # the held frames were repeated, so picture and sound end together
