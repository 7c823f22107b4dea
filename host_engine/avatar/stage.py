"""The frame around the portrait: where the pack's image sits in a 720p/1080p frame, and the head's pose."""

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


class Stage:
    """The pack's portrait scaled to fill the frame's height, centred on its background colour."""

    def __init__(self, pack: Pack, size: tuple[int, int]) -> None:
        portrait = pack.portrait
        width, height = size
        self.size = size
        self.scale = min(width / portrait.shape[1], height / portrait.shape[0])
        scaled = cv2.resize(portrait, None, fx=self.scale, fy=self.scale, interpolation=cv2.INTER_CUBIC)
        self.offset = ((width - scaled.shape[1]) // 2, (height - scaled.shape[0]) // 2)
        self.base = np.empty((height, width, 3), np.uint8)
        self.base[:] = pack.background
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
