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
from host_engine.bench.live_latency import translated, word_latencies
from host_engine.events import CaptionEvent, CaptionWord, EndEvent, ErrorEvent
from host_engine.live.retranslate import Growing, Stability
from host_engine.live.session import LiveRequest, LiveSession, Translate
from host_engine.live.sources import FFmpegSource, PushedSource
from host_engine.live.streaming import AgreementTranscriber, ClosedSentence, FixedWindowTranscriber, OpenSentence
from host_engine.media import decode_audio
from host_engine.stages import run_stage


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
    captions, said = streamed
    sentences = [s for s in said if isinstance(s, ClosedSentence)]
    assert len(sentences) >= 4
    assert sentences[0].text.startswith("And Mr. John Dashwood") and sentences[0].text.endswith("them.")
    assert [s.number for s in sentences] == list(range(len(sentences)))
    final_words = [w.text for c in captions if c.final for w in c.words]
    assert [w.text for s in sentences for w in s.words] == final_words
    growing = [s for s in said if isinstance(s, OpenSentence)]  # the final words of a sentence still being said
    assert growing and all(s.words == sentences[s.number].words[: len(s.words)] for s in growing)


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


@pytest.mark.parametrize("spaced", [True, False])
def test_a_growing_translation_shows_as_stable_only_what_two_translations_agree_on(spaced: bool) -> None:
    def said(text: str) -> str:
        return text if spaced else text.replace(" ", "")

    growing = Growing(0, Stability.agreement, spaced)
    assert not growing.due(2) and growing.due(3)
    assert growing.update(said("El hombre que"), 3)[1:] == ("", said("El hombre que"))
    assert not growing.due(4) and growing.due(5)
    assert growing.update(said("El hombre que vino ayer"), 5)[1:] == (said("El hombre que"), said("vino ayer"))
    # a translation that changes the stable start does not take it back: its own words follow it
    shown, stable, unstable = growing.update(said("Un hombre que vino ayer a casa"), 7)
    assert (stable, unstable) == (said("El hombre que"), said("vino ayer a casa"))
    assert shown == said("El hombre que vino ayer a casa")


def test_mask_k_holds_back_the_last_words_and_none_waits_for_the_sentence() -> None:
    masked = Growing(0, Stability.mask_k, spaced=True)
    assert masked.update("El hombre que vino", 4)[1:] == ("El hombre", "que vino")
    assert masked.update("El hombre que vino ayer a", 6)[1:] == ("El hombre que vino", "ayer a")
    assert not Growing(0, Stability.none, spaced=True).due(30)


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


def test_translated_captions_are_measured_per_source_word_and_by_what_they_rewrite():
    def source(words: list[tuple[str, float]], emitted: float, segment: str) -> CaptionEvent:
        timed = tuple(CaptionWord(text, end - 0.3, end) for text, end in words)
        return CaptionEvent("en", "", timed[0].start, timed[-1].end, emitted, segment, 0, True, 0, True, timed)

    def spanish(text: str, emitted: float, source_end: float, final: bool, stable: str = "", unstable: str = ""):
        return CaptionEvent("es", text, 0.7, source_end, emitted, "es-0", 0, final, 0, False,
                            stable=stable, unstable=unstable, source_end=source_end)  # fmt: skip

    events = [
        source([("a", 1.0), ("b", 1.5)], 1.8, "en-0"),
        spanish("A B", 2.2, 1.5, final=False, stable="A", unstable="B"),
        source([("c", 2.0)], 2.6, "en-1"),
        spanish("A C", 3.0, 2.0, final=True),
    ]
    [(lang, measured)] = translated(events).items()
    assert lang == "es" and measured.lag == pytest.approx([1.2, 0.7, 1.0])
    assert measured.erasure() == pytest.approx(33.3) and measured.erasure(stable=True) == 0.0


def test_a_sentence_is_translated_while_it_is_said_then_whole(engines):
    """The translator stage on the growing sentence: its first 3 final words, then every 2 more (the engine idle),
    a stable prefix that only grows, then the closed sentence's translation."""
    text = " The rain jacket is waterproof and it weighs only two hundred grams."
    words = tuple(CaptionWord(f" {w}", 0.4 * i, 0.4 * i + 0.3) for i, w in enumerate(text.split()))
    now = iter(range(100))
    stage = Translate("es", engines.live_translator, lambda: float(next(now)), Stability.agreement)
    said = [OpenSentence(0, "en", words[:count]) for count in range(1, len(words))]
    out = asyncio.run(run_stage(stage, [*said, ClosedSentence(0, "en", words)]))
    growing, final = out[:-1], out[-1]
    assert [e.source_end for e in growing] == [words[count - 1].end for count in (3, 5, 7, 9, 11)]
    assert all(not e.final and e.segment == "es-0" for e in growing) and final.final
    assert [e.revision for e in out] == list(range(len(out)))
    assert all(b.stable.startswith(a.stable) for a, b in itertools.pairwise(growing))
    assert "chaqueta" in growing[-1].stable.lower()
    assert final.text == final.stable and final.unstable == "" and final.source_end == words[-1].end
    assert "200" in final.text or "doscientos" in final.text.lower()


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
    finals = [e for e in spanish if e.final]
    assert [e.sentence for e in finals] == sorted({e.sentence for e in source}) and not any(e.source for e in spanish)
    first = finals[0]
    assert "Dashwood" in first.text and first.start == source[0].start
    said_last = {e.sentence: max(w.end for w in e.words) for e in source}
    for sentence, final in ((f.sentence, f) for f in finals):
        growing = [e for e in spanish if e.sentence == sentence and not e.final]
        assert final.source_end == pytest.approx(said_last[sentence])
        for before, after in itertools.pairwise(growing):  # the stable text shown is only ever extended
            assert after.stable.startswith(before.stable) and after.source_end >= before.source_end
        assert all(e.text == f"{e.stable} {e.unstable}".strip() and e.source_end <= final.source_end for e in growing)

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
