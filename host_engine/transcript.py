"""Whole-file transcription and its text renderings (txt, json, srt, vtt)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from host_engine.asr import SAMPLE_RATE, Segment, TranscribeOptions, TranscriptInfo
from host_engine.engines import Engines
from host_engine.languages import LANGUAGES, get_language
from host_engine.media import decode_audio
from host_engine.subtitles import cues_from_segments, subtitles_text


def transcribe_file(
    path: Path, lang: str | None, engines: Engines, to_english: bool = False, prompt: str | None = None
) -> tuple[list[Segment], TranscriptInfo]:
    """`to_english` uses Whisper's speech translation task: English text whatever the spoken language; `prompt`
    is Whisper's initial prompt (names and spellings to expect)."""
    language = get_language(lang).code if lang else None
    audio = decode_audio(path, SAMPLE_RATE)
    task = "translate" if to_english else "transcribe"
    options = TranscribeOptions(language=language, task=task, initial_prompt=prompt or None)
    segments, info = engines.recognizer.transcribe(audio, options)
    return list(segments), info


def render_transcript(segments: list[Segment], info: TranscriptInfo, fmt: str) -> str:
    if fmt == "json":
        payload = {**asdict(info), "segments": [asdict(s) for s in segments]}
        return json.dumps(payload, ensure_ascii=False, indent=2) + "\n"
    if fmt in ("srt", "vtt"):
        rules = LANGUAGES.get(info.language, LANGUAGES["en"])
        return subtitles_text(cues_from_segments(segments, rules), rules, fmt)
    return "".join(f"{s.text}\n" for s in segments)
