"""Saying a line at the pace its slot needs: the voice's own tempo (Kokoro's speed, Piper's length scale, espeak's
rate) sounds better than speeding the audio up afterwards, and a voice speaking faster makes less audio, which is
most of what neural synthesis costs (Kokoro: 23 % less time at 1.3x).

How long a line will take is not known before it is said; each voice's seconds per character at its own pace is
learned from the lines it has said so far in the dub (the first line is said at its pace).
"""

from __future__ import annotations

from dataclasses import dataclass

MIN_CHARS = 20
"""Characters a voice must have said before its pace is trusted."""


@dataclass
class Pace:
    """One voice's pace in one language, learned as it speaks."""

    seconds: float = 0.0
    chars: int = 0

    def tempo(self, text: str, slot: float, most: float) -> float:
        """How much faster than its own pace to say `text` so that it lasts `slot` seconds (1.0 to `most`)."""
        if self.chars < MIN_CHARS or slot <= 0:
            return 1.0
        expected = len(text) * self.seconds / self.chars
        return min(max(expected / slot, 1.0), most)

    def learn(self, text: str, seconds: float, tempo: float) -> None:
        """`text` took `seconds` said `tempo` times faster than the voice's pace."""
        self.seconds += seconds * tempo
        self.chars += len(text)
