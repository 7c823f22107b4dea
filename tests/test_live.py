"""Live captions on real speech with the real Whisper base model: commit policy, session, files, CLI, bad input."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import socket
import time
from pathlib import Path

import numpy as np
import pysubs2
import pytest

from host_engine.asr import SAMPLE_RATE
from host_engine.bench.live_latency import word_latencies
from host_engine.events import CaptionEvent, CaptionWord, EndEvent, ErrorEvent
from host_engine.live.session import LiveRequest, LiveSession
from host_engine.live.sources import FFmpegSource, PushedSource
from host_engine.live.streaming import AgreementTranscriber, FixedWindowTranscriber
from host_engine.media import decode_audio


def _stream(transcriber, audio: np.ndarray, chunk: int = 1600):
    """Feed audio in 0.1 s chunks on a clock that is the audio's own time (no waiting): returns all results."""
    captions, sentences = [], []
    for i in range(0, audio.size, chunk):
        result = transcriber.process(audio[i : i + chunk], flush=i + chunk >= audio.size)
        captions += result.captions
        sentences += result.sentences
    return captions, sentences


@pytest.fixture(scope="module")
def sample_audio(sample_clip: Path) -> np.ndarray:
    return decode_audio(sample_clip)


@pytest.fixture(scope="module")
def streamed(engines, sample_audio):
    return _stream(AgreementTranscriber(engines.recognizer, "en", lambda: 0.0), sample_audio)


def test_finals_carry_the_words_in_order_with_timestamps(streamed, sample_audio):
    captions, _ = streamed
    finals = [c for c in captions if c.final]
    text = " ".join(c.text for c in finals).lower()
    for word in ("dashwood", "leisure", "prudently", "amiable", "respectable", "himself"):
        assert word in text
    ends = [w.end for c in finals for w in c.words]
    assert ends == sorted(ends)
    assert ends[0] > 0 and ends[-1] <= sample_audio.size / 16000 + 0.1
    assert all(c.words[0].start == c.start and c.words[-1].end == c.end for c in finals)


def test_segments_are_revised_then_finalized_once(streamed):
    captions, _ = streamed
    by_segment: dict[str, list[CaptionEvent]] = {}
    for caption in captions:
        by_segment.setdefault(caption.segment, []).append(caption)
    assert sum(not c.final for c in captions) >= 10, "partial text every step while someone speaks"
    for events in by_segment.values():
        assert [e.revision for e in events] == list(range(len(events)))
        assert [e.final for e in events].count(True) <= 1
        assert all(not e.final for e in events[:-1])


def test_sentences_close_at_sentence_ends(streamed):
    captions, sentences = streamed
    assert len(sentences) >= 4
    assert sentences[0].text.startswith("And Mr. John Dashwood") and sentences[0].text.endswith("them.")
    assert [s.number for s in sentences] == list(range(len(sentences)))
    final_words = [w.text for c in captions if c.final for w in c.words]
    assert [w.text for s in sentences for w in s.words] == final_words


def test_silence_and_noise_give_no_text(engines):
    rng = np.random.default_rng(0)
    silence = np.zeros(16000 * 4, np.float32)
    noise = (0.05 * rng.standard_normal(16000 * 4)).astype(np.float32)
    hum = (0.2 * np.sin(2 * np.pi * 220 * np.arange(16000 * 4) / 16000)).astype(np.float32)
    transcriber = AgreementTranscriber(engines.recognizer, "en", lambda: 0.0)
    captions, sentences = _stream(transcriber, np.concatenate([silence, noise, hum]))
    assert captions == [] and sentences == []
    assert transcriber.buffer.size <= 16000, "silence is dropped from the buffer, so memory stays flat"


def test_baseline_finalizes_fixed_windows(engines, sample_audio):
    captions, _ = _stream(FixedWindowTranscriber(engines.recognizer, "en", lambda: 0.0), sample_audio[: 16000 * 11])
    finals = [c for c in captions if c.final]
    assert {int(c.words[0].start // 5) for c in finals} == {0, 1, 2}  # 0-5 s, 5-10 s, the last second flushed
    assert all(c.end - c.start <= 5.2 for c in finals)
    assert "dashwood" in finals[0].text.lower()


def test_word_latencies_from_events():
    def caption(words: list[tuple[str, float]], emitted: float, final: bool, source: bool = True) -> CaptionEvent:
        timed = tuple(CaptionWord(text, end - 0.3, end) for text, end in words)
        text = " ".join(w for w, _ in words)
        return CaptionEvent("en", text, timed[0].start, timed[-1].end, emitted, "en-0", 0, final, 0, source, timed)

    events = [
        caption([("hello", 1.0)], 1.3, final=False),
        caption([("hello", 1.0), ("world", 1.5)], 1.9, final=False),
        caption([("hello", 1.0), ("world", 1.5)], 2.5, final=True),
        caption([("hola", 1.0), ("mundo", 1.5)], 3.0, final=True, source=False),
    ]
    latencies = word_latencies(events)
    assert latencies["final"] == pytest.approx([1.5, 1.0])
    assert latencies["first_partial"] == pytest.approx([0.3, 0.4])
    assert latencies["translation"] == pytest.approx([0.5])


async def _session_events(source, engines, request) -> list:
    return [event async for event in LiveSession(source, engines, request).events()]


@pytest.fixture(scope="module")
def session_run(engines, sample_clip: Path, tmp_path_factory):
    out = tmp_path_factory.mktemp("live")
    request = LiveRequest(targets=("es",), source_lang="en", subtitles_dir=out)
    return asyncio.run(_session_events(FFmpegSource(str(sample_clip)), engines, request)), out


def test_session_translates_each_sentence(session_run):
    events, _ = session_run
    assert isinstance(events[-1], EndEvent) and events[-1].audio_seconds == pytest.approx(29.5, abs=0.3)
    source = [e for e in events if isinstance(e, CaptionEvent) and e.source and e.final]
    spanish = [e for e in events if isinstance(e, CaptionEvent) and e.lang == "es"]
    assert {e.sentence for e in spanish} == {e.sentence for e in source}
    assert all(e.final and not e.source for e in spanish)
    first = next(e for e in spanish if e.sentence == 0)
    assert "Dashwood" in first.text and first.start == source[0].start
    emitted = [e.emitted for e in events]
    assert emitted == sorted(emitted)


def test_session_writes_subtitle_files_as_it_goes(session_run):
    _, out = session_run
    for lang in ("en", "es"):
        for suffix in ("srt", "vtt"):
            subs = pysubs2.load(str(out / f"{lang}.{suffix}"))
            assert len(subs) >= 4
            assert all(a.start <= b.start for a, b in itertools.pairwise(subs))
    assert "Dashwood" in (out / "en.vtt").read_text(encoding="utf-8")


def test_dead_url_ends_with_one_error(engines):
    events = asyncio.run(
        _session_events(FFmpegSource("rtmp://127.0.0.1:9/live/none", stall_seconds=5), engines, LiveRequest())
    )
    assert [type(e) for e in events] == [ErrorEvent, EndEvent]
    assert events[0].fatal and "rtmp://127.0.0.1:9/live/*** " in events[0].message  # the stream key redacted
    assert "refused" in events[0].message.lower()  # the operator's own source: FFmpeg's words are shown


def test_a_stream_that_stops_ends_with_one_error(engines):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    source = FFmpegSource(f"udp://127.0.0.1:{port}", stall_seconds=2)
    events = asyncio.run(_session_events(source, engines, LiveRequest(source_lang="en")))
    assert [type(e) for e in events] == [ErrorEvent, EndEvent]
    assert "no audio for 2 s" in events[0].message


def test_unsupported_target_is_refused_before_listening(engines, sample_clip: Path):
    events = asyncio.run(
        _session_events(FFmpegSource(str(sample_clip)), engines, LiveRequest(targets=("xx",), source_lang="en"))
    )
    assert isinstance(events[0], ErrorEvent) and "xx" in events[0].message
    assert isinstance(events[-1], EndEvent) and events[-1].audio_seconds == 0


def test_cli_prints_json_lines(cli, sample_clip: Path, tmp_path: Path):
    clip = tmp_path / "short.wav"
    from host_engine.media import write_wav

    write_wav(clip, decode_audio(sample_clip)[: 16000 * 9], 16000)
    result = cli("subtitles", str(clip), "--src", "en", "--to", "pt", "--jsonl", "--out", str(tmp_path / "subs"))
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    captions = [e for e in events if e["type"] == "caption"]
    required = {"type", "final", "lang", "text", "start", "end", "emitted", "segment", "revision"}
    assert all(required <= set(e) for e in captions)
    assert {e["lang"] for e in captions} == {"en", "pt"}
    assert events[-1]["type"] == "end"
    assert (tmp_path / "subs" / "pt.srt").stat().st_size > 0


@pytest.mark.parametrize(
    ("make_input", "message"),
    [
        (lambda d: d / "empty.mp4", "empty.mp4"),
        (lambda d: d / "missing.wav", "no such file"),
    ],
)
def test_cli_bad_input_is_one_line(cli, tmp_path: Path, make_input, message):
    path = make_input(tmp_path)
    if path.name == "empty.mp4":
        path.write_bytes(b"")
    result = cli("subtitles", str(path), "--src", "en")
    assert result.returncode == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_a_failing_recognizer_ends_the_session_and_frees_the_client(engines, sample_clip: Path, monkeypatch):
    """A recognizer fault ends the session with one error; a client still pushing is not left waiting for room
    that nobody will ever make (it once waited forever, holding its connection)."""

    def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("the model file is damaged")

    monkeypatch.setattr(engines.recognizer, "transcribe", broken)
    source = PushedSource("client")
    speech = decode_audio(sample_clip)

    async def scenario() -> tuple[list, bool]:
        events = asyncio.create_task(_session_events(source, engines, LiveRequest(source_lang="en")))
        pushing = asyncio.create_task(source.push(np.tile(speech, 4)))  # 2 minutes at once: far over the room
        done = await asyncio.wait_for(events, 30)
        await asyncio.wait_for(pushing, 5)
        return done, pushing.done()

    events, freed = asyncio.run(scenario())
    assert [type(e) for e in events] == [ErrorEvent, EndEvent] and events[0].fatal and freed


def test_a_pushed_source_says_when_the_client_had_to_wait_for_room():
    """The server warns a client once its pushes wait: decided by the wait itself, not by a racy look at the fill."""
    source = PushedSource("client", max_seconds=0.5)
    second = np.zeros(SAMPLE_RATE, np.float32)

    async def scenario() -> tuple[bool, bool]:
        fits = await source.push(second[: SAMPLE_RATE // 2])  # exactly the room
        pushing = asyncio.create_task(source.push(second))
        await asyncio.sleep(0)  # the push starts, finds the room full and waits
        reader = source.chunks()
        read = [await anext(reader) for _ in range(15)]
        await source.close()
        assert len(read) == 15
        return fits, await pushing

    assert asyncio.run(scenario()) == (False, True)


def test_a_file_paced_in_real_time_starts_when_ffmpeg_first_speaks_not_in_a_burst(
    sample_clip: Path, tmp_path: Path, monkeypatch
):
    """FFmpeg slow to start (1 s here; a busy machine) must not make the first second come out at once: the
    session's clock starts on the first chunk, so a burst would make every latency look shorter than it is."""
    from host_engine.live import sources
    from host_engine.media import ffmpeg_binary

    slow = tmp_path / "slow-ffmpeg"
    slow.write_text(f'#!/bin/sh\nsleep 1\nexec "{ffmpeg_binary()}" "$@"\n')
    slow.chmod(0o755)
    monkeypatch.setattr(sources, "ffmpeg_binary", lambda: str(slow))

    async def arrivals() -> list[float]:
        seen = []
        async with contextlib.aclosing(FFmpegSource(str(sample_clip), realtime=True).chunks()) as chunks:
            async for _ in chunks:
                seen.append(time.monotonic())
                if len(seen) == 11:
                    return seen
        return seen

    seen = asyncio.run(arrivals())
    assert seen[10] - seen[0] >= 0.9, [round(t - seen[0], 2) for t in seen]  # 1 s of audio: paced, not a burst
