"""Photo packs: the jaw drops by warping the lower face below the lip line, a mouth cavity (teeth, tongue) fills
the gap, and eyelids are drawn down by stretching the skin above each eye.

All warps are `cv2.remap` over small regions with fields computed once per pack, so a frame costs a few
milliseconds on one core; the whole-frame head pose is the largest cost.
"""

from __future__ import annotations

import cv2
import numpy as np

from host_engine.avatar.motion import Pose
from host_engine.avatar.pack import Feature, Pack
from host_engine.avatar.stage import Stage
from host_engine.avatar.visemes import Mouth

JAW_DROP = 0.42
"""Widest opening as a share of the mouth's width."""
CAVITY = np.array([38, 28, 72], np.float32)
TEETH = np.array([212, 218, 226], np.float32)
TONGUE = np.array([88, 92, 178], np.float32)


def _grid(x0: int, y0: int, x1: int, y1: int) -> tuple[np.ndarray, np.ndarray]:
    return np.meshgrid(np.arange(x0, x1, dtype=np.float32), np.arange(y0, y1, dtype=np.float32))


def _bounds(stage: Stage, x0: float, y0: float, x1: float, y1: float) -> tuple[int, int, int, int]:
    width, height = stage.size
    return max(0, int(x0)), max(0, int(y0)), min(width, int(np.ceil(x1))), min(height, int(np.ceil(y1)))


class _MouthWarp:
    def __init__(self, stage: Stage, mouth: Feature, lips_meet: tuple[float, float]) -> None:
        left, right = stage.place(mouth.left), stage.place(mouth.right)
        top, bottom = stage.place(mouth.top), stage.place(mouth.bottom)
        meet = stage.place(lips_meet)
        self.width = right[0] - left[0]
        w = self.width
        self.box = _bounds(stage, left[0] - 0.7 * w, top[1] - 0.3 * w, right[0] + 0.7 * w, bottom[1] + 1.3 * w)
        x0, y0, x1, y1 = self.box
        self.x, self.y = _grid(x0, y0, x1, y1)
        self.centre_x = (left[0] + right[0]) / 2
        self.u = (self.x - self.centre_x) / (w / 2)
        corners_y = (left[1] + right[1]) / 2
        tilt = (right[1] - left[1]) / 2
        self.lip = meet[1] + tilt * np.clip(self.u, -1, 1) + (corners_y - meet[1]) * np.minimum(self.u**2, 1.0)
        across = 0.5 * (1 + np.cos(np.pi * np.minimum(np.abs(self.u) / 1.5, 1.0)))
        below = self.y - self.lip
        chin = bottom[1] + 0.1 * w
        down = np.clip(below / (0.05 * w), 0, 1) * np.where(
            self.y <= chin, 1.0, np.clip(1 - (self.y - chin) / max(y1 - chin, 1.0), 0, 1)
        )
        up = np.where(below < 0, np.clip(1 + below / max(self.lip.mean() - y0, 1.0), 0, 1), 0.0)
        self.drop = (across * (down - 0.12 * up)).astype(np.float32)
        """Per pixel: how far it moves down (negative: up) per pixel of jaw drop."""
        self.lips_band = np.clip(1 - np.abs(below) / (0.6 * w), 0, 1).astype(np.float32)
        self.across = across.astype(np.float32)

    def draw(self, frame: np.ndarray, base: np.ndarray, mouth: Mouth) -> None:
        if mouth.open < 0.01 and abs(mouth.wide) < 0.01:
            return
        x0, y0, x1, y1 = self.box
        gap = mouth.open * JAW_DROP * self.width
        narrow = -0.12 * mouth.wide * self.lips_band * self.across
        map_x = self.x + (self.x - self.centre_x) * narrow
        map_y = self.y - gap * self.drop
        region = cv2.remap(base, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        if gap >= 1.0:
            self._cavity(region, gap, mouth)
        frame[y0:y1, x0:x1] = region

    def _cavity(self, region: np.ndarray, gap: float, mouth: Mouth) -> None:
        reach = 0.8 * (1 + 0.15 * mouth.wide)
        profile = np.sqrt(np.clip(1 - (self.u / reach) ** 2, 0, 1))
        top = self.lip - 0.12 * gap * profile
        bottom = self.lip + gap * self.across * profile**0.35
        inside = np.clip(np.minimum(self.y - top, bottom - self.y) / 1.5, 0, 1) * (profile > 0)
        depth = np.clip((self.y - top) / np.maximum(bottom - top, 1.0), 0, 1)[..., None]
        colour = CAVITY * (0.55 + 0.45 * np.abs(self.u[..., None]) / reach)
        teeth = ((self.y - top) < min(0.09 * self.width, 0.3 * gap))[..., None] & (mouth.open > 0.2)
        colour = np.where(teeth, TEETH * (0.75 + 0.25 * profile[..., None]), colour)
        tongue = (depth > 0.72) & (np.abs(self.u[..., None]) < 0.45 * reach) & (mouth.open > 0.45)
        colour = np.where(tongue, TONGUE, colour)
        alpha = inside[..., None].astype(np.float32)
        region[:] = (region * (1 - alpha) + colour * alpha).astype(np.uint8)


class _Eyelid:
    def __init__(self, stage: Stage, eye: Feature) -> None:
        left, right = stage.place(eye.left), stage.place(eye.right)
        top, bottom = stage.place(eye.top), stage.place(eye.bottom)
        w = right[0] - left[0]
        self.box = _bounds(stage, left[0] - 0.3 * w, top[1] - 0.5 * w, right[0] + 0.3 * w, bottom[1] + 0.2 * w)
        x0, y0, x1, y1 = self.box
        self.x, self.y = _grid(x0, y0, x1, y1)
        self.y0 = float(y0)
        u = (self.x - (left[0] + right[0]) / 2) / (w / 2)
        corners_y = (left[1] + right[1]) / 2
        self.inside = np.abs(u) < 1
        bend = np.minimum(u**2, 1.0)
        self.upper = top[1] + (corners_y - top[1]) * bend
        self.lower = bottom[1] + (corners_y - bottom[1]) * bend

    def draw(self, frame: np.ndarray, base: np.ndarray, closed: float) -> None:
        x0, y0, x1, y1 = self.box
        lid = np.where(self.inside, self.upper + closed * (self.lower - self.upper), self.upper)
        above = self.y < lid
        stretch = (self.upper - self.y0) / np.maximum(lid - self.y0, 1.0)
        map_y = np.where(above, self.y0 + (self.y - self.y0) * stretch, self.y).astype(np.float32)
        region = cv2.remap(base, self.x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        if closed > 0.3:
            lash = (np.abs(self.y - lid) < 1.5) & self.inside
            region[lash] = (region[lash] * 0.5).astype(np.uint8)
        frame[y0:y1, x0:x1] = region


class PhotoRenderer:
    def __init__(self, pack: Pack, size: tuple[int, int], backdrop: np.ndarray | None = None) -> None:
        self.stage = Stage(pack, size, backdrop)
        self.size = size
        geometry = pack.geometry
        self._mouth = _MouthWarp(self.stage, geometry.mouth, geometry.lips_meet)
        self._eyes = [_Eyelid(self.stage, eye) for eye in geometry.eyes]

    def draw(self, mouth: Mouth, pose: Pose) -> np.ndarray:
        base = self.stage.base
        frame = base.copy()
        self._mouth.draw(frame, base, mouth)
        if pose.blink > 0.02:
            for eye in self._eyes:
                eye.draw(frame, base, pose.blink)
        return self.stage.pose(frame, pose)
