"""End to end: dub the shipped sample into pt and es with the real offline models, then check what came out."""

import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import av
import numpy as np
import pysubs2
import pytest
from lingua import Language, LanguageDetectorBuilder

from host_engine.asr import TranscribeOptions
from host_engine.bench.diarization import build
from host_engine.dub.job import DubRequest, dub
from host_engine.media import decode_audio, probe, write_wav
from host_engine.speakers.diarize import speaker_at
from host_engine.speakers.heard import LOW_VOICE_BELOW, median_pitch

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def excerpt(sample_clip, tmp_path_factory):
    """The sample's first 6 s: a second, short clip."""
    path = tmp_path_factory.mktemp("clips") / "excerpt.mp4"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-i", str(sample_clip), "-t", "6", str(path)], check=True
    )
    return path


@pytest.fixture(scope="module")
def two_voices(tmp_path_factory):
    """29 s of the sample's LibriVox reader (a low voice) taking turns with pytest-audioeval's English speaker (a
    high one), and who speaks when."""
    clip = build("two voices", ["reader", "en", "reader", "en", "reader", "en", "reader"])
    path = tmp_path_factory.mktemp("clips") / "two_voices.wav"
    write_wav(path, clip.audio, 16000)
    return path, clip.turns


@pytest.fixture(scope="module")
def dubbed(engines, sample_clip, two_voices, tmp_path_factory):
    """The sample dubbed into pt and es, then a clip of two speakers dubbed into es in the same folder."""
    out = tmp_path_factory.mktemp("dub")
    result = dub(DubRequest(input=sample_clip, targets=("pt", "es"), out_dir=out, source_lang="en"), engines)
    dub(DubRequest(input=two_voices[0], targets=("es",), out_dir=out, source_lang="en"), engines)
    return result, out


def _outputs(stem, langs):
    return [f"{stem}.dub.mp4", f"{stem}.report.json"] + [
        f"{stem}.{lang}.{ext}" for lang in langs for ext in ("srt", "vtt")
    ]


def test_outputs_exist_and_nothing_partial_is_left(dubbed, sample_clip, two_voices):
    """Two clips dubbed into one folder keep all their outputs, each report its own."""
    result, out = dubbed
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(_outputs("librivox_sense", ("en", "es", "pt")) + _outputs("two_voices", ("en", "es")))
    assert result.report == out / "librivox_sense.report.json"
    for clip in (sample_clip, two_voices[0]):
        assert json.loads((out / f"{clip.stem}.report.json").read_text(encoding="utf-8"))["input"] == clip.name
    assert probe(out / "two_voices.dub.mp4").duration == pytest.approx(probe(two_voices[0]).duration, abs=0.1)


def test_two_speakers_are_dubbed_in_two_voices_of_their_own_pitch(dubbed, two_voices):
    """Diarization gives each cue its speaker; the low voice is said by a male voice and the high one by a
    female voice (heard in the dubbed track's pitch), and the subtitles name who speaks."""
    _, out = dubbed
    report = json.loads((out / "two_voices.report.json").read_text(encoding="utf-8"))
    speakers = {entry["speaker"]: entry for entry in report["speakers"]}
    assert sorted(speakers) == ["S1", "S2"]
    assert speakers["S1"]["sounds"] == "male" and speakers["S2"]["sounds"] == "female"
    assert report["voices"]["es"] == {"S1": "es-kumo", "S2": "es-kokoro"}
    truth = two_voices[1]
    said = sum(segment["end"] - segment["start"] for segment in report["segments"])
    right = sum(
        segment["end"] - segment["start"]
        for segment in report["segments"]
        if f"S{speaker_at(truth, segment['start'], segment['end']) + 1}" == segment["speaker"]
    )
    assert right / said >= 0.9
    track = decode_audio(out / "two_voices.dub.mp4", 16000, stream=1)
    for label, low in (("S1", True), ("S2", False)):
        lines = [s["targets"]["es"] for s in report["segments"] if s["speaker"] == label]
        spoken = np.concatenate(
            [track[round(line["placed_start"] * 16000) : round(line["placed_end"] * 16000)] for line in lines]
        )
        assert (median_pitch(spoken) < LOW_VOICE_BELOW) == low, (label, median_pitch(spoken))
    vtt = (out / "two_voices.es.vtt").read_text(encoding="utf-8")
    srt = (out / "two_voices.es.srt").read_text(encoding="utf-8")
    assert "<v S1>" in vtt and "<v S2>" in vtt and "[S2] " in srt


def test_one_clip_is_dubbed_by_one_run_at_a_time_and_a_killed_run_blocks_nothing(cli, engines, excerpt, tmp_path):
    out = tmp_path / "out"
    args = ("dub", str(excerpt), "--to", "es", "--src", "en", "--out", str(out))
    first = subprocess.Popen([sys.executable, "-m", "host_engine", *args], cwd=ROOT, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not list(out.glob(".excerpt.dub.*.partial")):  # the first run is at work
            assert first.poll() is None and time.monotonic() < deadline
            time.sleep(0.1)
        first.send_signal(signal.SIGSTOP)  # held at work, lock and all: it cannot finish before the second run looks
        second = cli(*args)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    assert second.returncode == 2 and "Traceback" not in second.stderr
    [line] = second.stderr.strip().splitlines()
    assert f"excerpt.mp4 is being dubbed into {out} by another run; wait for it to finish" in line
    [killed_work] = out.glob(".excerpt.dub.*.partial")
    result = dub(DubRequest(input=excerpt, targets=("es",), out_dir=out, source_lang="en"), engines)
    assert not killed_work.exists()
    assert sorted(p.name for p in out.iterdir()) == sorted(_outputs("excerpt", ("en", "es")))
    assert json.loads(result.report.read_text(encoding="utf-8"))["targets"] == ["es"]


class _Kept:
    """Checkpoints in memory, as the job service keeps them in its store."""

    def __init__(self) -> None:
        self.stages: dict[tuple[str, str], object] = {}

    def get(self, stage: str, lang: str = "") -> object | None:
        return self.stages.get((stage, lang))

    def put(self, stage: str, value: object, lang: str = "") -> None:
        self.stages[stage, lang] = value


def test_a_run_that_died_after_one_language_leaves_the_next_only_the_rest(engines, excerpt, tmp_path):
    """The job service's resume: the first run dies as it starts on Portuguese; the next run, given the same work
    folder and checkpoints, neither transcribes again nor dubs Spanish again, and finishes every output."""
    out, work, kept = tmp_path / "out", tmp_path / "work", _Kept()
    request = DubRequest(input=excerpt, targets=("es", "pt"), out_dir=out, source_lang="en")

    def dies_on_portuguese(stage: str, done: int, total: int) -> None:
        if stage == "translate pt":
            raise RuntimeError("the service was killed")

    with pytest.raises(RuntimeError):
        dub(request, engines, dies_on_portuguese, work=work, checkpoints=kept)
    assert set(kept.stages) == {("transcribe", ""), ("speakers", ""), ("dub", "es")}
    assert not [p for p in out.iterdir() if not p.name.startswith(".")]  # nothing that looks finished
    stages: set[str] = set()
    result = dub(request, engines, lambda stage, done, total: stages.add(stage), work=work, checkpoints=kept)
    assert stages == {"decode", "translate pt", "synthesize pt", "mux"}
    report = json.loads(result.report.read_text(encoding="utf-8"))
    assert "transcribe" not in report["stages"] and report["targets"] == ["es", "pt"]
    assert report["segments"][0]["targets"]["es"]["text"] and report["segments"][0]["targets"]["pt"]["text"]
    with av.open(str(result.video)) as container:
        assert [s.language for s in container.streams.audio] == ["eng", "spa", "por"]
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == sorted(
        _outputs("excerpt", ("en", "es", "pt"))
    )
    assert not work.exists()


def test_tracks_languages_and_durations(dubbed, sample_clip):
    result, _ = dubbed
    source_duration = probe(sample_clip).duration
    with av.open(str(result.video)) as container:
        assert len(container.streams.video) == 1
        audio = container.streams.audio
        assert [s.metadata.get("language") for s in audio] == ["eng", "por", "spa"]
    for index in range(3):
        seconds = decode_audio(result.video, 16000, stream=index).size / 16000
        assert seconds == pytest.approx(source_duration, rel=0.02)


def test_subtitles_parse_and_are_in_the_target_language(dubbed):
    result, _ = dubbed
    detector = LanguageDetectorBuilder.from_languages(
        Language.ENGLISH, Language.PORTUGUESE, Language.SPANISH, Language.FRENCH
    ).build()
    counts = set()
    for lang, expected in (("en", Language.ENGLISH), ("pt", Language.PORTUGUESE), ("es", Language.SPANISH)):
        srt, vtt = result.subtitles[lang]
        events = pysubs2.load(str(srt))
        assert len(pysubs2.load(str(vtt))) == len(events)
        counts.add(len(events))
        text = " ".join(e.plaintext for e in events)
        assert detector.detect_language_of(text) == expected, text
        assert all(e.end > e.start for e in events)
    assert len(counts) == 1
    english = " ".join(e.plaintext for e in pysubs2.load(str(result.subtitles["en"][0]))).lower()
    assert "dashwood" in english and "amiable" in english


def test_dubbed_portuguese_track_says_the_subtitles(dubbed, engines):
    result, _ = dubbed
    audio = decode_audio(result.video, 16000, stream=1)
    segments, _ = engines.recognizer.transcribe(audio, TranscribeOptions(language="pt"))
    heard = set(re.findall(r"\w+", " ".join(s.text for s in segments).lower()))
    subtitle_text = " ".join(e.plaintext for e in pysubs2.load(str(result.subtitles["pt"][0]))).lower()
    content = {w for w in re.findall(r"\w+", subtitle_text) if len(w) > 3}
    assert len(content) > 10
    assert len(content & heard) / len(content) >= 0.6, sorted(content - heard)


def test_report_records_segments_fit_and_stages(dubbed):
    result, _ = dubbed
    report = json.loads(result.report.read_text(encoding="utf-8"))
    assert report["source_lang"] == "en" and report["targets"] == ["pt", "es"]
    assert {"decode", "transcribe", "translate", "synthesize", "fit_and_mix", "mux"} <= set(report["stages"])
    for segment in report["segments"]:
        assert segment["end"] > segment["start"] and segment["text"]
        for line in segment["targets"].values():
            assert 1.0 <= line["stretch"] <= 1.35 and line["overrun"] >= 0 and line["synthesized_duration"] > 0
    assert report["routes"]["pt"] and report["voices"]["es"]


@pytest.mark.parametrize(
    ("make_input", "message"),
    [
        (lambda p: p.write_bytes(b""), "empty (0 bytes)"),
        (lambda p: p.write_bytes(b"not really a video" * 50), "not a media file"),
        (lambda p: write_wav(p, np.zeros(16000 * 3, np.float32), 16000), "no speech found"),
    ],
    ids=["zero-bytes", "corrupt", "silent"],
)
def test_bad_inputs_exit_2_with_one_line_and_no_output(cli, tmp_path, make_input, message):
    source = tmp_path / "input.wav"
    make_input(source)
    out = tmp_path / "out"
    result = cli("dub", str(source), "--to", "pt", "--src", "en", "--out", str(out))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in result.stderr
    assert not out.exists() or not any(out.iterdir())


def test_unsupported_language_exits_2_before_any_work(cli, sample_clip, tmp_path):
    result = cli("dub", str(sample_clip), "--to", "pt,xx", "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert "unsupported language 'xx'" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_unknown_or_malformed_voice_exits_2(cli, sample_clip, tmp_path):
    malformed = cli("dub", str(sample_clip), "--to", "pt", "--src", "en", "--voice", "pt", "--out", str(tmp_path))
    assert malformed.returncode == 2 and "--voice takes LANG=NAME" in malformed.stderr
    unknown = cli("dub", str(sample_clip), "--to", "pt", "--src", "en", "--voice", "pt=nope", "--out", str(tmp_path))
    assert unknown.returncode == 2
    assert "no voice 'nope' for 'pt'; voices for 'pt': pt-espeak, pt-kokoro, pt-kumo" in unknown.stderr
    assert not any(tmp_path.iterdir())
