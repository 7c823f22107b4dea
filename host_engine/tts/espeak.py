"""eSpeak NG through its command line: robotic but small, and it speaks every target language.

One `espeak-ng` process per sentence; the text goes in on stdin (never through a shell or as an
argument, so it cannot be read as an option or a command), the WAV comes back on stdout and the
phonemes (`--ipa`, one `_` between phonemes) on stderr. espeak-ng prints no phoneme durations for its
own voices (`--pho` is for MBROLA only), so timings are spread over the voiced audio
(see `host_engine.tts.common`).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator

import numpy as np

from host_engine.errors import HostEngineError, ModelNotInstalledError
from host_engine.tts import SpeechChunk
from host_engine.tts.common import PAUSE, check_language, prepare_text, split_sentences, spread_timings

VOICES: dict[str, str] = {
    "en": "en-us",
    # The plain `cmn` voice reads pinyin tone numbers as English digits; this one reads Hanzi properly.
    "zh": "cmn-latn-pinyin",
    "ja": "ja",
    "ko": "ko",
    "es": "es",
    "pt": "pt-br",
    "fr": "fr",
    "de": "de",
    "ar": "ar",
    "id": "id",
    "ms": "ms",
    "th": "th",
    "vi": "vi",
}
"""Our language codes -> espeak-ng voice names (`espeak-ng --voices`)."""

DEFAULT_RATE = 165
"""Words per minute; espeak-ng's own default (175) is hurried for most languages."""

_STRESS = str.maketrans("", "", "ˈˌ")
_LANG_FLAG = re.compile(r"\([^)]*\)")


def _read_wav(data: bytes) -> tuple[np.ndarray, int]:
    """Decode espeak-ng's streamed 16-bit mono WAV (its size fields are placeholders, so walk the chunks)."""
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise RuntimeError("espeak-ng did not return a WAV stream")
    pos, rate = 12, 0
    while pos + 8 <= len(data):
        tag, size = data[pos : pos + 4], int.from_bytes(data[pos + 4 : pos + 8], "little")
        if tag == b"fmt ":
            rate = int.from_bytes(data[pos + 12 : pos + 16], "little")
        elif tag == b"data":
            pcm = data[pos + 8 :]
            pcm = pcm[: len(pcm) // 2 * 2]
            return np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0, rate
        pos += 8 + size
    raise RuntimeError("espeak-ng returned a WAV stream without audio data")


def _phoneme_units(ipa: str) -> list[str]:
    """`h_ə_l_ˈoʊ ð_ˈɛɹ\\nw_ˈɛ_l_k_ʌ_m` -> phonemes, with a `PAUSE` at each clause break (a new line)."""
    units: list[str] = []
    for clause in _LANG_FLAG.sub("", ipa).splitlines():
        phonemes = [p.translate(_STRESS) for p in re.split(r"[_\s]+", clause)]
        phonemes = [p for p in phonemes if p]
        if phonemes:
            units.extend([PAUSE, *phonemes] if units else phonemes)
    return units


class EspeakSynthesizer:
    """espeak-ng for all 13 languages; `variant` is an espeak voice variant such as `f3` or `m2`."""

    name = "espeak"
    sample_rate = 22050

    def __init__(
        self,
        *,
        rate: int = DEFAULT_RATE,
        pitch: int = 50,
        variant: str | None = None,
        binary: str = "espeak-ng",
    ) -> None:
        path = shutil.which(binary)
        if path is None:
            raise ModelNotInstalledError(f"{binary} not found; install it with `sudo apt-get install espeak-ng`")
        if variant is not None and not re.fullmatch(r"[A-Za-z0-9_-]+", variant):
            raise HostEngineError(f"bad espeak-ng variant {variant!r}; use a name from `espeak-ng --voices=variant`")
        self._binary = path
        self._rate = rate
        self._pitch = pitch
        self._variant = f"+{variant}" if variant else ""

    def languages(self) -> frozenset[str]:
        return frozenset(VOICES)

    def synthesize(self, text: str, lang: str, tempo: float = 1.0) -> Iterator[SpeechChunk]:
        check_language(lang, self.languages(), self.name)
        rate = round(self._rate * tempo)
        for sentence in split_sentences(text):
            audio, sample_rate, ipa = self._speak(prepare_text(sentence, lang), VOICES[lang] + self._variant, rate)
            if audio.size:
                yield SpeechChunk(sentence, audio, sample_rate, spread_timings(_phoneme_units(ipa), audio, sample_rate))

    def _speak(self, sentence: str, voice: str, rate: int) -> tuple[np.ndarray, int, str]:
        command = [
            self._binary,
            "-v", voice,
            "-s", str(rate),
            "-p", str(self._pitch),
            "-b", "1",  # input is UTF-8
            "--stdout",
            "--ipa", "--sep=_", "--phonout=/dev/stderr",
        ]  # fmt: skip
        result = subprocess.run(
            command, input=" ".join(sentence.split()).encode(), capture_output=True, timeout=60, check=False
        )
        if result.returncode != 0:
            detail = result.stderr.decode(errors="replace").strip().splitlines()
            raise RuntimeError(f"espeak-ng failed ({result.returncode}): {detail[-1] if detail else 'no message'}")
        audio, sample_rate = _read_wav(result.stdout)
        return audio, sample_rate, result.stderr.decode(errors="replace")
