"""Speaking a whole line: sentences from a synthesizer joined with short pauses, at one sample rate."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from host_engine.engines import Engines
from host_engine.errors import BadInputError
from host_engine.languages import get_language
from host_engine.media import resample, write_wav
from host_engine.tts import PhonemeTiming, Synthesizer

SENTENCE_PAUSE = 0.12


@dataclass(frozen=True)
class SpokenLine:
    audio: np.ndarray
    sample_rate: int
    phonemes: tuple[PhonemeTiming, ...]
    """On the line's own clock (the sentences' timings shifted by where each sentence starts)."""


def speak(engines: Engines, text: str, lang: str, rate: int, voice: str | None = None) -> SpokenLine:
    """`text` as float32 mono audio at `rate` with its phoneme timings; empty when there is nothing to say."""
    return say(engines.synthesizer(lang, voice), text, lang, rate)


def say(synthesizer: Synthesizer, text: str, lang: str, rate: int, tempo: float = 1.0) -> SpokenLine:
    """`text` said by `synthesizer` (`tempo` times its voice's pace), its sentences joined with short pauses."""
    pieces: list[np.ndarray] = []
    phonemes: list[PhonemeTiming] = []
    at = 0.0
    for chunk in synthesizer.synthesize(text, lang, tempo):
        if pieces:
            pieces.append(np.zeros(int(SENTENCE_PAUSE * rate), np.float32))
            at += pieces[-1].size / rate
        pieces.append(resample(chunk.audio, chunk.sample_rate, rate))
        phonemes += [PhonemeTiming(p.phoneme, at + p.start, at + p.end) for p in chunk.phonemes]
        at += pieces[-1].size / rate
    audio = np.concatenate(pieces) if pieces else np.zeros(0, np.float32)
    return SpokenLine(audio, rate, tuple(phonemes))


def speak_line(engines: Engines, text: str, lang: str, rate: int, voice: str | None = None) -> np.ndarray:
    """`text` as float32 mono audio at `rate`; empty when there is nothing to say."""
    return speak(engines, text, lang, rate, voice).audio


def speak_to_file(engines: Engines, text: str, lang: str, output: Path, voice: str | None = None) -> float:
    """Write `text` spoken in `lang` to a WAV file (atomically); returns its duration in seconds."""
    code = get_language(lang).code
    if not text.strip():
        raise BadInputError("nothing to say: the text is empty")
    if output.suffix.lower() != ".wav":
        raise BadInputError(f"{output}: speak writes WAV files; name the output *.wav")
    rate = engines.synthesizer(code, voice).sample_rate
    audio = speak_line(engines, text, code, rate, voice)
    if audio.size == 0:
        raise BadInputError("nothing to say: the text has no speakable words")
    partial = output.with_name(f".{output.name}.partial")
    write_wav(partial, audio, rate)
    os.replace(partial, output)
    return audio.size / rate
