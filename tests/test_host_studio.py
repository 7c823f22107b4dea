"""What viewers see: the studio background, the product on air as a card and every market's ad label, read back from
the decoded frames of a real recording; labels in every script the host speaks; one-line errors for bad images."""

from __future__ import annotations

import time
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
from shows import shipped_show

from host_engine.avatar.live import LiveAvatar
from host_engine.avatar.pack import load_pack
from host_engine.avatar.scene import Layer, Patch, Scene
from host_engine.config import PROJECT_ROOT
from host_engine.errors import BadInputError
from host_engine.host.outlet import Outlet
from host_engine.host.pipeline import Chat, LanguageModel
from host_engine.host.show import AUDIO_RATE, Show
from host_engine.host.studio import backdrop, cards, disclosure

BACKGROUND = PROJECT_ROOT / "assets" / "studio" / "background.jpg"
FRAMES = 15
"""Frames recorded per product (0.6 s each)."""


def _grey(frame: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    x, y, width, height = box
    return cv2.cvtColor(frame[y : y + height, x : x + width], cv2.COLOR_BGR2GRAY).astype(np.float32)


def _apart(a: np.ndarray, b: np.ndarray, box: tuple[int, int, int, int]) -> float:
    """Mean absolute difference of two frames' brightness in `box`."""
    return float(np.abs(_grey(a, box) - _grey(b, box)).mean())


def _with(layer: Layer, clean: np.ndarray) -> np.ndarray:
    frame = clean.copy()
    layer.draw(frame)
    return frame


def _union(*patches: Patch) -> tuple[int, int, int, int]:
    x0 = min(p.box[0] for p in patches)
    y0 = min(p.box[1] for p in patches)
    x1 = max(p.box[0] + p.box[2] for p in patches)
    y1 = max(p.box[1] + p.box[3] for p in patches)
    return x0, y0, x1 - x0, y1 - y0


def test_the_recording_shows_every_markets_ad_label_and_the_card_of_the_product_on_air(
    engines, host_state: Path, tmp_path: Path
) -> None:
    picture = tmp_path / "jacket.png"
    drawing = np.full((300, 240, 3), (40, 40, 200), np.uint8)
    cv2.circle(drawing, (120, 150), 80, (240, 240, 240), -1)
    cv2.imwrite(str(picture), drawing)
    base = shipped_show(("us", "kr"), state_dir=host_state, language_model=LanguageModel(kind="none"), chat=Chat())
    jacket, *others = base.products
    pipeline = base.model_copy(
        update={
            "products": (jacket.model_copy(update={"image": picture}), *others),
            "avatar": base.avatar.model_copy(update={"background": BACKGROUND}),
        }
    )
    show = Show(pipeline, engines)
    output = tmp_path / "night.mkv"
    outlet = Outlet(str(output), show.avatar.renderer.size, show.avatar.fps, AUDIO_RATE)
    try:
        assert show.state.product == 0
        for index in range(2 * FRAMES):
            if index == FRAMES:  # the jacket had its minutes: the next talking point moves on to the thermos
                show.state.product_since = time.time() - jacket.minutes * 60
                show.scheduler.advance()
            outlet.write(*show.avatar.next_frame())
            time.sleep(1 / show.avatar.fps)  # as the render thread paces it: the outlet keeps every frame
    finally:
        outlet.close()
        show.voice.close()
    assert show.state.product == 1

    twin = LiveAvatar(load_pack(pipeline.avatar.pack), show.avatar.renderer.size, show.avatar.fps, AUDIO_RATE,
                      backdrop=backdrop(pipeline.avatar))  # fmt: skip
    clean = [twin.next_frame()[0].copy() for _ in range(2 * FRAMES)]  # the same frames with nothing over them
    with av.open(str(output)) as container:
        decoded = [frame.to_ndarray(format="bgr24") for frame in container.decode(video=0)]
    assert len(decoded) == 2 * FRAMES

    jacket_card, thermos_card = show.cards
    label = jacket_card.parts["label"].box
    assert label == thermos_card.parts["label"].box
    cards_box = _union(jacket_card.parts["card"], thermos_card.parts["card"])
    assert _apart(_with(jacket_card, clean[0]), _with(thermos_card, clean[0]), cards_box) > 20  # a different card
    for index in (3, FRAMES - 3, FRAMES + 3, 2 * FRAMES - 3):
        on_air, other = (jacket_card, thermos_card) if index < FRAMES else (thermos_card, jacket_card)
        seen, expected = decoded[index], _with(on_air, clean[index])
        assert _apart(seen, expected, label) < 4, index  # "#ad · #광고", as rendered
        assert _apart(seen, clean[index], label) > 25, index  # and not the bare background
        assert _apart(seen, expected, cards_box) < 4, index
        assert _apart(seen, _with(other, clean[index]), cards_box) > 20, index
    wall = (0, 100, 240, 400)  # left of the portrait: the studio's background, not the pack's flat colour
    flat = np.full_like(clean[5], load_pack(pipeline.avatar.pack).background)
    assert _apart(decoded[5], clean[5], wall) < 4 and _apart(decoded[5], flat, wall) > 10


def test_labels_in_every_script_are_drawn() -> None:
    """Each script's characters swapped around draw differently: a missing glyph draws the same box for both."""
    scene = Scene((1280, 720))
    for text, swapped in [("#광고", "#고광"), ("#広告", "#告広"), ("#プロモ", "#モロプ"), ("#โฆษณา", "#ณาโฆษ"),
                          ("إعلان", "نالعإ"), ("#реклама", "#амалкер")]:  # fmt: skip
        drawn = scene.card("x", None, text).parts["label"]
        other = scene.card("x", None, swapped).parts["label"]
        assert drawn.add.shape != other.add.shape or np.abs(drawn.add.astype(int) - other.add).mean() > 1, text


def test_the_stream_carries_every_distinct_label_the_default_markets_first() -> None:
    full = shipped_show(("us", "eu", "id", "jp", "kr"))
    assert disclosure(full) == "#ad · #PR · #광고"
    assert disclosure(full.model_copy(update={"default_market": "kr"})) == "#광고 · #ad · #PR"
    assert disclosure(shipped_show(("id", "my"), default_market="id")) is None


def test_a_bad_background_or_product_picture_is_one_clear_error(tmp_path: Path) -> None:
    pipeline = shipped_show(("us",))
    missing = pipeline.avatar.model_copy(update={"background": Path("studio/nowhere.jpg")})
    with pytest.raises(BadInputError, match=r"^avatar\.background: studio/nowhere\.jpg: no such image \(relative"):
        backdrop(missing)
    broken = tmp_path / "jacket.jpg"
    broken.write_bytes(b"\xff\xd8 not really a JPEG")
    products = (pipeline.products[0].model_copy(update={"image": broken}), *pipeline.products[1:])
    scene = Scene((1280, 720))
    with pytest.raises(BadInputError, match=r"^product 'rain-jacket': image: .*not an image OpenCV can read"):
        cards(pipeline.model_copy(update={"products": products}), lambda product, lang: product.name[lang], "en", scene)
