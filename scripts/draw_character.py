"""Draw the bundled cartoon host "mika" (portrait, one mouth sprite per viseme, eyes-closed overlay) and its pack.

Run `python scripts/draw_character.py` to regenerate voices/avatars/mika/; everything is drawn with OpenCV, so the
pack carries no third-party artwork (CC0).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import yaml

from host_engine.avatar.pack import AVATARS_DIR, PACK_FILE
from host_engine.avatar.visemes import Viseme

SIZE = 800
SKIN = (178, 208, 246)
SKIN_SHADE = (160, 190, 232)
HAIR = (40, 52, 92)
LIP = (96, 92, 214)
LIP_LINE = (62, 52, 150)
CAVITY = (48, 30, 84)
TEETH = (236, 240, 244)
TONGUE = (110, 112, 226)
EYES = ((330, 352), (470, 352))
MOUTH = (400, 478)
SPRITE = (170, 120)
AA = cv2.LINE_AA


def _portrait() -> np.ndarray:
    rows = np.linspace(0, 1, SIZE)[:, None, None]
    image = ((1 - rows) * np.array([120, 96, 52]) + rows * np.array([70, 46, 30])) * np.ones((SIZE, SIZE, 3))
    image = np.ascontiguousarray(image.astype(np.uint8))
    cv2.ellipse(image, (400, 900), (330, 230), 0, 0, 360, (150, 86, 60), -1, AA)  # shoulders
    cv2.ellipse(image, (400, 700), (90, 40), 0, 0, 180, (210, 230, 240), -1, AA)  # collar
    cv2.rectangle(image, (345, 520), (455, 680), SKIN_SHADE, -1, AA)  # neck
    cv2.ellipse(image, (400, 330), (215, 240), 0, 0, 360, HAIR, -1, AA)  # hair behind
    cv2.rectangle(image, (185, 330), (615, 640), HAIR, -1, AA)
    for x in (232, 568):
        cv2.ellipse(image, (x, 390), (26, 44), 0, 0, 360, SKIN_SHADE, -1, AA)  # ears
    cv2.ellipse(image, (400, 380), (170, 205), 0, 0, 360, SKIN, -1, AA)  # face
    cv2.ellipse(image, (400, 250), (190, 120), 0, 180, 360, HAIR, -1, AA)  # fringe
    cv2.ellipse(image, (330, 265), (120, 70), 20, 0, 180, HAIR, -1, AA)
    cv2.ellipse(image, (480, 262), (110, 60), -25, 0, 180, HAIR, -1, AA)
    blush = image.copy()
    for x in (305, 495):
        cv2.ellipse(blush, (x, 430), (42, 22), 0, 0, 360, (150, 150, 245), -1, AA)
    image = cv2.addWeighted(blush, 0.35, image, 0.65, 0)
    for x, y in EYES:
        cv2.ellipse(image, (x, y), (36, 24), 0, 0, 360, (250, 250, 250), -1, AA)
        cv2.circle(image, (x, y + 2), 18, (120, 84, 46), -1, AA)
        cv2.circle(image, (x, y + 2), 9, (20, 20, 24), -1, AA)
        cv2.circle(image, (x + 7, y - 5), 5, (255, 255, 255), -1, AA)
        cv2.ellipse(image, (x, y), (37, 25), 0, 190, 350, (40, 36, 50), 5, AA)  # upper lid line
        cv2.ellipse(image, (x, y - 52), (40, 14), 0, 200, 340, HAIR, 7, AA)  # brow
    cv2.ellipse(image, (400, 420), (12, 8), 0, 20, 160, (120, 140, 200), 3, AA)  # nose
    return image


def _mouth(shape: Viseme) -> np.ndarray:
    width, height = SPRITE
    sprite = np.zeros((height, width, 4), np.uint8)
    centre = (width // 2, height // 2)

    if shape in (Viseme.X, Viseme.A):
        bend = 10 if shape is Viseme.X else 3
        cv2.ellipse(sprite, (centre[0], centre[1] - bend), (46, bend + 2), 0, 20, 160, (*LIP_LINE, 255), 5, AA)
        return sprite
    axes = {
        Viseme.B: (42, 12), Viseme.C: (44, 22), Viseme.D: (46, 36), Viseme.E: (32, 28),
        Viseme.F: (18, 15), Viseme.G: (40, 13), Viseme.H: (42, 24),
    }[shape]  # fmt: skip
    cv2.ellipse(sprite, centre, (axes[0] + 7, axes[1] + 7), 0, 0, 360, (*LIP, 255), -1, AA)
    cv2.ellipse(sprite, centre, axes, 0, 0, 360, (*CAVITY, 255), -1, AA)
    inner = np.zeros((height, width), np.uint8)
    cv2.ellipse(inner, centre, axes, 0, 0, 360, 255, -1, AA)
    layer = np.zeros_like(sprite)
    if shape in (Viseme.B, Viseme.G):
        cv2.rectangle(layer, (0, 0), (width, centre[1] + (0 if shape is Viseme.G else 4)), (*TEETH, 255), -1)
    elif shape is not Viseme.F:
        cv2.rectangle(layer, (0, 0), (width, centre[1] - axes[1] + 9), (*TEETH, 255), -1)
    if shape in (Viseme.C, Viseme.D, Viseme.E):
        cv2.ellipse(
            layer, (centre[0], centre[1] + axes[1]), (int(axes[0] * 0.6), 16), 0, 0, 360, (*TONGUE, 255), -1, AA
        )
    if shape is Viseme.H:
        cv2.ellipse(layer, (centre[0], centre[1] - axes[1] + 14), (20, 10), 0, 0, 360, (*TONGUE, 255), -1, AA)
    mask = (inner > 0) & (layer[..., 3] > 0)
    sprite[mask] = layer[mask]
    cv2.ellipse(sprite, centre, (axes[0] + 7, axes[1] + 7), 0, 0, 360, (*LIP_LINE, 255), 2, AA)
    return sprite


def _eyes_closed() -> np.ndarray:
    overlay = np.zeros((SIZE, SIZE, 4), np.uint8)
    for x, y in EYES:
        cv2.ellipse(overlay, (x, y), (42, 30), 0, 0, 360, (*SKIN, 255), -1, AA)
        cv2.ellipse(overlay, (x, y - 6), (36, 14), 0, 15, 165, (40, 36, 50, 255), 5, AA)
    return overlay


def _feature(centre: tuple[int, int], half_width: int, half_height: int) -> dict[str, list[float]]:
    x, y = centre
    return {"left": [x - half_width, y], "right": [x + half_width, y], "top": [x, y - half_height],
            "bottom": [x, y + half_height]}  # fmt: skip


def main(folder: Path = AVATARS_DIR / "mika") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(folder / "portrait.png"), _portrait())
    for shape in Viseme:
        cv2.imwrite(str(folder / f"mouth_{shape.value}.png"), _mouth(shape))
    cv2.imwrite(str(folder / "eyes_closed.png"), _eyes_closed())
    pack = {
        "name": "mika",
        "kind": "sprites",
        "image": "portrait.png",
        "license": "CC0: drawn by scripts/draw_character.py",
        "geometry": {
            "face": [230, 175, 340, 410],
            "mouth": _feature(MOUTH, 46, 14),
            "lips_meet": list(MOUTH),
            "eyes": [_feature(eye, 36, 24) for eye in EYES],
            "pivot": [400, 585],
        },
        "background": [70, 46, 30],
        "sprites": {
            "mouth": {shape.value: f"mouth_{shape.value}.png" for shape in Viseme},
            "eyes_closed": "eyes_closed.png",
        },
    }
    header = "# Drawn by scripts/draw_character.py; run it again to regenerate this folder.\n"
    (folder / PACK_FILE).write_text(header + yaml.safe_dump(pack, sort_keys=False, default_flow_style=None))
    print(f"wrote {folder}")


if __name__ == "__main__":
    main()
