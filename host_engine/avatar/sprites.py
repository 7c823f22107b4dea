"""Drawn characters: one mouth picture per viseme laid over the portrait, an eyes-closed overlay while blinking."""

from __future__ import annotations

import cv2
import numpy as np

from host_engine.avatar.motion import Pose
from host_engine.avatar.pack import Pack, read_image
from host_engine.avatar.stage import Stage
from host_engine.avatar.visemes import Mouth, Viseme
from host_engine.errors import BadInputError


class _Overlay:
    """An RGBA picture at a fixed place in the frame, cropped to its visible part."""

    def __init__(self, image: np.ndarray, scale: float, centre: tuple[float, float]) -> None:
        if image.ndim != 3 or image.shape[2] != 4:
            raise BadInputError("sprites must be PNG images with an alpha channel")
        image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        ys, xs = np.nonzero(image[..., 3])
        if not len(xs):
            raise BadInputError("a sprite is fully transparent")
        left = round(centre[0] - image.shape[1] / 2)
        top = round(centre[1] - image.shape[0] / 2)
        crop = image[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
        self.x, self.y = left + int(xs.min()), top + int(ys.min())
        self.colour = crop[..., :3].astype(np.float32)
        self.alpha = crop[..., 3:].astype(np.float32) / 255.0

    def draw(self, frame: np.ndarray) -> None:
        height, width = self.alpha.shape[:2]
        x0, y0 = max(self.x, 0), max(self.y, 0)
        x1, y1 = min(self.x + width, frame.shape[1]), min(self.y + height, frame.shape[0])
        if x1 <= x0 or y1 <= y0:
            return
        part = (slice(y0 - self.y, y1 - self.y), slice(x0 - self.x, x1 - self.x))
        target = frame[y0:y1, x0:x1]
        alpha = self.alpha[part]
        target[:] = (target * (1 - alpha) + self.colour[part] * alpha).astype(np.uint8)


class SpriteRenderer:
    def __init__(self, pack: Pack, size: tuple[int, int], backdrop: np.ndarray | None = None) -> None:
        assert pack.sprites is not None
        self.stage = Stage(pack, size, backdrop)
        self.size = size
        mouth_at = self.stage.place(pack.geometry.mouth.center)
        self._mouths = {
            viseme: _Overlay(read_image(pack.path(path), cv2.IMREAD_UNCHANGED), self.stage.scale, mouth_at)
            for viseme, path in pack.sprites.mouth.items()
        }
        portrait = pack.portrait.shape
        closed = read_image(pack.path(pack.sprites.eyes_closed), cv2.IMREAD_UNCHANGED)
        if closed.shape[:2] != portrait[:2]:
            raise BadInputError(f"avatar pack '{pack.name}': eyes_closed must be the portrait's size")
        self._eyes_closed = _Overlay(closed, self.stage.scale, self.stage.place((portrait[1] / 2, portrait[0] / 2)))

    def draw(self, mouth: Mouth, pose: Pose) -> np.ndarray:
        frame = self.stage.base.copy()
        self._mouths[mouth.viseme if mouth.open > 0.02 else Viseme.X].draw(frame)
        if pose.blink >= 0.5:
            self._eyes_closed.draw(frame)
        return self.stage.pose(frame, pose)
