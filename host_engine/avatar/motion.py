"""Life for a host that is not speaking: blinks at natural random intervals, breathing and a slow drift of the head.

Everything is a function of time and a seed, so a frame can be drawn again identically (a resumed render, a test).
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass

import numpy as np

BLINK_SECONDS = (0.07, 0.04, 0.10)
"""Closing, shut, opening."""
BLINK_GAP_SECONDS = (1.8, 6.0)
"""People blink every 2-6 s at rest (about 15 a minute)."""


@dataclass(frozen=True)
class Pose:
    angle: float
    """Head roll in degrees about the pack's pivot."""
    shift: tuple[float, float]
    """Head offset in pixels of a 720-line frame (renderers scale it)."""
    scale: float
    """Breathing: the upper body swells by a few thousandths."""
    blink: float
    """0 eyes open .. 1 shut."""


class IdleMotion:
    def __init__(self, seed: int = 0) -> None:
        self._rng = np.random.default_rng(seed)
        self._phases = self._rng.uniform(0, 2 * math.pi, size=4)
        self._blinks: list[float] = [float(self._rng.uniform(0.5, 2.5))]

    def _blink_level(self, t: float) -> float:
        while self._blinks[-1] < t:
            self._blinks.append(self._blinks[-1] + float(self._rng.uniform(*BLINK_GAP_SECONDS)))
        start = self._blinks[max(0, bisect.bisect_right(self._blinks, t) - 1)]
        since = t - start
        closing, shut, opening = BLINK_SECONDS
        if since < 0 or since > closing + shut + opening:
            return 0.0
        if since < closing:
            return since / closing
        if since < closing + shut:
            return 1.0
        return 1.0 - (since - closing - shut) / opening

    def pose(self, t: float, speaking: float = 0.0) -> Pose:
        """The pose at `t` seconds; `speaking` (the mouth's opening, 0..1) adds a slight nod on stressed sounds."""
        a, b, c, d = self._phases
        breath = math.sin(2 * math.pi * t / 4.2 + a)
        angle = 0.9 * math.sin(2 * math.pi * t / 7.3 + b) + 0.35 * math.sin(2 * math.pi * t / 3.1 + c)
        shift = (3.0 * math.sin(2 * math.pi * t / 9.7 + d), 1.5 * breath + 2.0 * speaking)
        return Pose(angle, shift, 1.0 + 0.003 * breath, self._blink_level(t))
