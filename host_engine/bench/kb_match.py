"""How well the host finds the knowledge-base entry a viewer asks: the shipped pipeline's answer path (its own
language first, then the comment brought to English with the MT router) on benchmarks/host/kb_questions.yaml,
questions written by hand in all 13 languages, each labelled with the entry it asks or `none` (near misses:
"Can I wash it?" beside "Can I return it?").

Per language: entries found (recall), knowledge-base answers given where none was asked or the wrong one was
(false answers: said aloud, these are the costly mistakes), and seconds per answer (MT included; no language model,
so open questions fall back). The viewer's language is given, not detected. Writes benchmarks/host/kb_match.json.
Run: `python -m host_engine.bench.kb_match`.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import RootModel
from rich.console import Console
from rich.table import Table

from host_engine.bench.host import RESULTS_DIR
from host_engine.bench.metrics import percentiles
from host_engine.bench.results import machine
from host_engine.config import PROJECT_ROOT, Frozen, load_yaml
from host_engine.engines import Engines
from host_engine.host.answers import Answerer, Translations
from host_engine.host.chat import Admission, Comment
from host_engine.host.moderation import Decision, Verdict
from host_engine.host.pipeline import load_pipeline
from host_engine.registry import cache_root

QUESTIONS = RESULTS_DIR / "kb_questions.yaml"
NONE = "none"


class Labelled(Frozen):
    text: str
    entry: str
    """The knowledge-base entry the question asks, or `NONE`."""


class LabelledSet(RootModel[dict[str, tuple[Labelled, ...]]]):
    """Per language, its labelled questions."""


def run(questions: Path = QUESTIONS) -> dict[str, Any]:
    pipeline = load_pipeline(PROJECT_ROOT / "pipelines" / "overnight_host.yaml")
    labelled = load_yaml(questions, LabelledSet).root
    engines = Engines()
    translations = Translations(engines.translator.translate, cache_root() / "bench-host" / "translations.json")
    answerer = Answerer(pipeline, translations)
    rows, seconds = [], []
    for lang, items in labelled.items():
        market = pipeline.market(lang)
        found = asked = false = 0
        mistakes = []
        for index, item in enumerate(items):
            admission = Admission(
                Comment(f"kb-{lang}-{index}", "viewer", item.text), lang, market, Decision(Verdict.ok)
            )
            began = time.perf_counter()
            kind = answerer.answer(admission, pipeline.products[0]).kind
            seconds.append(time.perf_counter() - began)
            said = kind.partition("kb:")[2] or NONE
            if item.entry != NONE:
                asked += 1
                found += said == item.entry
            false += said not in (NONE, item.entry)
            if said != item.entry:
                mistakes.append(f"{item.text} -> {kind}")
        rows.append({"lang": lang, "questions": len(items), "asked": asked, "found": found, "false": false,
                     "mistakes": mistakes})  # fmt: skip
    return {
        "benchmark": "kb_match",
        "questions_file": str(
            questions.relative_to(PROJECT_ROOT) if questions.is_relative_to(PROJECT_ROOT) else questions
        ),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "questions": sum(r["questions"] for r in rows),
        "recall": round(sum(r["found"] for r in rows) / sum(r["asked"] for r in rows), 3),
        "false_answers": sum(r["false"] for r in rows),
        "answer_s": {k: round(v, 3) for k, v in percentiles(seconds).items()},
        "languages": rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=Path, default=QUESTIONS, help="Labelled questions (YAML).")
    parser.add_argument("--json", type=Path, default=RESULTS_DIR / "kb_match.json", help="Where to write results.")
    args = parser.parse_args()
    results = run(args.questions)
    path = args.json
    path.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    table = Table(title=f"knowledge-base matching ({results['machine']})")
    for column in ("lang", "found", "false answers", "missed or wrong"):
        table.add_column(column)
    for row in results["languages"]:
        table.add_row(row["lang"], f"{row['found']}/{row['asked']}", str(row["false"]), "; ".join(row["mistakes"]))
    console = Console(width=200)
    console.print(table)
    console.print(
        f"recall {results['recall']:.0%}, {results['false_answers']} false answers in {results['questions']} "
        f"questions, seconds per answer {results['answer_s']}"
    )
    console.print(f"wrote {path}")


if __name__ == "__main__":
    main()
