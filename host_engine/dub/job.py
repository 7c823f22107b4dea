"""The batch dubbing job: one recorded clip in, dubbed tracks, subtitles and a report out.

Everything is written into a hidden work folder of its own inside the output folder and moved into place, each
file durably and the report last, only when every stage succeeded: a failed run leaves nothing that looks
finished, and a `{stem}.report.json` means every output beside it is complete. Outputs are named after the clip,
so clips dubbed into one folder coexist; one clip is dubbed by one run at a time (`_only_run`).
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from host_engine.asr import SAMPLE_RATE, Segment, TranscribeOptions
from host_engine.dub.fit import FitSettings, PlacedLine, fit_line
from host_engine.dub.lines import translate_cues
from host_engine.dub.mix import mix_track
from host_engine.durable import move_durably, try_lock
from host_engine.engines import Engines
from host_engine.errors import BadInputError, HostEngineError, UnsupportedLanguageError
from host_engine.languages import LANGUAGES, get_language
from host_engine.media import AudioTrack, decode_audio, mux, probe, write_wav
from host_engine.mt.checked import Checked
from host_engine.speech import speak_line
from host_engine.subtitles import Cue, cues_from_segments, write_subtitles

MIX_RATE = 48000
log = logging.getLogger(__name__)

ProgressHook = Callable[[str, int, int], None]
"""Called as (stage, done, total) while a stage advances."""


def _quiet(stage: str, done: int, total: int) -> None:
    return None


@dataclass(frozen=True)
class DubRequest:
    input: Path
    targets: tuple[str, ...]
    out_dir: Path
    source_lang: str | None = None
    voices: dict[str, str] = field(default_factory=dict)
    """Target language -> voice profile name; a language not named here gets its default voice."""
    fit: FitSettings = field(default_factory=FitSettings)


@dataclass(frozen=True)
class DubResult:
    video: Path
    subtitles: dict[str, tuple[Path, Path]]
    report: Path


@dataclass
class _StageClock:
    seconds: dict[str, float] = field(default_factory=dict)

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
    for target in targets:
        if target == source:
            raise UnsupportedLanguageError(f"target '{target}' is the source language; pick other targets")
        engines.router.route(source, target)
        engines.voice_profile(target, request.voices.get(target))


def _recognize(engines: Engines, audio: np.ndarray, source: str | None, path: Path) -> tuple[list[Segment], str]:
    segments_iter, info = engines.recognizer.transcribe(audio, TranscribeOptions(language=source))
    segments = [s for s in segments_iter if s.words]
    if not segments:
        raise BadInputError(f"{path}: no speech found (silence, music or noise); nothing to dub")
    detected = source or info.language
    if detected not in LANGUAGES:
        raise UnsupportedLanguageError(
            f"{path}: detected source language '{detected}' is not supported; pass --src with one of "
            f"{', '.join(LANGUAGES)}"
        )
    return segments, detected


def _place_lines(
    audios: Sequence[np.ndarray], cues: Sequence[Cue], media_end: float, settings: FitSettings
) -> list[PlacedLine]:
    placed: list[PlacedLine] = []
    earliest = 0.0
    for i, (audio, cue) in enumerate(zip(audios, cues, strict=True)):
        limit = cues[i + 1].start if i + 1 < len(cues) else media_end
        line = fit_line(audio, MIX_RATE, cue.start, cue.end, earliest, limit, settings)
        placed.append(line)
        earliest = line.end + settings.gap
    return placed


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


def dub(request: DubRequest, engines: Engines, progress: ProgressHook = _quiet) -> DubResult:
    """Run the whole job; on any failure nothing is left in `request.out_dir` but what was there before."""
    targets = tuple(get_language(code).code for code in request.targets)
    source = get_language(request.source_lang).code if request.source_lang else None
    info = probe(request.input)
    if source:
        _check_targets(engines, source, request, targets)
    stem = request.input.stem
    request.out_dir.mkdir(parents=True, exist_ok=True)
    out, report_name = request.out_dir, f"{stem}.report.json"
    with _only_run(request.input, out):
        work = _work_folder(out, stem)
        try:
            source, report = _dub_into(work, request, engines, progress, info.duration, source, targets)
            (work / report_name).write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
            _publish(work, out, report_name)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return DubResult(
        video=out / f"{stem}.dub.mp4",
        subtitles={lang: (out / f"{stem}.{lang}.srt", out / f"{stem}.{lang}.vtt") for lang in (source, *targets)},
        report=out / report_name,
    )


def _dub_into(
    work: Path,
    request: DubRequest,
    engines: Engines,
    progress: ProgressHook,
    duration: float,
    source: str | None,
    targets: tuple[str, ...],
) -> tuple[str, dict[str, object]]:
    """Every output but the report, written into `work`; returns the source language (detected when not given)
    and the report."""
    stem = request.input.stem
    clock = _StageClock()
    with clock.stage("decode"):
        progress("decode", 0, 1)
        speech = decode_audio(request.input, SAMPLE_RATE)
        original = decode_audio(request.input, MIX_RATE)
        progress("decode", 1, 1)
    with clock.stage("transcribe"):
        progress("transcribe", 0, 1)
        segments, source = _recognize(engines, speech, source, request.input)
        progress("transcribe", 1, 1)
    if request.source_lang is None:
        _check_targets(engines, source, request, targets)
    media_end = original.size / MIX_RATE
    with clock.stage("segment"):
        cues = cues_from_segments(segments, get_language(source))
    log.info("%d segments of %s speech in %.1f s of media", len(cues), source, duration)
    checked: dict[str, list[Checked]] = {}
    translations: dict[str, list[str]] = {}
    placed: dict[str, list[PlacedLine]] = {}
    cut_at_end: dict[str, float] = {}
    tracks: list[AudioTrack] = []
    source_speech = [(s.start, s.end) for s in segments]
    for target in targets:
        voice = request.voices.get(target)
        log.info(
            "%s: route %s, voice %s",
            target,
            engines.router.route(source, target),
            engines.voice_profile(target, voice).name,
        )
        with clock.stage("translate"):
            progress(f"translate {target}", 0, len(cues))
            checked[target] = translate_cues(engines.translator, cues, source, target)
            translations[target] = [line.text for line in checked[target]]
            refused = sum(line.refused for line in checked[target])
            if refused:
                log.warning(
                    "%s: %d of %d lines left undubbed: no translation kept their facts", target, refused, len(cues)
                )
            progress(f"translate {target}", len(cues), len(cues))
        with clock.stage("synthesize"):
            audios = []
            for done, text in enumerate(translations[target], start=1):
                audios.append(speak_line(engines, text, target, MIX_RATE, voice))
                progress(f"synthesize {target}", done, len(cues))
        with clock.stage("fit_and_mix"):
            placed[target] = _place_lines(audios, cues, media_end, request.fit)
            track, cut_at_end[target] = mix_track(original, MIX_RATE, placed[target], source_speech)
            wav = work / f"{stem}.{target}.wav"
            write_wav(wav, track, MIX_RATE)
            tracks.append(AudioTrack(wav, get_language(target).iso3, f"dub {LANGUAGES[target].name}"))
    with clock.stage("subtitles"):
        outputs = {source: [c.text for c in cues], **translations}
        for lang, texts in outputs.items():
            lang_cues = [Cue(c.start, c.end, text) for c, text in zip(cues, texts, strict=True) if text]
            write_subtitles(lang_cues, get_language(lang), work / f"{stem}.{lang}.srt", work / f"{stem}.{lang}.vtt")
    with clock.stage("mux"):
        progress("mux", 0, 1)
        mux(request.input, tracks, work / f"{stem}.dub.mp4", get_language(source).iso3)
        progress("mux", 1, 1)
    for track in tracks:
        track.path.unlink()
    report = _report(request, duration, source, cues, checked, placed, engines, clock)
    report["cut_at_end"] = {lang: round(seconds, 3) for lang, seconds in cut_at_end.items()}
    return source, report


def _publish(work: Path, out_dir: Path, report: str) -> None:
    """Move every file of `work` into `out_dir`, the report last; an earlier run's report goes first, so that a
    run dying half-way through never leaves a report beside outputs it does not describe."""
    (out_dir / report).unlink(missing_ok=True)
    for produced in sorted(work.iterdir(), key=lambda path: path.name == report):
        move_durably(produced, out_dir / produced.name)


def _report(
    request: DubRequest,
    duration: float,
    source: str,
    cues: Sequence[Cue],
    translations: dict[str, list[Checked]],
    placed: dict[str, list[PlacedLine]],
    engines: Engines,
    clock: _StageClock,
) -> dict[str, object]:
    total = sum(clock.seconds.values())
    segments = []
    for i, cue in enumerate(cues):
        per_lang = {}
        for lang, lines in placed.items():
            line = lines[i]
            per_lang[lang] = {
                "text": translations[lang][i].text,
                **({"refused": translations[lang][i].reason} if translations[lang][i].refused else {}),
                "placed_start": round(line.start, 3),
                "placed_end": round(line.end, 3),
                "synthesized_duration": round(line.synthesized_duration, 3),
                "stretch": round(line.stretch, 3),
                "borrowed": round(line.borrowed, 3),
                "overrun": round(line.overrun, 3),
            }
        segments.append({"start": round(cue.start, 3), "end": round(cue.end, 3), "text": cue.text, "targets": per_lang})
    return {
        "input": str(request.input),
        "duration": round(duration, 3),
        "source_lang": source,
        "targets": list(translations),
        "routes": {lang: str(engines.router.route(source, lang)) for lang in translations},
        "refused_lines": {lang: sum(line.refused for line in lines) for lang, lines in translations.items()},
        "below_live_floor": {
            lang: reason for lang in translations if (reason := engines.live_translator.weakness(source, lang))
        },
        "voices": {lang: engines.voice_profile(lang, request.voices.get(lang)).name for lang in translations},
        "fit": asdict(request.fit),
        "stages": {name: round(seconds, 3) for name, seconds in clock.seconds.items()},
        "wall_seconds": round(total, 3),
        "real_time_factor": round(total / duration, 3) if duration else None,
        "segments": segments,
    }
