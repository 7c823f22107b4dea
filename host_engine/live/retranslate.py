"""Translating a sentence while it is still being said: the growing source is translated again as final words
arrive, and each translation is shown as a stable prefix (normal) and an unstable tail (lighter), so that viewers
read the start of a long sentence before its end is spoken.

A translation of a prefix changes as the sentence grows (the verb comes last, an adjective moves); showing every new
translation whole makes the text jump. A stability rule decides which part is unlikely to change:

- `mask-k`: all but the last `MASK_WORDS` words (the words the next source words are most likely to change);
- `agreement`: the longest word prefix two consecutive translations of the sentence agree on.

Either way the stable text shown never changes while the sentence is open: a new translation may only extend it.
On the live benchmark (2 cores, en -> es/pt, 2026-12-04) mask-k rewrote less stable text than agreement on the
sample in each of three runs (7.5 against 22, 13 against 16, 16 against 26 characters per 100) for at most
0.1-0.2 s more lag per word at p50; it is the default.
The closed sentence's translation replaces everything (it is what was shown before re-translation existed).
`benchmarks/live_latency` measures both rules (lag per word, erasure) and `none` (closed sentences only).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

MASK_WORDS = 2
FIRST_WORDS = 3
"""Final source words a sentence needs before its first translation (fewer translate to noise)."""
NEXT_WORDS = 2
"""New final source words before the sentence is translated again."""


class Stability(StrEnum):
    none = "none"
    mask_k = "mask-k"
    agreement = "agreement"


def units(text: str, spaced: bool) -> list[str]:
    """Words, or characters for languages written without spaces."""
    return text.split() if spaced else list(text.replace(" ", ""))


def joined(parts: list[str], spaced: bool) -> str:
    return (" " if spaced else "").join(parts)


def common_prefix(a: list[str], b: list[str]) -> int:
    count = 0
    while count < min(len(a), len(b)) and a[count] == b[count]:
        count += 1
    return count


@dataclass
class Growing:
    """One open sentence's translations into one language, and what of them is shown stable."""

    number: int
    rule: Stability
    spaced: bool
    translated_words: int = 0
    """Source words the last translation covered."""
    previous: list[str] = field(default_factory=list)
    stable: list[str] = field(default_factory=list)
    revision: int = -1

    def due(self, words: int) -> bool:
        """Whether `words` final source words call for a new translation."""
        if self.rule is Stability.none:
            return False
        return words >= (FIRST_WORDS if self.translated_words == 0 else self.translated_words + NEXT_WORDS)

    def update(self, translation: str, words: int) -> tuple[str, str, str]:
        """Take the translation of the first `words` source words; returns the text to show, and its stable and
        unstable parts."""
        new = units(translation, self.spaced)
        if self.rule is Stability.mask_k:
            candidate = new[: max(0, len(new) - MASK_WORDS)]
        else:
            candidate = new[: common_prefix(self.previous, new)]
        if len(candidate) > len(self.stable) and candidate[: len(self.stable)] == self.stable:
            self.stable = candidate
        self.previous, self.translated_words = new, words
        self.revision += 1
        # A translation that no longer starts with the stable text shown keeps it, and shows its own words after as
        # many words: the screen does not jump back, and the closed sentence's translation settles it.
        tail = new[len(self.stable) :]
        return joined(self.stable + tail, self.spaced), joined(self.stable, self.spaced), joined(tail, self.spaced)
