"""`host-engine avatar prepare IMAGE`: find a portrait's mouth, eyes and chin and write a photo pack to adjust.

dlib's 68-point landmarks (the model from Debian's libdlib-data) are used where installed; otherwise OpenCV's Haar
cascades give a face box and eyes, and the mouth is placed by the proportions of an average face.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import cv2
import numpy as np
import yaml

from host_engine.avatar.pack import AVATARS_DIR, PACK_FILE, Feature, Geometry, Pack, load_pack, read_image
from host_engine.errors import BadInputError

log = logging.getLogger(__name__)

DLIB_LANDMARKS = Path("/usr/share/dlib/shape_predictor_68_face_landmarks.dat")


def _feature(points: np.ndarray, left: int, right: int, top: list[int], bottom: list[int]) -> Feature:
    return Feature(
        left=_point(points[left]),
        right=_point(points[right]),
        top=_point(points[top].mean(axis=0)),
        bottom=_point(points[bottom].mean(axis=0)),
    )


def _point(xy: np.ndarray) -> tuple[float, float]:
    return (round(float(xy[0]), 1), round(float(xy[1]), 1))


def _dlib_geometry(image: np.ndarray) -> Geometry | None:
    try:
        import dlib
    except ImportError:
        return None
    if not DLIB_LANDMARKS.is_file():
        return None
    rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    faces = dlib.get_frontal_face_detector()(rgb, 1)
    if not faces:
        return None
    face = max(faces, key=lambda r: r.width() * r.height())
    shape = dlib.shape_predictor(str(DLIB_LANDMARKS))(rgb, face)
    points = np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float64)
    return Geometry(
        face=(face.left(), face.top(), face.width(), face.height()),
        mouth=_feature(points, 48, 54, [50, 51, 52], [56, 57, 58]),
        lips_meet=_point(points[[61, 62, 63, 65, 66, 67]].mean(axis=0)),
        eyes=(_feature(points, 36, 39, [37, 38], [40, 41]), _feature(points, 42, 45, [43, 44], [46, 47])),
        pivot=_point(points[8]),
    )


def _cascade_geometry(image: np.ndarray) -> Geometry | None:
    gray = cv2.equalizeHist(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY))
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    faces = cascade.detectMultiScale(gray, scaleFactor=1.1, minNeighbors=5, minSize=(60, 60))
    if len(faces) == 0:
        return None
    x, y, w, h = (float(v) for v in max(faces, key=lambda f: f[2] * f[3]))

    def box(cx: float, cy: float, half_w: float, half_h: float) -> Feature:
        return Feature(left=(cx - half_w, cy), right=(cx + half_w, cy), top=(cx, cy - half_h), bottom=(cx, cy + half_h))

    mouth_y = y + 0.78 * h
    return Geometry(
        face=(x, y, w, h),
        mouth=box(x + 0.5 * w, mouth_y, 0.2 * w, 0.06 * h),
        lips_meet=(x + 0.5 * w, mouth_y),
        eyes=(box(x + 0.31 * w, y + 0.4 * h, 0.1 * w, 0.03 * h), box(x + 0.69 * w, y + 0.4 * h, 0.1 * w, 0.03 * h)),
        pivot=(x + 0.5 * w, min(y + 1.0 * h, image.shape[0] - 1.0)),
    )


def find_geometry(image: np.ndarray) -> tuple[Geometry, str]:
    """The geometry and how it was found."""
    geometry = _dlib_geometry(image)
    if geometry is not None:
        return geometry, "dlib 68-point landmarks"
    geometry = _cascade_geometry(image)
    if geometry is not None:
        return geometry, "OpenCV Haar cascade face box and average proportions (coarse: check every point)"
    raise BadInputError("no face found; use a front-facing portrait with the whole face visible")


def prepare_pack(image_path: Path, name: str, license: str, directory: Path = AVATARS_DIR) -> Pack:
    """Copy the portrait into a new pack folder and write its geometry; returns the loaded pack."""
    image = read_image(image_path, cv2.IMREAD_COLOR)
    try:
        geometry, method = find_geometry(image)
    except BadInputError as exc:
        raise BadInputError(f"{image_path}: {exc}") from None
    folder = directory / name
    if (folder / PACK_FILE).exists():
        raise BadInputError(f"avatar pack '{name}' already exists in {folder}; pick another --name")
    folder.mkdir(parents=True, exist_ok=True)
    portrait = folder / f"portrait{image_path.suffix.lower()}"
    shutil.copyfile(image_path, portrait)
    document = {
        "name": name,
        "kind": "photo",
        "image": portrait.name,
        "license": license,
        "geometry": geometry.model_dump(mode="json"),
    }
    header = (
        f"# Geometry found with {method}.\n"
        f"# Pixels of {portrait.name}; move a point and re-render (`host-engine avatar render`) to check.\n"
    )
    (folder / PACK_FILE).write_text(
        header + yaml.safe_dump(document, sort_keys=False, default_flow_style=None), encoding="utf-8"
    )
    log.info("wrote %s (%s)", folder / PACK_FILE, method)
    return load_pack(str(folder))
