"""Draw the example studio background `assets/studio/background.jpg` (a gradient wall with soft lights and a
desk edge) for `avatar.background` in pipelines/overnight_host.yaml.

Run `python scripts/draw_studio.py` to regenerate it; drawn with OpenCV and a fixed seed (CC0), 1080p, under 100 KB.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from host_engine.config import PROJECT_ROOT

WIDTH, HEIGHT = 1920, 1080
TOP, BOTTOM = np.array([92, 52, 38]), np.array([46, 24, 30])
"""BGR: a deep blue wall darkening towards a plum floor."""
DESK = 0.86
"""Where the desk's edge runs, as a share of the height."""


def draw() -> np.ndarray:
    rows = np.linspace(0, 1, HEIGHT)[:, None, None]
    columns = np.linspace(-1, 1, WIDTH)[None, :, None]
    wall = (1 - rows) * TOP + rows * BOTTOM
    wall = wall * (1 - 0.25 * columns**2)  # darker at the sides: the host in the light
    lights = np.zeros((HEIGHT, WIDTH, 3), np.float32)
    rng = np.random.default_rng(7)
    for _ in range(14):
        centre = (int(rng.uniform(0, WIDTH)), int(rng.uniform(0.05, 0.6) * HEIGHT))
        radius = int(rng.uniform(30, 90))
        colour = rng.choice([(90, 170, 235), (200, 160, 110), (150, 120, 220)])
        cv2.circle(lights, centre, radius, tuple(float(c) * rng.uniform(0.25, 0.5) for c in colour), -1, cv2.LINE_AA)
    lights = cv2.GaussianBlur(lights, (0, 0), 18)
    image = wall + lights
    desk = int(DESK * HEIGHT)
    image[desk:] = image[desk:] * 0.6 + np.array([40, 46, 60]) * 0.4
    image[desk : desk + 4] += 40
    return np.clip(image, 0, 255).astype(np.uint8)


def main(path: Path = PROJECT_ROOT / "assets" / "studio" / "background.jpg") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), draw(), [cv2.IMWRITE_JPEG_QUALITY, 80])
    print(f"wrote {path} ({path.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
