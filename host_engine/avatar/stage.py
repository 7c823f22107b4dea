"""The frame around the portrait: where the pack's image sits in a 720p/1080p frame, what fills the rest (the
pack's colour or a studio's background image), and the head's pose."""

from __future__ import annotations

import cv2
import numpy as np

from host_engine.avatar.motion import Pose
from host_engine.avatar.pack import Pack, Point
from host_engine.errors import BadInputError

SIZES = {"720p": (1280, 720), "1080p": (1920, 1080)}


def frame_size(name: str) -> tuple[int, int]:
    if name not in SIZES:
        raise BadInputError(f"unknown frame size '{name}'; use one of {', '.join(SIZES)}")
    return SIZES[name]


def cover(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """`image` scaled to cover `size` (width, height) and cropped to it about its centre."""
    width, height = size
    scale = max(width / image.shape[1], height / image.shape[0])
    scaled = cv2.resize(
        image,
        (max(width, round(image.shape[1] * scale)), max(height, round(image.shape[0] * scale))),
        interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC,
    )
    left, top = (scaled.shape[1] - width) // 2, (scaled.shape[0] - height) // 2
    return scaled[top : top + height, left : left + width]


class Stage:
    """The pack's portrait scaled to fill the frame's height, centred on `backdrop` (a BGR image, scaled to cover
    the frame) or else on the pack's background colour."""

    def __init__(self, pack: Pack, size: tuple[int, int], backdrop: np.ndarray | None = None) -> None:
        portrait = pack.portrait
        width, height = size
        self.size = size
        self.scale = min(width / portrait.shape[1], height / portrait.shape[0])
        scaled = cv2.resize(portrait, None, fx=self.scale, fy=self.scale, interpolation=cv2.INTER_CUBIC)
        self.offset = ((width - scaled.shape[1]) // 2, (height - scaled.shape[0]) // 2)
        if backdrop is None:
            self.base = np.empty((height, width, 3), np.uint8)
            self.base[:] = pack.background
        else:
            self.base = np.ascontiguousarray(cover(backdrop, size))
        x, y = self.offset
        self.base[y : y + scaled.shape[0], x : x + scaled.shape[1]] = scaled
        self.pivot = self.place(pack.geometry.pivot)

    def place(self, point: Point) -> tuple[float, float]:
        """A point of the pack's image in frame pixels."""
        return (point[0] * self.scale + self.offset[0], point[1] * self.scale + self.offset[1])

    def pose(self, frame: np.ndarray, pose: Pose) -> np.ndarray:
        """Turn, shift and breathe the whole picture about the pivot (edge pixels repeat into the margin)."""
        unit = self.size[1] / 720
        matrix = cv2.getRotationMatrix2D(self.pivot, pose.angle, pose.scale)
        matrix[:, 2] += (pose.shift[0] * unit, pose.shift[1] * unit)
        return cv2.warpAffine(frame, matrix, self.size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
