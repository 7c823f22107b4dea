"""The batch dubbing job: one recorded clip in, dubbed tracks, subtitles and a report out.

Everything is written into a hidden work folder of its own inside the output folder and moved into place, each
file durably and the report last, only when every stage succeeded: a failed run leaves nothing that looks
finished, and a `{stem}.report.json` means every output beside it is complete. Outputs are named after the clip,
so clips dubbed into one folder coexist; one clip is dubbed by one run at a time (`_only_run`).

The job service runs the same stages with a work folder that outlives a run and `Checkpoints` that remember which
stages finished (the transcript; each language's fitted track and lines, in `stages/`): a run after `kill -9`
starts from there, never redoing a finished language.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import shutil
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from host_engine.asr import SAMPLE_RATE, Segment, Word
from host_engine.asr.vad import speech_regions
from host_engine.dub.casting import cast_voices, checked_voice_choices, cues_by_speaker, voice_choices
from host_engine.dub.fit import FitSettings
from host_engine.dub.stages import MIX_RATE, Executor, LanguageJob, LocalExecutor, ProgressHook, quiet
from host_engine.durable import move_durably, try_lock, write_json
from host_engine.engines import Engines
from host_engine.errors import HostEngineError, UnsupportedLanguageError
from host_engine.languages import LANGUAGES, get_language
from host_engine.media import AudioTrack, decode_audio, mux, probe, resample, write_wav
from host_engine.speakers.diarize import Turn, diarize
from host_engine.speakers.heard import Speaker, speakers_heard
from host_engine.subtitles import Cue, speaker_label, write_subtitles
from host_engine.tts.voices import VoiceProfile

STAGES = "stages"
"""The work folder's subfolder for what a finished stage leaves to later ones (and to a later run)."""
log = logging.getLogger(__name__)


class Checkpoints(Protocol):
    """Where a run leaves each finished stage's result (a JSON value naming its files in the work folder), and
    finds those of an earlier run of the same job."""

    def get(self, stage: str, lang: str = "") -> Any | None: ...

    def put(self, stage: str, value: Any, lang: str = "") -> None: ...


class Fresh:
    """No earlier run to start from, nothing kept for a later one: every stage runs (the command line's dub)."""

    def get(self, stage: str, lang: str = "") -> None:
        return None

    def put(self, stage: str, value: Any, lang: str = "") -> None:
        return None


@dataclass(frozen=True)
class Dubbed:
    """One target language's finished stage: its track in the work folder, and what the report and subtitles
    need of its lines."""

    track: Path
    texts: list[str]
    """Each cue's translation; empty where refused."""
    lines: list[dict[str, Any]]
    """Each cue's report entry: text, why refused, where it was placed, how it was fitted."""
    cut_at_end: float
    where: str = "local"
    """What made it: 'local', or a Ray node."""


@dataclass(frozen=True)
class DubRequest:
    input: Path
    targets: tuple[str, ...]
    out_dir: Path
    source_lang: str | None = None
    voices: dict[str, str] = field(default_factory=dict)
    """Target language ("es": the speaker heard longest; "es:S2": speaker 2) -> voice profile name; every other
    speaker is cast a voice of the language's (`dub.casting`)."""
    speakers: int | None = None
    """How many people speak in the clip; None: as many as their voices tell apart."""
    fit: FitSettings = field(default_factory=FitSettings)


@dataclass(frozen=True)
class DubResult:
    video: Path
    subtitles: dict[str, tuple[Path, Path]]
    report: Path


@dataclass
class _StageClock:
    """Time spent in each stage (a per-language stage summed over the languages, which run side by side), and since
    the job began."""

    seconds: dict[str, float] = field(default_factory=dict)
    began: float = field(default_factory=time.perf_counter)

    def wall(self) -> float:
        return time.perf_counter() - self.began

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        began = time.perf_counter()
        try:
            yield
        finally:
            took = time.perf_counter() - began
            self.seconds[name] = self.seconds.get(name, 0.0) + took
            log.info("%s took %.2f s", name, took)


def _check_targets(engines: Engines, source: str, request: DubRequest, targets: Sequence[str]) -> None:
    """Fail before any heavy work when a target cannot be translated to or voiced."""
    checked_voice_choices(engines.voices, request.voices, targets)
    for target in targets:
        if target == source:
            raise UnsupportedLanguageError(f"target '{target}' is the source language; pick other targets")
        engines.router.route(source, target)


@contextmanager
def _only_run(clip: Path, out_dir: Path) -> Iterator[None]:
    """Hold the lock on `clip`'s outputs in `out_dir` (they are named after its stem) for the whole run.

    A second run of the same clip into the same folder is refused at once rather than made to wait: it would
    write the same names, so waiting only redoes minutes of work to overwrite the first run's, and a wait looks
    like a hang. The lock dies with its process, so a killed run never blocks the next one; the lock file is
    removed at the end, and a lock taken on a file removed meanwhile (a run that just finished) is taken again.
    """
    path = out_dir / f".{clip.stem}.dub.lock"
    while True:
        descriptor = try_lock(path)
        if descriptor is None:
            message = f"{clip.name} is being dubbed into {out_dir} by another run"
            raise HostEngineError(f"{message}; wait for it to finish, or pass another --out")
        try:
            if os.fstat(descriptor).st_ino == path.stat().st_ino:
                break
        except FileNotFoundError:
            pass
        os.close(descriptor)
    try:
        yield
    finally:
        path.unlink(missing_ok=True)
        os.close(descriptor)


def _work_folder(out_dir: Path, stem: str) -> Path:
    """A new hidden folder for this run's files, after removing those of killed runs of the same clip (none is
    live: this run holds the clip's lock)."""
    leftover = re.compile(rf"\.{re.escape(stem)}\.dub\.[0-9a-f]{{8}}\.partial")
    for folder in out_dir.iterdir():
        if leftover.fullmatch(folder.name):
            shutil.rmtree(folder, ignore_errors=True)
    work = out_dir / f".{stem}.dub.{secrets.token_hex(4)}.partial"
    work.mkdir()
    return work


def dub(
    request: DubRequest,
    engines: Engines,
    progress: ProgressHook = quiet,
    work: Path | None = None,
    checkpoints: Checkpoints | None = None,
    executor: Executor | None = None,
) -> DubResult:
    """Run the whole job; on any failure nothing is left in `request.out_dir` but what was there before.

    Given a `work` folder and its `checkpoints` (the job service), the stages they say an earlier run finished are
    not run again; `work` is kept when a run fails (for the next) and removed once the outputs are in place. The
    heavy stages run where `executor` puts them (default: in this process)."""
    clock = _StageClock()
    targets = tuple(get_language(code).code for code in request.targets)
    source = get_language(request.source_lang).code if request.source_lang else None
    info = probe(request.input)
    if source:
        _check_targets(engines, source, request, targets)
    executor = executor or LocalExecutor(engines)
    executor.warm(source, targets)  # after the checks: a refused job starts no loading
    stem = request.input.stem
    request.out_dir.mkdir(parents=True, exist_ok=True)
    out, report_name = request.out_dir, f"{stem}.report.json"
    with _only_run(request.input, out):
        folder = work or _work_folder(out, stem)
        (folder / STAGES).mkdir(parents=True, exist_ok=True)
        done = False
        try:
            run = _Run(folder, request, engines, executor, progress, checkpoints or Fresh(), clock)
            source, report = run.outputs(info.duration, source, targets)
            (folder / report_name).write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
            _publish(folder, out, report_name)
            done = True
        finally:
            if done or work is None:
                shutil.rmtree(folder, ignore_errors=True)
    return DubResult(
        video=out / f"{stem}.dub.mp4",
        subtitles={lang: (out / f"{stem}.{lang}.srt", out / f"{stem}.{lang}.vtt") for lang in (source, *targets)},
        report=out / report_name,
    )


@dataclass
class _Run:
    """One run of a dub: its stages in turn, each skipped where `checkpoints` says an earlier run finished it; the
    heavy ones wherever `executor` runs them."""

    work: Path
    request: DubRequest
    engines: Engines
    executor: Executor
    progress: ProgressHook
    checkpoints: Checkpoints
    clock: _StageClock = field(default_factory=_StageClock)

    def outputs(self, duration: float, source: str | None, targets: tuple[str, ...]) -> tuple[str, dict[str, object]]:
        """Every output but the report, written into the work folder; returns the source language (detected when
        not given) and the report."""
        request, stem = self.request, self.request.input.stem
        with self.clock.stage("decode"):
            self.progress("decode", 0, 1)
            original = decode_audio(request.input, MIX_RATE)
            self.progress("decode", 1, 1)
        with ThreadPoolExecutor(1, thread_name_prefix="speakers") as side:  # voices are told apart meanwhile
            heard = side.submit(self._speakers, original)
            segments, source = self._transcript(source)
            if request.source_lang is None:
                _check_targets(self.engines, source, request, targets)
            turns, speakers = heard.result()
        with self.clock.stage("segment"):
            cues = cues_by_speaker(segments, turns, get_language(source))
        log.info("%d segments of %s speech by %d speakers in %.1f s of media", len(cues), source, len(speakers),
                 duration)  # fmt: skip
        choices = voice_choices(request.voices)
        casts = {lang: cast_voices(self.engines.voices, lang, speakers, choices.get(lang, {})) for lang in targets}
        dubbed = self._dubbed(source, cues, original, [(s.start, s.end) for s in segments], casts)
        with self.clock.stage("subtitles"):
            outputs = {source: [c.text for c in cues], **{lang: d.texts for lang, d in dubbed.items()}}
            for lang, texts in outputs.items():
                lang_cues = [replace(c, text=text) for c, text in zip(cues, texts, strict=True) if text]
                folder = self.work
                write_subtitles(
                    lang_cues, get_language(lang), folder / f"{stem}.{lang}.srt", folder / f"{stem}.{lang}.vtt"
                )
        with self.clock.stage("mux"):
            self.progress("mux", 0, 1)
            tracks = [
                AudioTrack(d.track, get_language(lang).iso3, f"dub {LANGUAGES[lang].name}")
                for lang, d in dubbed.items()
            ]
            mux(request.input, tracks, self.work / f"{stem}.dub.mp4", get_language(source).iso3)
            self.progress("mux", 1, 1)
        report = _report(request, duration, source, cues, dubbed, self.engines, self.clock, speakers, casts)
        return source, report

    def _speakers(self, original: np.ndarray) -> tuple[list[Turn], list[Speaker]]:
        """Who speaks when (one speaker when the request says so) and how each sounds: from an earlier run's
        checkpoint (so that a resumed run casts the voices it cast before), else found and kept."""
        kept = self.checkpoints.get("speakers")
        if kept is not None and (self.work / kept["file"]).exists():
            saved = json.loads((self.work / kept["file"]).read_text(encoding="utf-8"))
            return [Turn(**turn) for turn in saved["turns"]], [Speaker(**speaker) for speaker in saved["speakers"]]
        with self.clock.stage("speakers"):
            self.progress("speakers", 0, 1)
            speech = resample(original, MIX_RATE, SAMPLE_RATE)
            if self.request.speakers == 1:
                turns = [Turn(start, end, 0) for start, end in speech_regions(speech)]
            else:
                turns = diarize(speech, self.engines.speaker_encoder, self.request.speakers)
            turns = turns or [Turn(0.0, speech.size / SAMPLE_RATE, 0)]  # no voice found: the transcript says better
            speakers = speakers_heard(speech, turns)
            self.progress("speakers", 1, 1)
        log.info("speakers: %s", ", ".join(f"{s.label} {s.talk_seconds:.0f} s, {s.pitch_hz} Hz" for s in speakers))
        name = f"{STAGES}/speakers.json"
        write_json(self.work / name, {"turns": [asdict(t) for t in turns], "speakers": [asdict(s) for s in speakers]})
        self.checkpoints.put("speakers", {"file": name})
        return turns, speakers

    def _transcript(self, source: str | None) -> tuple[list[Segment], str]:
        """The speech's segments and language: from an earlier run's checkpoint, else recognized and kept."""
        kept = self.checkpoints.get("transcribe")
        if kept is not None and (self.work / kept["file"]).exists():
            saved = json.loads((self.work / kept["file"]).read_text(encoding="utf-8"))
            log.info("transcript of an earlier run: %d segments", len(saved))
            return [_segment(entry) for entry in saved], kept["lang"]
        with self.clock.stage("transcribe"):
            self.progress("transcribe", 0, 1)
            segments, source = self.executor.transcribe(self.request.input, source)
            self.progress("transcribe", 1, 1)
        name = f"{STAGES}/transcript.json"
        write_json(self.work / name, [asdict(segment) for segment in segments])
        self.checkpoints.put("transcribe", {"file": name, "lang": source})
        return segments, source

    def _dubbed(
        self,
        source: str,
        cues: list[Cue],
        original: np.ndarray,
        source_speech: list[tuple[float, float]],
        casts: dict[str, dict[int, VoiceProfile]],
    ) -> dict[str, Dubbed]:
        """Each target's translated, voiced, fitted and mixed track: from an earlier run's checkpoint, else made
        (and kept, each as soon as it is done)."""
        dubbed: dict[str, Dubbed] = {}
        todo = []
        for target, cast in casts.items():
            kept = self.checkpoints.get("dub", target)
            if kept is not None and all((self.work / kept[key]).exists() for key in ("track", "lines")):
                log.info("%s: dubbed by an earlier run", target)
                saved = json.loads((self.work / kept["lines"]).read_text(encoding="utf-8"))
                dubbed[target] = Dubbed(self.work / kept["track"], saved["texts"], saved["lines"], saved["cut_at_end"])
                continue
            voices: dict[int | None, str] = {speaker: profile.name for speaker, profile in cast.items()}
            log.info("%s: route %s, voices %s", target, self.engines.router.route(source, target),
                     ", ".join(voices.values()))  # fmt: skip
            todo.append(LanguageJob(cues, source_speech, source, target, voices, self.request.fit))
        for track in self.executor.dub_languages(self.request.input, original, todo, self.progress):
            for stage, seconds in track.seconds.items():
                self.clock.seconds[stage] = self.clock.seconds.get(stage, 0.0) + seconds
            wav = self.work / STAGES / f"{self.request.input.stem}.{track.target}.wav"
            partial = wav.with_name(f".{wav.name}.partial")
            write_wav(partial, track.audio, MIX_RATE)
            move_durably(partial, wav)  # whole on disk before its checkpoint says so, power cut or not
            name = f"{STAGES}/{track.target}.json"
            write_json(self.work / name, {"texts": track.texts, "lines": track.lines, "cut_at_end": track.cut_at_end,
                                          "where": track.where})  # fmt: skip
            self.checkpoints.put("dub", {"track": str(wav.relative_to(self.work)), "lines": name}, track.target)
            dubbed[track.target] = Dubbed(wav, track.texts, track.lines, track.cut_at_end, track.where)
        return {target: dubbed[target] for target in casts}


def _segment(saved: dict[str, Any]) -> Segment:
    return Segment(**{**saved, "words": tuple(Word(**word) for word in saved["words"])})


def _publish(work: Path, out_dir: Path, report: str) -> None:
    """Move the outputs in `work` into `out_dir`, the report last; an earlier run's report goes first, so that a
    run dying half-way through never leaves a report beside outputs it does not describe."""
    (out_dir / report).unlink(missing_ok=True)
    produced = [path for path in work.iterdir() if path.is_file()]
    for path in sorted(produced, key=lambda path: path.name == report):
        move_durably(path, out_dir / path.name)


def _speaker_entry(speaker: Speaker, casts: dict[str, dict[int, VoiceProfile]]) -> dict[str, object]:
    return {
        "speaker": speaker.label,
        "talk_seconds": speaker.talk_seconds,
        "pitch_hz": speaker.pitch_hz,
        "sounds": speaker.gender,
        "voices": {lang: cast[speaker.index].name for lang, cast in casts.items()},
    }


def _report(
    request: DubRequest,
    duration: float,
    source: str,
    cues: Sequence[Cue],
    dubbed: dict[str, Dubbed],
    engines: Engines,
    clock: _StageClock,
    speakers: Sequence[Speaker],
    casts: dict[str, dict[int, VoiceProfile]],
) -> dict[str, object]:
    total = clock.wall()
    segments = [
        {"start": round(cue.start, 3), "end": round(cue.end, 3), "text": cue.text,
         **({"speaker": speaker_label(cue.speaker)} if cue.speaker is not None else {}),
         "targets": {lang: d.lines[i] for lang, d in dubbed.items()}}
        for i, cue in enumerate(cues)
    ]  # fmt: skip
    return {
        "input": request.input.name,
        "duration": round(duration, 3),
        "source_lang": source,
        "targets": list(dubbed),
        "routes": {lang: str(engines.router.route(source, lang)) for lang in dubbed},
        "refused_lines": {lang: sum("refused" in line for line in d.lines) for lang, d in dubbed.items()},
        "below_live_floor": {
            lang: reason for lang in dubbed if (reason := engines.live_translator.weakness(source, lang))
        },
        "speakers": [_speaker_entry(speaker, casts) for speaker in speakers],
        "voices": {lang: {speaker_label(i): p.name for i, p in sorted(cast.items())} for lang, cast in casts.items()},
        "fit": asdict(request.fit),
        "stages": {name: round(seconds, 3) for name, seconds in clock.seconds.items()},
        "wall_seconds": round(total, 3),
        "real_time_factor": round(total / duration, 3) if duration else None,
        "segments": segments,
        "cut_at_end": {lang: round(d.cut_at_end, 3) for lang, d in dubbed.items()},
        "ran_on": {lang: d.where for lang, d in dubbed.items()},
    }
