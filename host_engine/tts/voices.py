"""Voice profiles: which engine, voice and pace speak a language, from the YAML files in `voices/`.

Each `voices/*.yaml` holds a list of profiles under `voices:`; exactly one profile per language is marked
`default: true` (chosen by measured intelligibility, see the comments in those files).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from threading import Lock
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from host_engine import registry
from host_engine.config import PROJECT_ROOT, load_yaml
from host_engine.errors import BadInputError, HostEngineError, UnsupportedLanguageError
from host_engine.languages import LANGUAGES, get_language
from host_engine.tts import Synthesizer

VOICES_DIR = PROJECT_ROOT / "voices"

Engine = Literal["piper", "kokoro", "espeak"]
Gender = Literal["female", "male"]


class VoiceProfile(BaseModel):
    """One voice: `voice` is the Kokoro voice id, the Piper speaker number or the espeak-ng variant."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    lang: str
    gender: Gender | None = None
    """How the voice sounds; a dub gives a speaker a voice of their own gender where the language has one."""
    engine: Engine
    voice: str | None = None
    model: Path | None = None
    """Model file (relative to the profile's YAML file); the engine's installed offline model when left out."""
    speed: float = Field(default=1.0, ge=0.5, le=2.0)
    """1.0 is the engine's normal pace (espeak-ng: 165 words a minute); 1.2 is 20% faster."""
    default: bool = False

    @field_validator("lang")
    @classmethod
    def _known_language(cls, code: str) -> str:
        if code not in LANGUAGES:
            raise ValueError(f"unknown language '{code}'; use one of {', '.join(LANGUAGES)}")
        return code


class VoiceFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    voices: tuple[VoiceProfile, ...] = Field(min_length=1)


def load_voice_profiles(directory: Path = VOICES_DIR) -> dict[str, VoiceProfile]:
    """Every profile under `directory` by name; a broken file, a duplicate name or two defaults is an error."""
    paths = sorted(directory.glob("*.yaml")) if directory.is_dir() else []
    if not paths:
        raise HostEngineError(f"no voice profiles found in {directory}; add voices/<lang>.yaml files")
    profiles: dict[str, VoiceProfile] = {}
    defaults: dict[str, str] = {}
    for path in paths:
        for profile in load_yaml(path, VoiceFile).voices:
            if profile.model is not None and not profile.model.is_absolute():
                profile = profile.model_copy(update={"model": path.parent / profile.model})
            if profile.name in profiles:
                raise HostEngineError(f"{path}: voice name '{profile.name}' is used twice; rename one")
            if profile.default and profile.lang in defaults:
                raise HostEngineError(
                    f"{path}: '{profile.name}' and '{defaults[profile.lang]}' are both the default for "
                    f"'{profile.lang}'; keep `default: true` on one"
                )
            profiles[profile.name] = profile
            if profile.default:
                defaults[profile.lang] = profile.name
    return profiles


def default_voice(lang: str, profiles: dict[str, VoiceProfile] | None = None) -> VoiceProfile:
    """The default profile for `lang` (from `voices/` unless `profiles` is given)."""
    return voice_for(load_voice_profiles() if profiles is None else profiles, lang)


def voice_for(profiles: dict[str, VoiceProfile], lang: str, name: str | None = None) -> VoiceProfile:
    """The profile called `name`, or the default for `lang`; either must speak `lang`."""
    code = get_language(lang).code
    if name is not None:
        profile = profiles.get(name)
        if profile is None or profile.lang != code:
            names = ", ".join(sorted(p.name for p in profiles.values() if p.lang == code)) or "none"
            raise BadInputError(f"no voice '{name}' for '{code}'; voices for '{code}': {names}")
        return profile
    for profile in profiles.values():
        if profile.lang == code and profile.default:
            return profile
    voiced = ", ".join(sorted({p.lang for p in profiles.values() if p.default})) or "none"
    raise UnsupportedLanguageError(
        f"no default voice for '{code}'; languages with one: {voiced}; mark a profile `default: true` in voices/"
    )


def _piper(profile: VoiceProfile, threads: int | None) -> Synthesizer:
    from host_engine.tts.piper import PiperSynthesizer

    if profile.voice is not None and not profile.voice.isdigit():
        raise HostEngineError(f"voice '{profile.name}': a Piper `voice` is a speaker number, not '{profile.voice}'")
    speaker = int(profile.voice) if profile.voice else None
    model = profile.model or registry.model_path("piper-en-joe") / "en_US-joe-medium.onnx"
    return PiperSynthesizer(model, lang=profile.lang, speed=profile.speed, speaker=speaker)


def _kokoro(profile: VoiceProfile, threads: int | None) -> Synthesizer:
    from host_engine.tts.kokoro import KokoroSynthesizer

    model = profile.model or registry.model_path("kokoro-82m") / "kokoro-v1.0.int8.onnx"
    return KokoroSynthesizer(profile.voice or "jf_alpha", speed=profile.speed, model_path=model, threads=threads)


def _espeak(profile: VoiceProfile, threads: int | None) -> Synthesizer:
    from host_engine.tts.espeak import DEFAULT_RATE, EspeakSynthesizer

    return EspeakSynthesizer(rate=round(DEFAULT_RATE * profile.speed), variant=profile.voice)


ENGINES: dict[str, Callable[[VoiceProfile, int | None], Synthesizer]] = {
    "piper": _piper,
    "kokoro": _kokoro,
    "espeak": _espeak,
}
"""Engine name (as written in profiles) -> factory(profile, threads). Each backend shares one loaded model per model
file and thread count; `threads` is what one synthesis may use (None: the engine's default, all cores), honoured by
Kokoro (Piper loads its own session; espeak-ng is one process per sentence)."""


_loaded: dict[tuple[object, ...], Synthesizer] = {}
_loading = Lock()


def load_synthesizer(profile: VoiceProfile, threads: int | None = None) -> Synthesizer:
    """The synthesizer for `profile`, built once per distinct engine settings (and `threads`) in this process."""
    # Name and default flag do not change the sound: profiles differing only in those share one instance.
    key = (*profile.model_dump(exclude={"name", "default", "gender"}).values(), threads)
    with _loading:
        if key not in _loaded:
            _loaded[key] = ENGINES[profile.engine](profile, threads)
        return _loaded[key]
