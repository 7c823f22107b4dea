"""The pipeline's studio as viewers see it: the background image behind the host, and for each product its card
(name in the stream's language, picture) with the markets' disclosure label. The stream is one video for every
market, so it carries every market's label; each market's overlay page shows its own (`product_events`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from host_engine.avatar.pack import read_image
from host_engine.avatar.scene import Layer, Scene
from host_engine.errors import BadInputError
from host_engine.events import ProductEvent
from host_engine.host.answers import format_price
from host_engine.host.pipeline import Avatar, Pipeline, Product

Names = Callable[[Product, str], str]
"""A product's name as the host says it in a language (`Answerer.name`)."""

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


def cards(pipeline: Pipeline, names: Names, lang: str, scene: Scene) -> list[Layer]:
    """One layer per product, in rundown order, rendered now: a missing picture stops the start, not the night.
    The name is in `lang`."""
    label = disclosure(pipeline)
    layers = []
    for product in pipeline.products:
        picture = None
        if product.image is not None:
            picture = _image(product.image, f"product '{product.id}': image", cv2.IMREAD_UNCHANGED)
        layers.append(scene.card(names(product, lang), picture, label))
    return layers


def product_events(pipeline: Pipeline, names: Names) -> list[list[ProductEvent]]:
    """Per product, what each market's overlay shows while it is on air: the name in the market's first language,
    the price in its currency, its ad label."""
    return [
        [
            ProductEvent(
                market.id, market.languages[0], names(product, market.languages[0]),
                format_price(offer.price, market.currency) if (offer := product.offers.get(market.id)) else "",
                market.rules.ad_label or "",
            )
            for market in pipeline.markets
        ]
        for product in pipeline.products
    ]  # fmt: skip
