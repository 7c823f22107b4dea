"""Avatar: viseme tracks, packs, renders of real TTS speech checked from the output files themselves."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
import yaml

from host_engine.asr import TranscribeOptions
from host_engine.avatar.live import CUT_FADE_SECONDS, INTERRUPT_MARGIN, LiveAvatar
from host_engine.avatar.motion import BLINK_GAP_SECONDS, IdleMotion
from host_engine.avatar.pack import AVATARS_DIR, load_pack
from host_engine.avatar.prepare import prepare_pack
from host_engine.avatar.render import RenderOptions, render_text
from host_engine.avatar.sync import measure_sync
from host_engine.avatar.visemes import Viseme, from_audio, from_phonemes, viseme_for
from host_engine.errors import BadInputError, HostEngineError
from host_engine.media import VideoEncoder, decode_audio, probe, resample, write_wav
from host_engine.speech import speak
from host_engine.tts import WORD_BREAK, PhonemeTiming

RATE = 22050
PITCH = (
    "Welcome back to the studio. Tonight we have three new products for you, starting with a lightweight rain "
    "jacket that folds into its own pocket. It costs forty nine dollars, and shipping is free in every market."
)


@pytest.fixture(scope="session")
def speech_file(engines, tmp_path_factory) -> Path:
    """About 20 s: English TTS speech with 2 s of silence at each end (the issue's acceptance clip)."""
    line = speak(engines, PITCH + " Ask me anything in the chat, in any language.", "en", RATE)
    pad = np.zeros(2 * RATE, np.float32)
    path = tmp_path_factory.mktemp("avatar") / "speech.wav"
    write_wav(path, np.concatenate([pad, line.audio, pad]), RATE)
    return path


def _video_frames(path: Path) -> int:
    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(video=0))


def _codecs(path: Path) -> set[str]:
    with av.open(str(path)) as container:
        return {stream.codec_context.name for stream in container.streams}


def test_phonemes_map_to_mouth_shapes() -> None:
    assert [viseme_for(p) for p in ("m", "b", "aː", "u", "f", "i", "o", "l", "s")] == [
        Viseme.A, Viseme.A, Viseme.D, Viseme.F, Viseme.G, Viseme.B, Viseme.E, Viseme.H, Viseme.B,
    ]  # fmt: skip
    track = from_phonemes([PhonemeTiming("m", 0.0, 0.2), PhonemeTiming("a", 0.2, 0.6)], 0.8, 25.0)
    assert len(track) == 20
    assert track.open[2] <= 0.05  # lips shut for m
    assert track.open[10] > 0.8  # jaw open for a
    assert track.open[-1] < 0.1  # silence after


def test_audio_track_opens_on_speech_only(speech_file: Path) -> None:
    audio = decode_audio(speech_file, 16000)
    track = from_audio(audio, 16000, 25.0)
    assert len(track) == round(audio.size / 16000 * 25)
    assert track.open[:40].max() == 0.0  # 2 s of leading silence: not a twitch
    assert track.open[-40:].max() == 0.0
    assert track.open[60:-60].max() > 0.6
    assert from_audio(np.zeros(16000, np.float32), 16000, 25.0).open.max() == 0.0


def test_blinks_come_at_natural_intervals() -> None:
    motion = IdleMotion(seed=3)
    levels = np.array([motion.pose(i / 100).blink for i in range(6000)])
    starts = np.flatnonzero((levels[1:] > 0.5) & (levels[:-1] <= 0.5)) / 100
    assert 60 / BLINK_GAP_SECONDS[1] <= len(starts) <= 60 / BLINK_GAP_SECONDS[0] + 1
    assert np.diff(starts).min() >= BLINK_GAP_SECONDS[0] - 0.1


def test_render_cli_photo_pack_is_in_sync(cli, speech_file: Path, tmp_path: Path) -> None:
    output = tmp_path / "host.mp4"
    result = cli("avatar", "render", "--pack", "astronaut", "--audio", str(speech_file), "-o", str(output))
    assert result.returncode == 0, result.stderr
    audio_seconds = decode_audio(speech_file, 16000).size / 16000
    assert abs(probe(output).duration - audio_seconds) < 0.1
    assert _video_frames(output) == round(audio_seconds * 25)
    assert _codecs(output) == {"h264", "aac"}
    report = measure_sync(output, load_pack("astronaut"))
    assert abs(report.offset_ms) <= 40
    assert report.correlation >= 0.5
    assert report.speech_opening > 2 * report.silence_opening
    assert not list(tmp_path.glob(".*partial*"))


def test_render_text_sprite_pack_in_japanese(engines, tmp_path: Path) -> None:
    output = tmp_path / "mika.mp4"
    text = "こんばんは。今夜のおすすめは、軽いレインジャケットです。送料は無料です。"
    frames = render_text(engines, "mika", text, "ja", output, RenderOptions(size="1080p"))
    assert _video_frames(output) == frames
    with av.open(str(output)) as container:
        assert (container.streams.video[0].width, container.streams.video[0].height) == (1920, 1080)
    report = measure_sync(output, load_pack("mika"))
    assert abs(report.offset_ms) <= 40 and report.correlation >= 0.5
    assert report.speech_opening > 5 * report.silence_opening


def test_live_avatar_streams_idle_then_speech(speech_file: Path, tmp_path: Path) -> None:
    avatar = LiveAvatar(load_pack("mika"), (1280, 720), fps=25.0, sample_rate=24000)
    output = tmp_path / "live.mp4"
    idle = []
    with VideoEncoder(output, (1280, 720), 25.0, audio_rate=24000) as encoder:
        for _ in range(75):
            frame, audio = avatar.next_frame()
            assert audio.size == 960 and not audio.any()
            idle.append(frame)
            encoder.write(frame, audio)
        avatar.say(decode_audio(speech_file, 24000), 24000)
        while avatar.queued_seconds > 0:
            encoder.write(*avatar.next_frame())
    assert np.abs(idle[0].astype(int) - idle[50].astype(int)).mean() > 0.5  # breathing and drift: never frozen
    assert abs(probe(output).duration - encoder.frames / 25) < 0.1
    report = measure_sync(output, load_pack("mika"))
    assert abs(report.offset_ms) <= 40 and report.correlation >= 0.5


def test_live_avatar_keeps_time_when_the_cpu_is_busy() -> None:
    avatar = LiveAvatar(load_pack("mika"), (1280, 720), fps=25.0, sample_rate=24000)
    stop, blocks = threading.Event(), []

    def sink(frame: np.ndarray, audio: np.ndarray) -> None:
        blocks.append(audio.size)
        if len(blocks) == 5:
            time.sleep(0.4)  # the CPU taken by something else for ten frames' time
        if len(blocks) == 50:
            stop.set()

    started = time.monotonic()
    avatar.run(sink, stop)
    assert time.monotonic() - started < 3.0  # 50 frames at 25 fps (2 s): the stall was not added on
    assert avatar.frames_repeated >= 8 and sum(blocks) == 50 * 960  # frames repeated, audio whole


def test_prepare_finds_the_face_with_dlib(tmp_path: Path) -> None:
    shipped = load_pack("astronaut")
    pack = prepare_pack(shipped.path(shipped.image), "again", "test", directory=tmp_path)
    assert "dlib" in (tmp_path / "again" / "pack.yaml").read_text()
    assert np.allclose(pack.geometry.lips_meet, shipped.geometry.lips_meet, atol=3)
    gray = tmp_path / "gray.png"
    cv2.imwrite(str(gray), np.full((300, 300, 3), 128, np.uint8))
    with pytest.raises(BadInputError, match="no face found"):
        prepare_pack(gray, "gray", "test", directory=tmp_path)
    with pytest.raises(BadInputError, match="already exists"):
        prepare_pack(shipped.path(shipped.image), "again", "test", directory=tmp_path)


def test_prepare_falls_back_on_opencv_cascades(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("host_engine.avatar.prepare.DLIB_LANDMARKS", tmp_path / "not-installed.dat")
    shipped = load_pack("astronaut")
    pack = prepare_pack(shipped.path(shipped.image), "coarse", "test", directory=tmp_path)
    assert "Haar cascade" in (tmp_path / "coarse" / "pack.yaml").read_text()
    assert np.allclose(pack.geometry.lips_meet, shipped.geometry.lips_meet, atol=0.15 * shipped.geometry.face[2])


def test_broken_packs_give_one_clear_error(tmp_path: Path) -> None:
    folder = tmp_path / "broken"
    shutil.copytree(AVATARS_DIR / "mika", folder)
    data = yaml.safe_load((folder / "pack.yaml").read_text())
    del data["sprites"]["mouth"]["D"]
    (folder / "pack.yaml").write_text(yaml.safe_dump(data))
    with pytest.raises(HostEngineError, match="mouth sprites missing for shapes D"):
        load_pack(str(folder))
    data = yaml.safe_load((AVATARS_DIR / "astronaut" / "pack.yaml").read_text())
    data["geometry"]["pivot"] = [5000, 10]
    data["image"] = str(AVATARS_DIR / "astronaut" / "portrait.jpg")
    (folder / "pack.yaml").write_text(yaml.safe_dump(data))
    with pytest.raises(BadInputError, match="outside"):
        _ = load_pack(str(folder)).portrait


@pytest.mark.parametrize(
    ("audio", "pack", "output", "message"),
    [
        ("empty.wav", "astronaut", "out.mp4", "empty"),
        ("corrupt.wav", "astronaut", "out.mp4", "corrupt"),
        ("speech", "nobody", "out.mp4", "no avatar pack 'nobody'"),
        ("speech", "astronaut", "out.txt", "name the output"),
        ("speech", "astronaut", "afile/out.mp4", "cannot write"),
    ],
)
def test_render_bad_input_is_one_line(cli, speech_file, tmp_path, audio, pack, output, message) -> None:
    (tmp_path / "empty.wav").write_bytes(b"")
    (tmp_path / "corrupt.wav").write_bytes(b"RIFF\x10\x00\x00\x00WAVEfmt garbage" * 10)
    (tmp_path / "afile").write_text("not a folder")
    source = speech_file if audio == "speech" else tmp_path / audio
    result = cli("avatar", "render", "--pack", pack, "--audio", str(source), "-o", str(tmp_path / output))
    assert result.returncode == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not list(tmp_path.glob("*.mp4")) and not list(tmp_path.glob(".*partial*"))


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "This lightweight rain jacket folds into its own pocket, and it weighs only two hundred grams."),
        ("ja", "こちらのレインジャケットは軽くて、ポケットに収納できます。"),
    ],
)
def test_an_interrupted_sentence_stops_between_words(engines, lang: str, text: str) -> None:
    """Barge-in: the host's speech is cut at a pause of the real voice's audio, never inside a word, and what is
    queued after it is dropped; an answer (not cuttable) is never cut."""
    chunks = list(engines.synthesizer(lang, None).synthesize(text, lang))
    avatar = LiveAvatar(load_pack("mika"), (1280, 720), fps=25.0, sample_rate=24000)
    for chunk in chunks:
        avatar.say(chunk.audio, chunk.sample_rate, chunk.phonemes, cuttable="rundown")
    whole = avatar.queued_seconds
    for _ in range(10):  # 0.4 s said
        avatar.next_frame(draw=False)
    assert avatar.interrupt() == "rundown"
    left = avatar.queued_seconds
    assert 0.0 < left < whole - 0.4 - 0.5  # cut within the sentence, more than half a second early
    tail = np.concatenate([avatar.next_frame(draw=False)[1] for _ in range(round(left * 25))])
    said = np.concatenate([chunk.audio for chunk in chunks])
    loud = np.percentile(np.abs(said), 95)
    assert np.abs(tail[-240:]).max() < 0.1 * loud  # its last 10 ms: quiet, not a word cut in two
    assert avatar.queued_seconds == 0 and not avatar.next_frame(draw=False)[1].any()
    avatar.say(chunks[0].audio, chunks[0].sample_rate)  # an answer
    assert avatar.interrupt() is None and avatar.queued_seconds > 1.0
    answer = avatar.queued_seconds
    avatar.say(chunks[-1].audio, chunks[-1].sample_rate, chunks[-1].phonemes, cuttable="next rundown line")
    assert avatar.interrupt() == "next rundown line"  # queued behind the answer: dropped, the answer said whole
    assert avatar.queued_seconds == pytest.approx(answer)


def test_a_sentence_without_a_pause_is_cut_where_two_words_meet(engines) -> None:
    """Barge-in into a sentence said in one breath: it is cut at the next seam between words that Piper timed (not
    at its end), faded out, and what was said is whole words."""
    text = "It weighs very little and keeps you warm and dry in a storm."
    (chunk,) = engines.synthesizer("en", None).synthesize(text, "en")
    seams = [(p.start + p.end) / 2 for p in chunk.phonemes if p.phoneme == WORD_BREAK]
    assert len(seams) == len(text.split()) - 1
    avatar = LiveAvatar(load_pack("mika"), (640, 360), fps=25.0, sample_rate=24000)
    avatar.say(chunk.audio, chunk.sample_rate, chunk.phonemes, cuttable="rundown")
    said = [avatar.next_frame(draw=False)[1] for _ in range(30)]  # 1.2 s
    assert avatar.interrupt() == "rundown"
    seam = min(s for s in seams if s > 1.2 + INTERRUPT_MARGIN)
    assert 1.2 + avatar.queued_seconds == pytest.approx(seam, abs=1 / 25)
    while avatar.queued_seconds > 0:
        said.append(avatar.next_frame(draw=False)[1])
    audio = np.concatenate(said)
    whole = resample(chunk.audio, chunk.sample_rate, 24000)
    at, fade = round(seam * 24000), round(CUT_FADE_SECONDS * 24000)
    assert np.array_equal(audio[: at - fade], whole[: at - fade])  # said unchanged up to the fade
    ramp = np.linspace(1.0, 0.0, fade, dtype=np.float32)
    assert np.allclose(audio[at - fade : at], whole[at - fade : at] * ramp, atol=1e-6)  # faded out, not a click
    assert not audio[at:].any()  # then silent
    segments, _ = engines.recognizer.transcribe(resample(audio, 24000, 16000), TranscribeOptions(language="en"))
    heard = "".join(segment.text for segment in segments).lower().replace(".", "").replace(",", "").split()
    words = text.lower().rstrip(".").split()
    assert len(heard) >= 4 and heard[:-1] == words[: len(heard) - 1], heard  # the last, cut short, may be misheard
