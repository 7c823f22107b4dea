"""The talking host's face: viseme tracks from speech, avatar packs, renderers that draw one frame per mouth, and
the scene around it (a studio background behind, the product card and ad label over it).

Every renderer follows `Renderer`; a neural lip-sync backend can join later behind the same two members.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from host_engine.avatar.motion import Pose
from host_engine.avatar.visemes import Mouth


class Renderer(Protocol):
    size: tuple[int, int]
    """Frame width and height in pixels."""

    def draw(self, mouth: Mouth, pose: Pose) -> np.ndarray:
        """One BGR frame (height x width x 3, uint8)."""
        ...
