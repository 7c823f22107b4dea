"""Where speech may be cut without cutting a word: the pauses of a synthesized sentence, found in its audio.

The voices' phoneme timings carry no word boundaries (Piper spreads its phonemes evenly), so the host cuts its own
speech where the audio is quiet for long enough to be between words: at least `PAUSE_SECONDS` below
`QUIET_DB` under the sentence's loud level. A stop consonant's closure ("jac|ket") is quiet too, but shorter.
"""

from __future__ import annotations

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
