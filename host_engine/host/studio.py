"""The pipeline's studio as viewers see it: the background image behind the host, and for each product its card
(name in the stream's language, picture) with the markets' disclosure label. The stream is one video for every
market, so it carries every market's label; each market's overlay page shows its own (`product_events`)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from host_engine.avatar.pack import read_image
from host_engine.avatar.scene import Layer, Scene
from host_engine.errors import BadInputError
from host_engine.events import ProductEvent
from host_engine.host.answers import Translations, format_price
from host_engine.host.pipeline import Avatar, Pipeline

LABEL_SEPARATOR = " · "


def _image(path: Path, field: str, flags: int) -> np.ndarray:
    try:
        return read_image(path, flags)
    except BadInputError as exc:
        where = "" if path.is_absolute() else f" (relative paths are from the working folder, {Path.cwd()})"
        raise BadInputError(f"{field}: {exc}{where}") from None


def backdrop(avatar: Avatar) -> np.ndarray | None:
    """The studio's background image (BGR), or None for the pack's flat colour."""
    return None if avatar.background is None else _image(avatar.background, "avatar.background", cv2.IMREAD_COLOR)


def disclosure(pipeline: Pipeline) -> str | None:
    """Every distinct ad label of the markets, the default market's first: '#ad · #PR · #광고'."""
    first = pipeline.market_by_id(pipeline.default_market)
    labels = [m.rules.ad_label for m in (first, *pipeline.markets) if m.rules.ad_label]
    return LABEL_SEPARATOR.join(dict.fromkeys(labels)) or None


def cards(pipeline: Pipeline, translations: Translations, lang: str, scene: Scene) -> list[Layer]:
    """One layer per product, in rundown order, rendered now: a missing picture stops the start, not the night.
    The name is in `lang`, as written where no translation kept it faithful (a brand name beats none)."""
    label = disclosure(pipeline)
    layers = []
    for product in pipeline.products:
        name = translations.fill(product.name, {lang})[lang] or next(iter(product.name.values()))
        picture = None
        if product.image is not None:
            picture = _image(product.image, f"product '{product.id}': image", cv2.IMREAD_UNCHANGED)
        layers.append(scene.card(name, picture, label))
    return layers


def product_events(pipeline: Pipeline, translations: Translations) -> list[list[ProductEvent]]:
    """Per product, what each market's overlay shows while it is on air: the name in the market's first language
    (as written where no translation kept it faithful), the price in its currency, its ad label."""
    names = translations.fill_all([(p.name, [m.languages[0] for m in pipeline.markets]) for p in pipeline.products])
    events = []
    for product, name in zip(pipeline.products, names, strict=True):
        written = next(iter(product.name.values()))
        events.append([
            ProductEvent(
                market.id, market.languages[0], name[market.languages[0]] or written,
                format_price(offer.price, market.currency) if (offer := product.offers.get(market.id)) else "",
                market.rules.ad_label or "",
            )
            for market in pipeline.markets
        ])  # fmt: skip
    return events
