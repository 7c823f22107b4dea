"""The shipped show cut down to a few markets, for host tests, and written to a YAML file for the command line."""

from __future__ import annotations

from pathlib import Path

import yaml

from host_engine.config import PROJECT_ROOT
from host_engine.host.pipeline import Pipeline, load_pipeline


def shipped_show(markets: tuple[str, ...], **update: object) -> Pipeline:
    """pipelines/overnight_host.yaml with only `markets` (and their offers), then `update`'s fields."""
    full = load_pipeline(PROJECT_ROOT / "pipelines" / "overnight_host.yaml")
    products = tuple(
        p.model_copy(update={"offers": {k: v for k, v in p.offers.items() if k in markets}}) for p in full.products
    )
    kept = tuple(m for m in full.markets if m.id in markets)
    return full.model_copy(update={"markets": kept, "products": products, **update})


def write_show(pipeline: Pipeline, path: Path) -> Path:
    path.write_text(yaml.safe_dump(pipeline.model_dump(mode="json"), allow_unicode=True), encoding="utf-8")
    return path
