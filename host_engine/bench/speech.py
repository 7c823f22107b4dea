"""Speech benchmarks: ASR accuracy on recorded speech, ASR and TTS intelligibility on our own speech, and speed.

Recorded speech (synthetic=False): the five LibriVox English clips of Debian's pocketsphinx-testdata, and the
clips shipped in pytest-audioeval for en, es, fr, ja, pt and zh. The latter sound machine-made, but not by our
TTS, so they count as recorded input and say so in `detail["dataset"]`.

Our own speech (synthetic=True), every language: sentences spread over the test split of
benchmarks/text/commerce.yaml, each spoken by the language's default voice, read back to back with short pauses
and transcribed as one recording by Whisper with the language forced. One run gives two figures with the same
value: ASR on synthesized speech (stage 'asr') and the voice's intelligibility (stage 'tts').

Speed: ASR real-time factor on LibriVox and on each synthesized reading; TTS real-time factor and p50/p95
seconds per synthesized sentence. Models are loaded before any clock starts.
"""

from __future__ import annotations

import importlib.util
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np

from host_engine.asr import SAMPLE_RATE, TranscribeOptions
from host_engine.bench.metrics import error_rates, percentiles, real_time_factor
from host_engine.bench.results import Measurement, suite_sample
from host_engine.engines import Engines
from host_engine.errors import BadInputError
from host_engine.languages import LANGUAGES, get_language
from host_engine.media import decode_audio
from host_engine.mt.router import load_parallel_set
from host_engine.speech import speak_line

Progress = Callable[[str, int, int], None]
"""Called as (stage, done, total), like every benchmark and job hook."""

LIBRIVOX_DIR = Path("/usr/share/pocketsphinx/test/data/librivox")
AUDIOEVAL_LANGUAGES = ("es", "fr", "ja", "pt", "zh")
"""pytest-audioeval also ships en (LibriVox covers it with real speech), hi, it and pl (not ours)."""
AUDIOEVAL_COUNTING = frozenset({"counting", "conteo", "comptage", "contagem", "kazoeru", "jishu"})
"""Left out: their references spell 'one two three ... ten' in words, Whisper writes '1, 2, 3, ... 10', and
`normalize` does not turn number words into digits, so they would score formatting (WER 1.0), not hearing."""
SPEECH_SIZES: dict[str, int] = {"quick": 4, "full": 32}
"""Synthesized sentences per language. Quick reads 4, not SUITE_SIZES' 8: Kokoro takes ~2.3 s a sentence on two
cores and Whisper retries garbled readings at higher temperatures, so 8 took ~6 minutes for 13 languages; 4 take
~2.5 and leave the rest of the 10-minute quick suite to MT. With 4 timings, p95 is close to the slowest one."""
READING_PAUSE = 0.5
"""Seconds of silence between the sentences of a synthesized reading, as between a host's sentences."""

_TRANSCRIPTION_LINE = re.compile(r"^<s>\s*(?P<text>.*?)\s*</s>\s*\((?P<id>[^)]+)\)\s*$")


@dataclass(frozen=True)
class ClipSet:
    """Recordings of one language from one source, each with its reference transcript."""

    dataset: str
    lang: str
    clips: tuple[tuple[Path, str], ...]
    timed: bool = False
    """Long enough (seconds, not words) for a real-time factor to mean something."""


def librivox_clips(directory: Path = LIBRIVOX_DIR) -> ClipSet:
    """The LibriVox clips of pocketsphinx-testdata with the transcripts from its `transcription` file."""
    listing = directory / "transcription"
    if not listing.is_file():
        raise BadInputError(
            f"{directory}: no LibriVox test clips; install them with `apt-get install pocketsphinx-testdata`"
        )
    clips = []
    for line in listing.read_text(encoding="utf-8").splitlines():
        if match := _TRANSCRIPTION_LINE.match(line):
            clips.append((directory / f"{match['id']}.wav", match["text"]))
    if not clips:
        raise BadInputError(f"{listing}: no lines like '<s> text </s> (fileid)'")
    return ClipSet("LibriVox (pocketsphinx-testdata)", "en", tuple(clips), timed=True)


def audioeval_clips(lang: str) -> ClipSet:
    """pytest-audioeval's clips for `lang` (`<name>.wav` next to its reference `<name>.txt`), but the counting ones."""
    spec = importlib.util.find_spec("pytest_audioeval")
    if spec is None or not spec.submodule_search_locations:
        raise BadInputError("pytest-audioeval is not installed; `pip install -e '.[dev]'` brings its clips")
    folder = Path(next(iter(spec.submodule_search_locations))) / "samples" / "audio" / lang
    clips = tuple(
        (wav, wav.with_suffix(".txt").read_text(encoding="utf-8").strip())
        for wav in sorted(folder.glob("*.wav"))
        if wav.stem not in AUDIOEVAL_COUNTING
    )
    if not clips:
        raise BadInputError(f"{folder}: pytest-audioeval ships no clips for '{lang}'")
    return ClipSet("pytest-audioeval (synthetic-sounding, not our TTS)", lang, clips)


def measure_speech(
    engines: Engines,
    suite: str = "quick",
    progress: Progress | None = None,
    languages: Iterable[str] | None = None,
) -> list[Measurement]:
    """Every ASR and TTS measurement of `suite` for `languages` (default: all 13), in a fixed order."""
    if suite not in SPEECH_SIZES:
        raise BadInputError(f"unknown suite '{suite}'; use one of {', '.join(SPEECH_SIZES)}")
    codes = list(dict.fromkeys(get_language(code).code for code in (LANGUAGES if languages is None else languages)))
    say = progress or (lambda _stage, _done, _total: None)
    _ = engines.recognizer  # loaded before any clock starts
    clip_sets = ([librivox_clips()] if "en" in codes else []) + [
        audioeval_clips(code) for code in AUDIOEVAL_LANGUAGES if code in codes
    ]
    results: list[Measurement] = []
    steps = len(clip_sets) + len(codes)
    for done, clip_set in enumerate(clip_sets, start=1):
        results += measure_recorded(engines, clip_set)
        say("asr recorded", done, steps)
    texts = load_parallel_set(split="test")
    for done, code in enumerate(codes, start=len(clip_sets) + 1):
        results += measure_synthesized(engines, code, suite_sample(texts[code], SPEECH_SIZES[suite]))
        say("tts+asr", done, steps)
    return results


def measure_recorded(engines: Engines, clip_set: ClipSet) -> list[Measurement]:
    """ASR error rate(s) on recorded clips, each transcribed on its own; if `timed`, the real-time factor and
    p50/p95 seconds per clip (latency of a whole utterance, as a batch caller sees it)."""
    hypotheses, timings, duration = [], [], 0.0
    for path, _reference in clip_set.clips:
        audio = decode_audio(path, SAMPLE_RATE)
        text, took = _transcribe(engines, audio, clip_set.lang)
        hypotheses.append(text)
        timings.append(took)
        duration += audio.size / SAMPLE_RATE
    references = [reference for _path, reference in clip_set.clips]
    detail = {"dataset": clip_set.dataset, "asr": engines.asr_model}
    row = partial(Measurement, lang=clip_set.lang, synthetic=False, samples=len(clip_set.clips), detail=detail)
    results = [
        row("asr", metric, value) for metric, value in error_rates(references, hypotheses, clip_set.lang).items()
    ]
    if clip_set.timed:
        quantiles = percentiles(timings, (50, 95))
        results += [
            row("asr", "rtf", real_time_factor(sum(timings), duration)),
            row("asr", "p50_s", quantiles["p50"]),
            row("asr", "p95_s", quantiles["p95"]),
        ]
    return results


def measure_synthesized(engines: Engines, lang: str, sentences: Sequence[str]) -> list[Measurement]:
    """Speak `sentences` with the default voice of `lang`, transcribe the reading, and score both stages."""
    if not sentences:
        raise BadInputError(f"no test sentences for '{lang}' to synthesize")
    profile = engines.voice_profile(lang)
    engines.synthesizer(lang)  # loaded before any clock starts
    pause = np.zeros(int(READING_PAUSE * SAMPLE_RATE), np.float32)
    pieces, timings, spoken = [pause], [], 0.0
    for sentence in sentences:
        began = time.perf_counter()
        audio = speak_line(engines, sentence, lang, SAMPLE_RATE)
        timings.append(time.perf_counter() - began)
        spoken += audio.size / SAMPLE_RATE
        pieces += [audio, pause]
    reading = np.concatenate(pieces)
    hypothesis, asr_seconds = _transcribe(engines, reading, lang)
    rates = error_rates([" ".join(sentences)], [hypothesis], lang)

    detail = {
        "dataset": "commerce.yaml test split, read by our TTS",
        "voice": profile.name,
        "engine": profile.engine,
        "asr": engines.asr_model,
    }
    row = partial(Measurement, lang=lang, synthetic=True, samples=len(sentences), detail=detail)
    quantiles = percentiles(timings, (50, 95))
    return [
        *(row("asr", metric, value) for metric, value in rates.items()),
        row("asr", "rtf", real_time_factor(asr_seconds, reading.size / SAMPLE_RATE)),
        *(row("tts", metric, value) for metric, value in rates.items()),
        row("tts", "rtf", real_time_factor(sum(timings), spoken)),
        row("tts", "p50_s", quantiles["p50"]),
        row("tts", "p95_s", quantiles["p95"]),
    ]


def _transcribe(engines: Engines, audio: np.ndarray, lang: str) -> tuple[str, float]:
    """The full transcript of `audio` with `lang` forced, and the seconds it took (segments are lazy)."""
    began = time.perf_counter()
    segments, _info = engines.recognizer.transcribe(audio, TranscribeOptions(language=lang))
    text = " ".join(segment.text for segment in segments)
    return text, time.perf_counter() - began
