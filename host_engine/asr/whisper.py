"""faster-whisper backend: one loaded model, lazy guarded segments, language forced or detected."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from host_engine.asr import Segment, TranscribeOptions, TranscriptInfo, Word
from host_engine.asr.guards import GuardSettings, guard_segments, is_silent
from host_engine.device import choose_device
from host_engine.errors import UnsupportedLanguageError

SAMPLE_RATE = 16000


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
        from faster_whisper import WhisperModel

        chosen = choose_device(device, compute_type)
        self.device = chosen
        self.guards = guards or GuardSettings()
        self._model = WhisperModel(
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
        raw, info = self._model.transcribe(
            audio,
            language=options.language,
            task=options.task,
            beam_size=options.beam_size,
            vad_filter=options.vad,
            word_timestamps=options.word_timestamps,
            initial_prompt=options.initial_prompt,
            condition_on_previous_text=False,
            no_speech_threshold=self.guards.max_no_speech_prob,
            log_prob_threshold=self.guards.min_avg_logprob,
            compression_ratio_threshold=self.guards.max_compression_ratio,
        )
        segments = (
            Segment(
                start=s.start,
                end=s.end,
                text=s.text.strip(),
                words=tuple(Word(w.word, float(w.start), float(w.end), float(w.probability)) for w in s.words or ()),
                avg_logprob=s.avg_logprob,
                no_speech_prob=s.no_speech_prob,
                compression_ratio=s.compression_ratio,
            )
            for s in raw
        )
        return guard_segments(segments, self.guards), TranscriptInfo(info.language, info.language_probability, duration)
