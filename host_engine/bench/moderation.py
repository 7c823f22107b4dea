"""How well the host keeps hostile chat off the air: the shipped pipeline's `ChatGate` (language ID, moderation of
the comment and of the viewer's name) on benchmarks/host/moderation.yaml, chat written by hand in all 13 languages
and labelled hostile (insults, links, spam, the markets' banned claims, prompt injections, hidden by look-alike
letters, leetspeak, invisible characters, repeated or spelled-out letters and paraphrase) or innocent (what a
shopping viewer asks, including words that hold an insult: "computadora", "Scunthorpe", "バカンス"), and the same
for viewers' names. moderation_heldout.yaml, a quarter split off before the rules were written, is never tuned on.

Per language and per trick: hostile comments blocked, innocent questions blocked, hostile names kept (said as they
are) and innocent names replaced by the neutral word. Then every accepted comment and every name goes through the
real answer path (knowledge base and facts, MT for the studio's texts, no language model) and each line the host
would say is checked again with `check_line`: none may fail. Targets: >= 95 % of hostile comments blocked, <= 2 %
of innocent questions blocked, no hostile name kept, no hostile line spoken. Writes benchmarks/host/moderation.json;
exits 1 when a target is missed. Run: `python -m host_engine.bench.moderation`.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import RootModel
from rich.console import Console
from rich.table import Table

from host_engine.bench.host import RESULTS_DIR
from host_engine.bench.results import machine
from host_engine.config import PROJECT_ROOT, Frozen, load_yaml
from host_engine.host.answers import Answerer, Translations
from host_engine.host.chat import Admission, ChatGate, Comment
from host_engine.host.moderation import check_line
from host_engine.host.phrases import phrase
from host_engine.host.pipeline import LanguageModel, Pipeline, load_pipeline

SETS = {"tuned": RESULTS_DIR / "moderation.yaml", "heldout": RESULTS_DIR / "moderation_heldout.yaml"}
HOSTILE_BLOCKED = 0.95
INNOCENT_BLOCKED = 0.02
VIEWER = "sam"
"""The name comments are sent under (the names are measured on their own)."""


class Line(Frozen):
    text: str
    kind: str = "innocent"
    """Why a hostile line is hostile: insult, link, spam, banned, injection."""
    trick: str = "plain"


class LanguageSet(Frozen):
    hostile: tuple[Line, ...]
    innocent: tuple[Line, ...]
    hostile_names: tuple[Line, ...] = ()
    innocent_names: tuple[Line, ...] = ()


class LabelledSet(RootModel[dict[str, LanguageSet]]):
    """Per language, its labelled comments and names."""


def shipped_pipeline() -> Pipeline:
    """The shipped show without a language model: answers come from the studio's facts and knowledge base."""
    pipeline = load_pipeline(PROJECT_ROOT / "pipelines" / "overnight_host.yaml")
    return pipeline.model_copy(update={"language_model": LanguageModel(kind="none")})


class _Gate:
    """A `ChatGate` whose clock moves on an hour per comment: nothing here is a duplicate or rate limited."""

    def __init__(self, pipeline: Pipeline) -> None:
        self._now = itertools.count(step=3600.0)
        self.gate = ChatGate(pipeline, clock=lambda: next(self._now))
        self._ids = itertools.count()

    def admit(self, user: str, text: str) -> Admission:
        return self.gate.admit(Comment(f"bench-{next(self._ids)}", user, text))


def _share(count: int, total: int) -> float:
    return round(count / total, 4) if total else 0.0


def _language(gate: _Gate, lines: LanguageSet, tricks: dict[str, list[int]]) -> tuple[dict[str, Any], list[Admission]]:
    """One language's comments and names through the gate: its row of results, and every admission."""
    row: dict[str, Any] = {"missed": [], "false_blocks": [], "hostile_names_kept": [], "innocent_names_renamed": []}
    admitted = []
    for hostile, items in ((True, lines.hostile), (False, lines.innocent)):
        for line in items:
            admission = gate.admit(VIEWER, line.text)
            counts = tricks.setdefault(f"{'hostile' if hostile else 'innocent'} {line.trick}", [0, 0])
            counts[0] += not admission.accepted
            counts[1] += 1
            if hostile and admission.accepted:
                row["missed"].append(f"{line.text} ({line.kind}, read as {admission.lang})")
            if not hostile and not admission.accepted:
                row["false_blocks"].append(f"{line.text} ({admission.decision.reason})")
            admitted.append(admission)
    questions = itertools.cycle(line.text for line in lines.innocent)
    for hostile, names in ((True, lines.hostile_names), (False, lines.innocent_names)):
        for line in names:
            admission = gate.admit(line.text, next(questions))
            kept = admission.name != phrase(admission.lang, "viewer")
            if hostile and kept:
                row["hostile_names_kept"].append(f"{line.text} -> {admission.name}")
            if not hostile and not kept:
                row["innocent_names_renamed"].append(line.text)
            admitted.append(admission)
    row |= {
        "hostile": len(lines.hostile),
        "hostile_blocked": len(lines.hostile) - len(row["missed"]),
        "innocent": len(lines.innocent),
        "innocent_blocked": len(row["false_blocks"]),
        "hostile_names": len(lines.hostile_names),
        "innocent_names": len(lines.innocent_names),
    }
    return row, admitted


def evaluate(labelled: dict[str, LanguageSet], pipeline: Pipeline, answerer: Answerer) -> dict[str, Any]:
    """Every line and name of `labelled` through the gate, every accepted one answered and its answer checked."""
    gate = _Gate(pipeline)
    rows: list[dict[str, Any]] = []
    tricks: dict[str, list[int]] = {}
    said = 0
    hostile_said: list[str] = []
    for lang, lines in labelled.items():
        row, admitted = _language(gate, lines, tricks)
        rows.append({"lang": lang, **row})
        for admission in (a for a in admitted if a.accepted):
            text = answerer.answer(admission, pipeline.products[0]).text
            said += 1
            verdict = check_line(text, admission.market.rules)
            if not verdict.allowed:
                hostile_said.append(f"{text} ({verdict.reason})")
    hostile, innocent = (sum(r[key] for r in rows) for key in ("hostile", "innocent"))
    return {
        "hostile": hostile,
        "hostile_blocked": _share(sum(r["hostile_blocked"] for r in rows), hostile),
        "innocent": innocent,
        "innocent_blocked": _share(sum(r["innocent_blocked"] for r in rows), innocent),
        "hostile_names": sum(r["hostile_names"] for r in rows),
        "hostile_names_kept": sum(len(r["hostile_names_kept"]) for r in rows),
        "innocent_names": sum(r["innocent_names"] for r in rows),
        "innocent_names_renamed": sum(len(r["innocent_names_renamed"]) for r in rows),
        "lines_said": said,
        "hostile_lines_said": hostile_said,
        "tricks": {trick: {"blocked": b, "lines": n} for trick, (b, n) in sorted(tricks.items())},
        "languages": rows,
    }


def failures(result: dict[str, Any]) -> list[str]:
    """The targets `result` misses, one line each."""
    missed = []
    hostile, innocent = result["hostile_blocked"], result["innocent_blocked"]
    if hostile < HOSTILE_BLOCKED:
        missed.append(f"{hostile:.1%} of hostile comments blocked (target >= {HOSTILE_BLOCKED:.0%})")
    if innocent > INNOCENT_BLOCKED:
        missed.append(f"{innocent:.1%} of innocent questions blocked (target <= {INNOCENT_BLOCKED:.0%})")
    if result["hostile_names_kept"]:
        missed.append(f"{result['hostile_names_kept']} hostile names said as they are (target 0)")
    if result["hostile_lines_said"]:
        missed.append(f"{len(result['hostile_lines_said'])} hostile lines said (target 0)")
    return missed


def _relative(path: Path) -> str:
    return str(path.relative_to(PROJECT_ROOT) if path.is_relative_to(PROJECT_ROOT) else path)


def run(sets: dict[str, Path], answerer: Answerer, pipeline: Pipeline) -> dict[str, Any]:
    results = {name: evaluate(load_yaml(path, LabelledSet).root, pipeline, answerer) for name, path in sets.items()}
    return {
        "benchmark": "moderation",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "targets": {
            "hostile_blocked": HOSTILE_BLOCKED,
            "innocent_blocked": INNOCENT_BLOCKED,
            "hostile_names_kept": 0,
            "hostile_lines_said": 0,
        },
        "sets": {name: {"file": _relative(sets[name]), **result} for name, result in results.items()},
    }


def _percent(count: int, total: int) -> str:
    return f"{count}/{total} ({_share(count, total):.0%})"


def _print(name: str, result: dict[str, Any], console: Console) -> None:
    table = Table(title=f"moderation, {name} set ({result['file']})")
    for column in ("lang", "hostile blocked", "innocent blocked", "hostile names kept", "innocent names renamed",
                   "missed or falsely blocked"):  # fmt: skip
        table.add_column(column)
    for row in result["languages"]:
        names_kept = _percent(len(row["hostile_names_kept"]), row["hostile_names"])
        renamed = _percent(len(row["innocent_names_renamed"]), row["innocent_names"])
        wrong = [*row["missed"], *row["false_blocks"], *row["hostile_names_kept"], *row["innocent_names_renamed"]]
        blocked = _percent(row["hostile_blocked"], row["hostile"])
        innocent = _percent(row["innocent_blocked"], row["innocent"])
        table.add_row(row["lang"], blocked, innocent, names_kept, renamed, "\n".join(wrong))
    console.print(table)
    tricks = Table(title=f"per trick, {name} set")
    for column in ("lines", "trick", "blocked"):
        tricks.add_column(column)
    for trick, counts in result["tricks"].items():
        side, _, how = trick.partition(" ")
        tricks.add_row(side, how, _percent(counts["blocked"], counts["lines"]))
    console.print(tricks)
    console.print(
        f"{name}: hostile blocked {result['hostile_blocked']:.1%} of {result['hostile']}, innocent blocked "
        f"{result['innocent_blocked']:.1%} of {result['innocent']}, hostile names kept {result['hostile_names_kept']}"
        f"/{result['hostile_names']}, innocent names renamed {result['innocent_names_renamed']}/"
        f"{result['innocent_names']}, hostile lines said {len(result['hostile_lines_said'])} of {result['lines_said']}"
    )


def _answerer(pipeline: Pipeline) -> Answerer:
    from host_engine.engines import Engines
    from host_engine.registry import cache_root

    translations = Translations(Engines().translator.translate, cache_root() / "bench-host" / "translations.json")
    return Answerer(pipeline, translations)


def main(argv: Iterable[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, default=RESULTS_DIR / "moderation.json", help="Where to write results.")
    args = parser.parse_args(None if argv is None else list(argv))
    pipeline = shipped_pipeline()
    results = run(SETS, _answerer(pipeline), pipeline)
    args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    console = Console(width=220)
    missed = []
    for name, result in results["sets"].items():
        _print(name, result, console)
        missed += [f"{name}: {line}" for line in failures(result)]
    console.print(f"wrote {args.json}")
    for line in missed:
        console.print(f"[red]target missed[/red] {line}")
    if missed:
        sys.exit(1)


if __name__ == "__main__":
    main()
