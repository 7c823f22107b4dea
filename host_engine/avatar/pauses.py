"""Where speech may be cut without cutting a word: the seams between words that the voice timed itself (Piper's
alignment gives them as `WORD_BREAK`s), and the pauses of a synthesized sentence, found in its audio.

Voices whose phoneme timings are estimates (Kokoro, espeak-ng) give no seams, so their speech is cut where the audio
is quiet for long enough to be between words: at least `PAUSE_SECONDS` below `QUIET_DB` under the sentence's loud
level. A stop consonant's closure ("jac|ket") is quiet too, but shorter.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

HOP_SECONDS = 0.01
QUIET_DB = -30.0
"""Quiet: this far under the sentence's 95th-percentile level (10 ms steps)."""
PAUSE_SECONDS = 0.07
"""Quiet for this long is a pause between words; closures inside a word are shorter (30-60 ms in the voices)."""


def next_pause(audio: np.ndarray, sample_rate: int, after: float) -> float | None:
    """The middle of the first pause that ends after `after` seconds into `audio`, in seconds; None if there is
    none before its end (the sentence is then said to its end)."""
    hop = max(1, round(sample_rate * HOP_SECONDS))
    steps = audio.size // hop
    if steps == 0:
        return None
    levels = np.sqrt(np.mean(np.square(audio[: steps * hop].reshape(steps, hop), dtype=np.float64), axis=1) + 1e-12)
    quiet = 20 * np.log10(levels / np.percentile(levels, 95)) < QUIET_DB
    need = round(PAUSE_SECONDS / HOP_SECONDS)
    start = None
    for index, is_quiet in enumerate(quiet):
        if is_quiet and start is None:
            start = index
        elif not is_quiet and start is not None:
            if index - start >= need and index * HOP_SECONDS > after:
                return max(after, (start + index) / 2 * HOP_SECONDS)
            start = None
    return None


def next_cut(
    audio: np.ndarray, sample_rate: int, after: float, seams: Sequence[tuple[float, float]] = ()
) -> float | None:
    """The soonest place after `after` seconds to cut `audio` between words: the middle of a seam (start, end) or
    of a pause; None if there is neither before its end."""
    places = [(start + end) / 2 for start, end in seams if (start + end) / 2 > after]
    if (pause := next_pause(audio, sample_rate, after)) is not None:
        places.append(pause)
    return min(places, default=None)
