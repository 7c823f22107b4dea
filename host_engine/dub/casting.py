"""A dub's cast: each cue said by one speaker, and each speaker given a voice of their own in each language.

Voices are offered in the order of the language's `voices/` file (its default first), a speaker's own gender
(from their pitch) before the other; the speaker heard longest chooses first, and nobody gets a voice another
speaker already has while the language has one left. A studio's choice (`--voice es=NAME` for the speaker heard
longest, `--voice es:S2=NAME` for another) goes before all that.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace

from host_engine.asr import Segment
from host_engine.errors import BadInputError
from host_engine.languages import Language, get_language
from host_engine.speakers.diarize import Turn, speaker_at
from host_engine.speakers.heard import Speaker
from host_engine.subtitles import Cue, cues_from_words, without_overlaps
from host_engine.tts.voices import VoiceProfile, voice_for

SPEAKER_LABEL = re.compile(r"S[1-9][0-9]?")


def cues_by_speaker(segments: Sequence[Segment], turns: Sequence[Turn], lang: Language) -> list[Cue]:
    """The speech's cues (`cues_from_words`), never one spanning two speakers, each carrying its speaker; a word
    nobody is heard saying goes to the speaker before it (or, at the start, after it)."""
    words = [word for segment in segments for word in segment.words if word.text.strip()]
    said = [speaker_at(turns, word.start, word.end) for word in words]
    known = [speaker for speaker in said if speaker is not None]
    last = known[0] if known else 0
    runs: list[tuple[int, list]] = []
    for word, speaker in zip(words, said, strict=True):
        last = last if speaker is None else speaker
        if runs and runs[-1][0] == last:
            runs[-1][1].append(word)
        else:
            runs.append((last, [word]))
    cues = [replace(cue, speaker=speaker) for speaker, run in runs for cue in cues_from_words(run, lang)]
    return without_overlaps(cues)


def cast_voices(
    profiles: Mapping[str, VoiceProfile], lang: str, speakers: Sequence[Speaker], chosen: Mapping[str, str]
) -> dict[int, VoiceProfile]:
    """Speaker index -> the voice that says their lines in `lang`. `chosen` maps a speaker's label (S1, ...) to a
    profile name; "" names the voice of the speaker heard longest."""
    code = get_language(lang).code
    if not any(profile.lang == code for profile in profiles.values()):
        voice_for(profiles, code)  # says which languages have voices
    offered = sorted((p for p in profiles.values() if p.lang == code), key=lambda profile: not profile.default)
    by_talk = sorted(speakers, key=lambda speaker: -speaker.talk_seconds)
    labels = {speaker.label for speaker in speakers}
    if unknown := sorted(set(chosen) - labels - {""}):
        raise BadInputError(
            f"--voice for {lang}: no speaker {', '.join(unknown)} in this clip; "
            f"its speakers: {', '.join(sorted(labels))}"
        )
    cast: dict[int, VoiceProfile] = {}
    for position, speaker in enumerate(by_talk):
        name = chosen.get(speaker.label) or (chosen.get("") if position == 0 else None)
        if name:
            cast[speaker.index] = voice_for(profiles, code, name)
    for speaker in by_talk:
        if speaker.index in cast:
            continue
        taken = {profile.name for profile in cast.values()}
        left = [profile for profile in offered if profile.name not in taken] or offered
        cast[speaker.index] = min(left, key=lambda profile: profile.gender != speaker.gender)
    return cast


def voice_choices(voices: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """A request's `voices` ({"es": NAME, "es:S2": NAME}) as language -> speaker label ("" for the speaker heard
    longest) -> profile name."""
    choices: dict[str, dict[str, str]] = {}
    for key, name in voices.items():
        lang, _, label = key.partition(":")
        if label and not SPEAKER_LABEL.fullmatch(label):
            raise BadInputError(f"voice for '{key}': name a speaker as S1, S2, ... (LANG:S2=NAME), not '{label}'")
        choices.setdefault(get_language(lang).code, {})[label] = name
    return choices


def checked_voice_choices(
    profiles: Mapping[str, VoiceProfile], voices: Mapping[str, str], targets: Sequence[str]
) -> dict[str, dict[str, str]]:
    """`voice_choices`, each naming a target language and a voice it has (checked before any work)."""
    choices = voice_choices(voices)
    if stray := sorted(set(choices) - set(targets)):
        raise BadInputError(f"--voice for {', '.join(stray)}: not among the targets ({', '.join(targets)})")
    for lang, names in choices.items():
        for name in names.values():
            voice_for(profiles, lang, name)
    return choices
