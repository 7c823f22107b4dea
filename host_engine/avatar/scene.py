"""What viewers see over the host: the product on air as a card (its picture and name) and the disclosure label
the markets require ("#ad · #PR · #광고"), drawn with system fonts that cover every script the host speaks.

A card is rendered once, when it is made (Pillow, FreeType), into patches that hold the colour already multiplied
by its opacity; each frame then blends only those patches' boxes (two OpenCV passes), a fraction of a millisecond.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

log = logging.getLogger(__name__)

FONTS = (
    (Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"), "fonts-dejavu-core"),  # Latin, Cyrillic, Arabic
    (Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"), "fonts-wqy-microhei"),  # Chinese, kana, Hangul
    (Path("/usr/share/fonts/truetype/tlwg/Loma-Bold.ttf"), "fonts-tlwg-loma-ttf"),  # Thai
)
"""Tried in order for each character; `scripts/setup.sh` installs the Debian packages."""
MARGIN, CARD_WIDTH, PADDING, RADIUS = 24, 232, 14, 14
"""Card and label layout, in pixels of a 720-line frame."""
NAME_SIZE, LABEL_SIZE, NAME_LINES = 26, 24, 3
PANEL = (248, 246, 242, 235)
INK = (28, 28, 32, 255)
LABEL_PANEL = (16, 16, 20, 190)
LABEL_INK = (255, 255, 255, 255)

THAI = re.compile(r"[\u0e00-\u0e7f]")
_WIDE = r"\u3000-\u30ff\u3400-\u9fff\uac00-\ud7af\uff00-\uffef"
CJK_BREAKS = re.compile(rf"[{_WIDE}]\s*|[^{_WIDE}]+")
"""A Chinese or Japanese character (or a Korean syllable in an unspaced word) alone; anything else whole."""

Rgba = tuple[int, int, int, int]


@cache
def _faces() -> dict[Path, frozenset[int]]:
    """The installed fonts of `FONTS`, each with the characters it has."""
    from fontTools.ttLib import TTFont

    faces = {}
    for path, package in FONTS:
        if not path.is_file():
            log.warning("no font %s: text in its scripts is not drawn; install Debian's %s", path, package)
            continue
        with TTFont(path, fontNumber=0, lazy=True) as font:
            faces[path] = frozenset(font.getBestCmap())
    return faces


@cache
def _font(path: Path | None, size: int) -> ImageFont.FreeTypeFont:
    """The font at `path`, or Pillow's own (Latin only) where no font of `FONTS` is installed."""
    return ImageFont.load_default(size) if path is None else ImageFont.truetype(str(path), size)  # type: ignore[return-value]


@cache
def _face_for(char: str) -> Path | None:
    faces = _faces()
    found = next((path for path, chars in faces.items() if ord(char) in chars), None)
    if found is None and not char.isspace():
        log.warning("no installed font draws %r (U+%04X)", char, ord(char))
    return found or next(iter(faces), None)


class _Text:
    """One line in font runs: each character in the first font that has it, a combining mark (a Thai tone, an
    Arabic vowel) in its letter's font, so that the shaper sees them together."""

    def __init__(self, text: str, size: int) -> None:
        runs: list[tuple[Path | None, str]] = []
        for char in text:
            current = runs[-1][0] if runs else None
            mark = bool(runs) and unicodedata.category(char).startswith("M")
            path = current if mark and ord(char) in _faces().get(current, ()) else _face_for(char)
            if runs and path == current:
                runs[-1] = (path, runs[-1][1] + char)
            else:
                runs.append((path, char))
        self.runs = [(_font(path, size), run) for path, run in runs]
        self.width = round(sum(font.getlength(run) for font, run in self.runs))
        metrics = [font.getmetrics() for font, _ in self.runs] or [_font(None, size).getmetrics()]
        self.ascent = max(a for a, _ in metrics)
        self.height = self.ascent + max(d for _, d in metrics)

    def draw(self, canvas: ImageDraw.ImageDraw, x: float, top: float, fill: Rgba) -> None:
        for font, run in self.runs:
            canvas.text((x, top + self.ascent), run, font=font, fill=fill, anchor="ls")
            x += font.getlength(run)


def _tokens(text: str) -> list[str]:
    """Where a line may break: after spaces, between Thai words (PyThaiNLP), and between the characters of
    Chinese and Japanese (a run of Latin letters or digits among them, "500ml", stays whole)."""
    tokens: list[str] = []
    for word in re.findall(r"\S+\s*", text):
        if THAI.search(word):
            from pythainlp.tokenize import word_tokenize

            tokens += word_tokenize(word, keep_whitespace=True)
        else:
            tokens += CJK_BREAKS.findall(word)
    return tokens


def _wrap(text: str, size: int, width: int, lines: int) -> list[_Text]:
    """`text` in at most `lines` lines of `width` pixels; the last cut short with an ellipsis if it must be."""
    wrapped: list[str] = []
    for token in _tokens(" ".join(text.split())):
        if wrapped and _Text(wrapped[-1] + token, size).width <= width:
            wrapped[-1] += token
        else:
            wrapped.append(token)
    if len(wrapped) > lines:
        last = wrapped[lines - 1].rstrip()
        while last and _Text(last + "…", size).width > width:
            last = last[:-1]
        wrapped = [*wrapped[: lines - 1], last + "…"]
    return [_Text(line.strip(), size) for line in wrapped]


def _name_lines(name: str, size: int, width: int) -> list[_Text]:
    """One line, up to a fifth smaller, where that fits ("レインジャケット" whole rather than a lone "ト" below);
    else wrapped, smaller until its longest word fits (down to 3/5)."""
    for smaller in range(size, round(0.8 * size) - 1, -1):
        if (line := _Text(" ".join(name.split()), smaller)).width <= width:
            return [line]
    longest, floor = max(_tokens(name), key=lambda token: _Text(token.strip(), size).width), round(0.6 * size)
    while size > floor and _Text(longest.strip(), size).width > width:
        size -= 1
    return _wrap(name, size, width, NAME_LINES)


@dataclass(frozen=True, eq=False)
class Patch:
    """A piece of the layer: its place in the frame, and per pixel what of the frame stays (255 - opacity) and
    what is added (colour x opacity / 255), both BGR."""

    x: int
    y: int
    keep: np.ndarray
    add: np.ndarray

    @property
    def box(self) -> tuple[int, int, int, int]:
        """x, y, width, height in the frame."""
        return self.x, self.y, self.keep.shape[1], self.keep.shape[0]

    def draw(self, frame: np.ndarray) -> None:
        height, width = self.keep.shape[:2]
        region = frame[self.y : self.y + height, self.x : self.x + width]
        region[:] = cv2.add(cv2.multiply(region, self.keep, scale=1 / 255), self.add)


def _patch(image: Image.Image, x: int, y: int, size: tuple[int, int]) -> Patch:
    """An RGBA picture placed at (x, y), cut to the frame and to its visible pixels."""
    rgba = np.asarray(image)
    left, top = max(0, -x), max(0, -y)
    rgba = rgba[top : size[1] - y, left : size[0] - x]
    ys, xs = np.nonzero(rgba[..., 3])
    if not len(xs):
        raise ValueError("nothing visible in the frame")
    rgba = rgba[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    alpha = rgba[..., 3:].astype(np.float32) / 255
    keep = np.repeat(255 - rgba[..., 3:], 3, axis=2)
    add = np.rint(rgba[..., 2::-1] * alpha).astype(np.uint8)
    return Patch(x + left + int(xs.min()), y + top + int(ys.min()), np.ascontiguousarray(keep), add)


@dataclass(frozen=True, eq=False)
class Layer:
    """What is drawn over every frame until another layer is shown; `parts` by name ('card', 'label')."""

    parts: dict[str, Patch]

    def draw(self, frame: np.ndarray) -> None:
        for patch in self.parts.values():
            patch.draw(frame)


def _rgba(picture: np.ndarray) -> Image.Image:
    """Any image OpenCV reads (grey, BGR, BGRA, 16-bit) as 8-bit RGBA."""
    if picture.dtype == np.uint16:
        picture = (picture >> 8).astype(np.uint8)
    elif picture.dtype != np.uint8:  # floating point (EXR, HDR): 0..1
        picture = cv2.convertScaleAbs(picture, alpha=255)
    codes = {2: cv2.COLOR_GRAY2RGBA, 3: cv2.COLOR_BGR2RGBA, 4: cv2.COLOR_BGRA2RGBA}
    channels = 2 if picture.ndim == 2 else picture.shape[2]
    return Image.fromarray(cv2.cvtColor(picture, codes[channels]))


class Scene:
    """The layer over the host's frames. `show` swaps it whole (from any thread: frames take whichever layer is
    current as they are drawn); `card` renders a product's layer once, ahead of its turn."""

    def __init__(self, size: tuple[int, int]) -> None:
        self.size = size
        self._unit = size[1] / 720
        self._layer: Layer | None = None

    def _px(self, value: float) -> int:
        return round(value * self._unit)

    def card(self, name: str, picture: np.ndarray | None = None, label: str | None = None) -> Layer:
        """The product's card at the bottom right (its `picture`, any OpenCV image, above its `name`) and the
        disclosure `label` at the top left."""
        parts = {"card": self._card(name, picture)}
        if label:
            parts["label"] = self._label(label)
        return Layer(parts)

    def _card(self, name: str, picture: np.ndarray | None) -> Patch:
        width, pad = self._px(CARD_WIDTH), self._px(PADDING)
        inner = width - 2 * pad
        lines = _name_lines(name, self._px(NAME_SIZE), inner)
        shown = None
        if picture is not None:
            scale = min(inner / picture.shape[1], inner / picture.shape[0])
            fitted = (max(1, round(picture.shape[1] * scale)), max(1, round(picture.shape[0] * scale)))
            shown = _rgba(cv2.resize(picture, fitted, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC))
        text_height = sum(line.height for line in lines)
        height = pad + (shown.height + pad if shown else 0) + text_height + pad
        image = Image.new("RGBA", (width, height))
        canvas = ImageDraw.Draw(image)
        canvas.rounded_rectangle((0, 0, width - 1, height - 1), self._px(RADIUS), fill=PANEL)
        top = pad
        if shown is not None:
            image.alpha_composite(shown, ((width - shown.width) // 2, top))
            top += shown.height + pad
        for line in lines:
            line.draw(canvas, (width - line.width) / 2, top, INK)
            top += line.height
        margin = self._px(MARGIN)
        return _patch(image, self.size[0] - margin - width, self.size[1] - margin - height, self.size)

    def _label(self, label: str) -> Patch:
        margin, pad = self._px(MARGIN), self._px(PADDING)
        size = self._px(LABEL_SIZE)
        text = _Text(label, size)
        while text.width > self.size[0] - 2 * (margin + pad) and size > 8:  # many markets' labels: smaller
            size -= 1
            text = _Text(label, size)
        image = Image.new("RGBA", (text.width + 2 * pad, text.height + pad))
        canvas = ImageDraw.Draw(image)
        canvas.rounded_rectangle((0, 0, image.width - 1, image.height - 1), image.height // 2, fill=LABEL_PANEL)
        text.draw(canvas, pad, pad / 2, LABEL_INK)
        return _patch(image, margin, margin, self.size)

    def show(self, layer: Layer | None) -> None:
        self._layer = layer

    def draw(self, frame: np.ndarray) -> np.ndarray:
        """The current layer over `frame`, in place."""
        if (layer := self._layer) is not None:
            layer.draw(frame)
        return frame
