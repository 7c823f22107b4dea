"""Avatar packs: a portrait plus the geometry a renderer needs, in `voices/avatars/<name>/pack.yaml`.

A `photo` pack's mouth is warped open and its eyelids drawn down; a `sprites` pack (a drawn character) swaps in
one mouth picture per viseme and an eyes-closed overlay. Coordinates are pixels of the pack's own image.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

import cv2
import numpy as np
from pydantic import Field, model_validator

from host_engine.avatar.visemes import Viseme
from host_engine.config import PROJECT_ROOT, Frozen, load_yaml
from host_engine.errors import BadInputError

AVATARS_DIR = PROJECT_ROOT / "voices" / "avatars"
PACK_FILE = "pack.yaml"

Point = tuple[float, float]


class Feature(Frozen):
    """An eye or the mouth (outer lip line): its two corners, its highest and its lowest point."""

    left: Point
    right: Point
    top: Point
    bottom: Point

    @property
    def center(self) -> Point:
        return ((self.left[0] + self.right[0]) / 2, (self.top[1] + self.bottom[1]) / 2)

    @property
    def width(self) -> float:
        return float(np.hypot(self.right[0] - self.left[0], self.right[1] - self.left[1]))

    @property
    def height(self) -> float:
        return self.bottom[1] - self.top[1]

    def points(self) -> list[Point]:
        return [self.left, self.right, self.top, self.bottom]

    @model_validator(mode="after")
    def _ordered(self) -> Feature:
        if not (self.left[0] < self.right[0] and self.top[1] < self.bottom[1]):
            raise ValueError("needs left.x < right.x and top.y < bottom.y")
        return self


class Geometry(Frozen):
    face: tuple[float, float, float, float]
    """x, y, width, height of the face box."""
    mouth: Feature
    lips_meet: Point
    """Where the lips touch in the middle of the closed mouth: the jaw opens below this line."""
    eyes: tuple[Feature, Feature]
    pivot: Point
    """The head turns and nods about this point (the chin, or the neck)."""


class Sprites(Frozen):
    mouth: dict[Viseme, Path]
    """One RGBA picture per shape, drawn centred on the mouth."""
    eyes_closed: Path
    """An RGBA overlay the size of the portrait, drawn over it during a blink."""

    @model_validator(mode="after")
    def _every_shape(self) -> Sprites:
        missing = [v.value for v in Viseme if v not in self.mouth]
        if missing:
            raise ValueError(f"mouth sprites missing for shapes {', '.join(missing)}")
        return self


class Pack(Frozen):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    kind: Literal["photo", "sprites"]
    image: Path
    license: str
    geometry: Geometry
    background: tuple[int, int, int] = (40, 32, 28)
    """Blue, green, red of the frame around the portrait."""
    sprites: Sprites | None = None
    folder: Path = Path(".")
    """Set by `load_pack`: relative paths in the YAML are relative to it."""

    @model_validator(mode="after")
    def _sprites_for_drawn(self) -> Pack:
        if (self.kind == "sprites") != (self.sprites is not None):
            raise ValueError("a 'sprites' pack needs a `sprites:` section, and only it")
        return self

    def path(self, relative: Path) -> Path:
        return relative if relative.is_absolute() else self.folder / relative

    @cached_property
    def portrait(self) -> np.ndarray:
        """The portrait as BGR; checked against the geometry."""
        image = read_image(self.path(self.image), cv2.IMREAD_COLOR)
        height, width = image.shape[:2]
        points = [p for feature in (self.geometry.mouth, *self.geometry.eyes) for p in feature.points()]
        outside = [p for p in [*points, self.geometry.lips_meet, self.geometry.pivot] if not _inside(p, width, height)]
        if outside:
            where = f"point {outside[0]} lies outside the {width}x{height} image"
            raise BadInputError(f"avatar pack '{self.name}': {where}; fix its geometry in {PACK_FILE}")
        return image


def _inside(point: Point, width: int, height: int) -> bool:
    return 0 <= point[0] < width and 0 <= point[1] < height


def read_image(path: Path, flags: int) -> np.ndarray:
    if not path.is_file():
        raise BadInputError(f"{path}: no such image")
    image = cv2.imread(str(path), flags)
    if image is None:
        raise BadInputError(f"{path}: not an image OpenCV can read (corrupt or unknown format)")
    return image


def available_packs(directory: Path = AVATARS_DIR) -> list[str]:
    return sorted(p.parent.name for p in directory.glob(f"*/{PACK_FILE}"))


def load_pack(name: str, directory: Path = AVATARS_DIR) -> Pack:
    """A pack by name (a folder under `voices/avatars/`) or by the path of its folder or YAML file."""
    given = Path(name)
    path = given / PACK_FILE if given.is_dir() else given
    if not path.is_file():
        path = directory / name / PACK_FILE
    if not path.is_file():
        raise BadInputError(f"no avatar pack '{name}'; installed packs: {', '.join(available_packs(directory))}")
    pack = load_yaml(path, Pack)
    return pack.model_copy(update={"folder": path.parent})
