"""Floors and targets per tier, stage, language (or pair) and metric: `benchmarks/targets.yaml`.

A floor is what the tier measured honestly the first time, less a margin for run-to-run noise: falling below it
is a regression and fails the gate. A target is the ambitious number (what large models reach, ../ANCHORS.md).
What a tier cannot do at all is a rule marked `unsupported` with the reason, so it is reported, never skipped.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import model_validator

from host_engine.bench.results import Measurement
from host_engine.config import PROJECT_ROOT, Frozen, load_yaml
from host_engine.errors import HostEngineError

TARGETS_PATH = PROJECT_ROOT / "benchmarks" / "targets.yaml"
LOWER_IS_BETTER = frozenset(
    {
        "wer",
        "cer",
        "rtf",
        "p50_s",
        "p95_s",
        "peak_mb",
        "number_errors",
        "fact_errors",
        "refused",
        "unchecked_fact_errors",
    }
)


class Rule(Frozen):
    stage: str
    metric: str
    lang: str | None = None
    pair: str | None = None
    synthetic: bool = False
    floor: float | None = None
    target: float | None = None
    unsupported: str | None = None
    """Why this tier cannot do it at all; such a rule carries no floor."""

    @model_validator(mode="after")
    def _complete(self) -> Rule:
        if (self.lang is None) == (self.pair is None):
            raise ValueError("a rule names exactly one of lang or pair")
        if self.unsupported is None and self.floor is None:
            raise ValueError("a supported rule needs a floor")
        return self

    @property
    def key(self) -> tuple[str, str, str, bool]:
        return self.stage, self.pair or self.lang or "", self.metric, self.synthetic


class TargetsFile(Frozen):
    tiers: dict[str, tuple[Rule, ...]]


@dataclass(frozen=True)
class Verdict:
    measurement: Measurement
    floor: float | None
    target: float | None
    supported: bool
    reason: str = ""

    @property
    def below_floor(self) -> bool:
        if not self.supported or self.floor is None:
            return False
        value = self.measurement.value
        return value > self.floor if self.measurement.metric in LOWER_IS_BETTER else value < self.floor

    @property
    def meets_target(self) -> bool | None:
        if self.target is None:
            return None
        value = self.measurement.value
        return value <= self.target if self.measurement.metric in LOWER_IS_BETTER else value >= self.target


def load_rules(tier: str, path: Path = TARGETS_PATH) -> tuple[Rule, ...]:
    tiers = load_yaml(path, TargetsFile).tiers
    if tier not in tiers:
        raise HostEngineError(f"{path}: no targets for tier '{tier}'; tiers: {', '.join(tiers)}")
    return tiers[tier]


def judge(measurements: Iterable[Measurement], rules: Sequence[Rule]) -> list[Verdict]:
    """Each measurement with its rule's floor and target (none where no rule names it: reported, not gated)."""
    by_key = {rule.key: rule for rule in rules}
    verdicts = []
    for m in measurements:
        rule = by_key.get((m.stage, m.pair or m.lang or "", m.metric, m.synthetic))
        if rule is None:
            verdicts.append(Verdict(m, None, None, True))
        else:
            verdicts.append(Verdict(m, rule.floor, rule.target, rule.unsupported is None, rule.unsupported or ""))
    return verdicts


def failures(verdicts: Iterable[Verdict]) -> list[str]:
    """One line per value below its floor: what, measured, floor."""
    return [
        f"{v.measurement.key}{' (synthetic)' if v.measurement.synthetic else ''}: "
        f"{v.measurement.value:.3g} is below its floor {v.floor:.3g}"
        for v in verdicts
        if v.below_floor
    ]
