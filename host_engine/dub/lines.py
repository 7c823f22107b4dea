"""Translating cues a sentence at a time: a sentence cut over several cues is translated whole, then split back.

Translating fragments ("... how much there might" / "be prudently in his power ...") gives broken output in
every engine; translating the whole sentence and dealing its words back over the cues in proportion to their
source length keeps both the translation and the timing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from host_engine.languages import get_language
from host_engine.mt.checked import Checked, CheckedTranslator
from host_engine.subtitles import Cue
from host_engine.text import ends_sentence


def sentence_groups(cues: Sequence[Cue]) -> list[list[int]]:
    """Indices of cues, grouped so that each group holds one or more whole sentences of one speaker."""
    groups: list[list[int]] = []
    for index in range(len(cues)):
        last = cues[groups[-1][-1]] if groups else None
        if last and last.speaker == cues[index].speaker and not ends_sentence(last.text):
            groups[-1].append(index)
        else:
            groups.append([index])
    return groups


def split_by_weights(text: str, weights: Sequence[int], spaced: bool) -> list[str]:
    """Deal `text` over len(weights) parts in proportion to `weights`, cutting between words (or characters)."""
    units = text.split() if spaced else list(text.replace(" ", ""))
    joiner = " " if spaced else ""
    total = sum(weights) or 1
    parts, start, seen = [], 0, 0
    for position, weight in enumerate(weights):
        seen += weight
        remaining = len(weights) - position - 1
        end = len(units) - remaining if remaining else len(units)
        end = max(start + 1, min(end, round(len(units) * seen / total)))
        parts.append(joiner.join(units[start:end]))
        start = end
    return parts


def translate_cues(translator: CheckedTranslator, cues: Sequence[Cue], src: str, tgt: str) -> list[Checked]:
    """One translation per cue, each sentence translated in one piece; a refused sentence leaves each of its cues
    refused (empty text, with the reason)."""
    groups = sentence_groups(cues)
    sentences = [" ".join(cues[i].text for i in group) for group in groups]
    translated = translator.translate_checked(sentences, src, tgt)
    spaced = get_language(tgt).spaced
    out: list[Checked] = []
    for group, checked in zip(groups, translated, strict=True):
        weights = [len(cues[i].text) for i in group]
        parts = split_by_weights(checked.text, weights, spaced) if len(group) > 1 and checked.text else None
        for position, index in enumerate(group):
            text = parts[position] if parts else checked.text
            out.append(replace(checked, source=cues[index].text, text=text))
    return out
