"""The host's voice: remembered audio for lines said again, and answers served before warming work."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import numpy as np
import pytest

from host_engine import registry
from host_engine.host import voicing
from host_engine.host.voicing import SpeechMemory, Urgency, Voice
from host_engine.tts import SpeechChunk
from host_engine.tts.voices import VoiceProfile, load_synthesizer


async def _audio(voice: Voice, lang: str, text: str, urgency: Urgency, remember: bool = True) -> list[SpeechChunk]:
    return [chunk async for chunk in voice.say(lang, text, urgency, remember)]


def test_a_line_said_again_comes_from_memory(engines) -> None:
    voice = Voice(engines.synthesizer)

    async def scenario() -> tuple[list[SpeechChunk], list[SpeechChunk]]:
        first = await _audio(voice, "vi", "Áo khoác này rất nhẹ. Nó gấp gọn vào túi.", Urgency.SHOW)
        again = await _audio(voice, "vi", "Áo khoác này rất nhẹ. Nó gấp gọn vào túi.", Urgency.SHOW)
        return first, again

    first, again = asyncio.run(scenario())
    voice.close()
    assert len(first) == 2 and all(chunk.duration > 0.5 for chunk in first)
    assert [id(chunk) for chunk in again] == [id(chunk) for chunk in first]
    assert (voice.memory.hits, voice.memory.misses) == (1, 1)


def test_a_viewers_name_is_not_remembered(engines) -> None:
    voice = Voice(engines.synthesizer)
    chunks = asyncio.run(_audio(voice, "de", "Lukas,", Urgency.ANSWER, remember=False))
    voice.close()
    assert chunks and chunks[0].duration > 0.2 and ("de", "Lukas,") not in voice.memory and voice.memory.seconds == 0


def test_an_answer_is_voiced_before_the_warm_up_finishes(engines) -> None:
    voice = Voice(engines.synthesizer)
    warm = [("en", f"Talking point number {n}, about the rain jacket.") for n in range(12)]

    async def scenario() -> int:
        warming = [asyncio.create_task(_audio(voice, lang, text, Urgency.WARM)) for lang, text in warm]
        await asyncio.sleep(0)  # every warming job is queued before the answer's
        await _audio(voice, "en", "Ana, the jacket is 49 USD.", Urgency.ANSWER)
        done_before = sum((lang, text) in voice.memory for lang, text in warm)
        await asyncio.gather(*warming)
        return done_before

    done_before = asyncio.run(scenario())
    voice.close()
    assert done_before <= 2  # at most the job already running, not the twelve queued ahead
    assert all((lang, text) in voice.memory for lang, text in warm)


def test_warming_waits_while_answers_are_made_and_is_only_delayed_by_a_flood(engines, monkeypatch) -> None:
    voice = Voice(engines.synthesizer)
    warm = [("en", "The hood fits over a cap."), ("en", "It folds into its own pocket.")]
    answering = True

    async def scenario() -> int:
        nonlocal answering
        warming = asyncio.create_task(voice.warm(warm, share=1.0, busy=lambda: answering))
        await asyncio.sleep(1.0)
        held = len(voice.memory)
        answering = False
        await warming
        return held

    held = asyncio.run(scenario())
    assert held == 0 and all(piece in voice.memory for piece in warm)
    monkeypatch.setattr(voicing, "GIVE_WAY_SECONDS", 0.2)  # answers never stop coming: warming goes on anyway
    flood = [("en", "Free shipping on every order.")]
    asyncio.run(voice.warm(flood, share=1.0, busy=lambda: True))
    voice.close()
    assert flood[0] in voice.memory


def test_memory_drops_the_least_recently_used_past_its_budget() -> None:
    memory = SpeechMemory(budget_seconds=3.5)
    second = SpeechChunk("x", np.zeros(16000, np.float32), 16000)
    for text in ("a", "b", "c"):
        memory.put("en", text, (second,))
    assert memory.get("en", "a") is not None  # a is now the most recent
    memory.put("en", "d", (second,))
    assert ("en", "b") not in memory and ("en", "a") in memory and memory.seconds == 3.0


def test_remembered_speech_outlives_a_restart_of_the_show(engines, tmp_path: Path) -> None:
    """What the voice remembered is on disk: a restarted show says it without synthesizing (its synthesizer here
    cannot), for the same voice only; a damaged file is synthesized again."""
    first = Voice(engines.synthesizer, SpeechMemory(folder=tmp_path, voice_of=lambda lang: "kokoro-es 1.0"))
    said = asyncio.run(_audio(first, "es", "¡Buena pregunta! Cuesta 45,90 euros.", Urgency.WARM))
    first.close()

    def mute(lang: str):
        raise AssertionError("synthesized again")

    memory = SpeechMemory(folder=tmp_path, voice_of=lambda lang: "kokoro-es 1.0")
    again = asyncio.run(_audio(Voice(mute, memory), "es", "¡Buena pregunta! Cuesta 45,90 euros.", Urgency.ANSWER))
    assert [c.text for c in again] == [c.text for c in said] and len(said) == 2
    for before, after in zip(said, again, strict=True):
        assert after.sample_rate == before.sample_rate and after.audio.dtype == np.float32
        assert np.abs(after.audio - before.audio).max() < 1e-4 and after.phonemes == before.phonemes
    other_voice = SpeechMemory(folder=tmp_path, voice_of=lambda lang: "espeak-es 1.0")
    assert other_voice.get("es", "¡Buena pregunta! Cuesta 45,90 euros.") is None
    (kept,) = tmp_path.glob("*.npz")
    kept.write_bytes(kept.read_bytes()[:100])  # torn by a power cut
    reopened = SpeechMemory(folder=tmp_path, voice_of=lambda lang: "kokoro-es 1.0")
    assert reopened.get("es", "¡Buena pregunta! Cuesta 45,90 euros.") is None
    assert not kept.exists()


def test_the_memory_on_disk_keeps_to_its_budget(tmp_path: Path) -> None:
    second = SpeechChunk("x", np.zeros(24000, np.float32), 24000)
    memory = SpeechMemory(budget_seconds=2.5, folder=tmp_path)
    for text in ("a", "b", "c"):
        memory.put("en", text, (second,))
    assert len(list(tmp_path.glob("*.npz"))) == 3
    SpeechMemory(budget_seconds=2.5, folder=tmp_path)  # the next start drops the least recently used
    assert len(list(tmp_path.glob("*.npz"))) == 2


def test_the_memory_on_disk_keeps_to_its_budget_while_the_show_runs(tmp_path: Path) -> None:
    second = SpeechChunk("x", np.zeros(24000, np.float32), 24000)
    memory = SpeechMemory(budget_seconds=2.5, folder=tmp_path)
    for n in range(20):  # a night of open answers, each said once
        memory.put("en", f"answer {n}", (second,))
        assert len(list(tmp_path.glob("*.npz"))) <= 3  # 2.5 s of budget, pruned once 25 % past it
    assert memory.get("en", "answer 19") is not None


def test_a_voice_that_fails_hands_the_line_to_espeak(engines, tmp_path: Path) -> None:
    broken = tmp_path / "broken.onnx"
    real = registry.model_path("piper-en-joe") / "en_US-joe-medium.onnx"
    shutil.copy(real.with_suffix(".onnx.json"), broken.with_suffix(".onnx.json"))
    broken.write_bytes(real.read_bytes()[:4096])  # a voice file cut short on disk: ONNX Runtime cannot load it

    def studio_voice(lang: str):
        return load_synthesizer(VoiceProfile(name=f"{lang}-damaged", lang=lang, engine="piper", model=broken))

    voice = Voice(studio_voice, fallback_for=engines.fallback_synthesizer)
    text = "The rain jacket weighs three hundred grams."
    chunks = asyncio.run(_audio(voice, "en", text, Urgency.SHOW))
    assert voice.fallbacks == 1 and [chunk.text for chunk in chunks] == [text] and chunks[0].duration > 1.0
    assert ("en", text) not in voice.memory  # the studio's voice gets the next chance
    voice.close()
    alone = Voice(studio_voice)
    with pytest.raises(Exception, match=r"broken\.onnx"):  # no fallback voice: the caller skips the line
        asyncio.run(_audio(alone, "en", text, Urgency.SHOW))
    alone.close()
