"""faster-whisper backend: one loaded model, lazy guarded segments, language forced or detected."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from host_engine.asr import Segment, TranscribeOptions, TranscriptInfo, Word
from host_engine.asr.guards import GuardSettings, guard_segments, is_silent
from host_engine.device import choose_device
from host_engine.errors import UnsupportedLanguageError

SAMPLE_RATE = 16000
FRAMES_PER_SECOND = 100
TEMPERATURES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)


def _windowed_model_class() -> type:
    """faster-whisper's model with an optional shorter encoder window, set per thread around a call."""
    from faster_whisper import WhisperModel

    class WindowedWhisperModel(WhisperModel):
        _window = threading.local()

        @contextmanager
        def window(self, frames: int | None) -> Iterator[None]:
            self._window.frames = frames
            try:
                yield
            finally:
                self._window.frames = None

        def encode(self, features: np.ndarray) -> object:
            frames = getattr(self._window, "frames", None)
            if frames:
                features = np.ascontiguousarray(features[..., :frames])
            return super().encode(features)

    return WindowedWhisperModel


class WhisperRecognizer:
    """Whisper through CTranslate2. Load once per process; `transcribe` is safe to call repeatedly."""

    name = "faster-whisper"

    def __init__(
        self,
        model_dir: Path,
        device: str = "auto",
        compute_type: str | None = None,
        guards: GuardSettings | None = None,
    ) -> None:
        chosen = choose_device(device, compute_type)
        self.device = chosen
        self.guards = guards or GuardSettings()
        self._model = _windowed_model_class()(
            str(model_dir),
            device=chosen.device,
            compute_type=chosen.compute_type,
            cpu_threads=chosen.cpu_threads if chosen.device == "cpu" else 0,
        )
        self._languages = frozenset(self._model.supported_languages)

    def languages(self) -> frozenset[str]:
        return self._languages

    def transcribe(
        self, audio: np.ndarray, options: TranscribeOptions | None = None
    ) -> tuple[Iterator[Segment], TranscriptInfo]:
        options = options or TranscribeOptions()
        duration = audio.size / SAMPLE_RATE
        if options.language is not None and options.language not in self._languages:
            raise UnsupportedLanguageError(
                f"Whisper does not recognize '{options.language}'; it knows {len(self._languages)} languages "
                "such as en, zh, ja, ko, es, pt, fr, de, ar, id, ms, th, vi"
            )
        if is_silent(audio, self.guards.silence_dbfs):
            return iter(()), TranscriptInfo(options.language or "", 0.0, duration)
        if options.window_seconds is not None and duration > options.window_seconds:
            raise ValueError(f"{duration:.1f} s of audio does not fit a {options.window_seconds} s encoder window")
        frames = round(options.window_seconds * FRAMES_PER_SECOND) if options.window_seconds else None
        with self._model.window(frames):
            raw, info = self._model.transcribe(
                audio,
                language=options.language,
                task=options.task,
                beam_size=options.beam_size,
                vad_filter=options.vad,
                word_timestamps=options.word_timestamps,
                initial_prompt=options.initial_prompt,
                condition_on_previous_text=False,
                temperature=TEMPERATURES if options.temperature_fallback else 0.0,
                max_new_tokens=options.max_new_tokens,
                no_speech_threshold=self.guards.max_no_speech_prob,
                log_prob_threshold=self.guards.min_avg_logprob,
                compression_ratio_threshold=self.guards.max_compression_ratio,
            )
            segments: Iterator[Segment] = (_segment(s) for s in raw)
            if frames:  # the window applies while decoding, so a windowed (short) call decodes here
                segments = iter(list(segments))
        return guard_segments(segments, self.guards), TranscriptInfo(info.language, info.language_probability, duration)


def _segment(s: object) -> Segment:
    return Segment(
        start=s.start,
        end=s.end,
        text=s.text.strip(),
        words=tuple(Word(w.word, float(w.start), float(w.end), float(w.probability)) for w in s.words or ()),
        avg_logprob=s.avg_logprob,
        no_speech_prob=s.no_speech_prob,
        compression_ratio=s.compression_ratio,
    )
