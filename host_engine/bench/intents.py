"""Whether the host answers what viewers ask: the shipped pipeline's answer path on benchmarks/host/intents.yaml (dev),
intents_heldout.yaml and intents_fresh.yaml (written by a helper who had not seen the matcher), comments written by
hand in all 13 languages, each labelled with everything it asks (price, stock, shipping, color, size, material,
kb:<entry>, open, statement; compound comments carry several) and, for attributes, the value named ("does it come
in black?").

Per language: comments whose answer says exactly what was asked (`right`; also apart for the comments that ask
a knowledge-base entry, where the word matcher's recall on paraphrases is the limit), and wrong facts: a part said
that was not asked (a stock count to a colour question, a knowledge-base answer to an open question) or a yes / no
to a value the viewer did not name. Run twice: with the knowledge base as shipped (written in all 13 languages) and
with it written in en/es/ja only (the rest machine-translated at start-up, as a studio writing less would have it).
No language model: an open question gets "I don't have that information" (`unknown`), which counts as right.
Writes benchmarks/host/intents.json. Run: `python -m host_engine.bench.intents`.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import Field, RootModel
from rich.console import Console
from rich.table import Table

from host_engine.bench.host import RESULTS_DIR
from host_engine.bench.results import machine
from host_engine.config import PROJECT_ROOT, Frozen, load_yaml
from host_engine.engines import Engines
from host_engine.host.answers import Answerer, Translations
from host_engine.host.chat import Admission, Comment
from host_engine.host.intents import read
from host_engine.host.moderation import Decision, Verdict
from host_engine.host.pipeline import Pipeline, load_pipeline
from host_engine.registry import cache_root

SETS = {
    "dev": RESULTS_DIR / "intents.yaml",
    "heldout": RESULTS_DIR / "intents_heldout.yaml",
    "fresh": RESULTS_DIR / "intents_fresh.yaml",
}
FEW_LANGUAGES = ("en", "es", "ja")
"""The languages of a studio that writes its knowledge base in three languages only."""
SAID_AS = {"unknown": "open", "open": "open", "thanks": "statement"}
"""Answer kinds as labels: an honest "I don't know" and the language model both answer an open question."""


class Labelled(Frozen):
    text: str
    asks: tuple[str, ...]
    value: str | None = None
    values: dict[str, str] = Field(default_factory=dict)

    def named(self) -> dict[str, str]:
        """Attribute -> the value the viewer named."""
        if self.value is None:
            return dict(self.values)
        [attribute] = [label for label in self.asks if label in ("color", "size", "material")]
        return {attribute: self.value, **self.values}


class LabelledSet(RootModel[dict[str, tuple[Labelled, ...]]]):
    """Per language, its labelled comments."""


def _few_languages(pipeline: Pipeline) -> Pipeline:
    entries = tuple(
        entry.model_copy(
            update={
                "question": {k: v for k, v in entry.question.items() if k in FEW_LANGUAGES},
                "answer": {k: v for k, v in entry.answer.items() if k in FEW_LANGUAGES},
                "words": {k: v for k, v in entry.words.items() if k in FEW_LANGUAGES},
            }
        )
        for entry in pipeline.knowledge_base
    )
    return pipeline.model_copy(update={"knowledge_base": entries})


def _wrong_facts(expected: set[str], said: Iterable[str], named: dict[str, str], read_values: dict[str, str]) -> list:
    """Facts said that nobody asked, and values answered that the viewer did not name."""
    wrong = [kind for kind in said if kind not in expected and kind not in SAID_AS]
    wrong += [f"{attribute}={value}" for attribute, value in read_values.items() if named.get(attribute) != value]
    return wrong


def score(answerer: Answerer, pipeline: Pipeline, labelled: dict[str, tuple[Labelled, ...]]) -> list[dict[str, Any]]:
    rows = []
    for lang, items in labelled.items():
        market = pipeline.market(lang)
        right, wrong, mistakes, entries, entries_right = 0, 0, [], 0, 0
        for index, item in enumerate(items):
            comment = Comment(f"intent-{lang}-{index}", "viewer", item.text)
            answer = answerer.answer(Admission(comment, lang, market, Decision(Verdict.ok)), pipeline.products[0])
            kinds = answer.kind.split("+")
            said = {SAID_AS.get(kind, kind) for kind in kinds}
            values = {ask.intent: ask.value for ask in read(item.text, lang).asks if ask.value is not None}
            facts = _wrong_facts(set(item.asks), kinds, item.named(), values)
            right += said == set(item.asks)
            wrong += bool(facts)
            if any(label.startswith("kb:") for label in item.asks):
                entries += 1
                entries_right += said == set(item.asks)
            if said != set(item.asks) or facts:
                mistakes.append(f"{item.text} -> {answer.kind} {values or ''} (asks {'+'.join(item.asks)})")
        rows.append({"lang": lang, "comments": len(items), "right": right, "wrong_facts": wrong,
                     "entry_comments": entries, "entry_right": entries_right, "mistakes": mistakes})  # fmt: skip
    return rows


def run() -> dict[str, Any]:
    shipped = load_pipeline(PROJECT_ROOT / "pipelines" / "overnight_host.yaml")
    engines = Engines()
    translations = Translations(engines.translator.translate, cache_root() / "bench-host" / "translations.json")
    runs = []
    for knowledge, pipeline in (("13 languages", shipped), ("en/es/ja only", _few_languages(shipped))):
        answerer = Answerer(pipeline, translations)
        for name, path in SETS.items():
            rows = score(answerer, pipeline, load_yaml(path, LabelledSet).root)
            comments = sum(r["comments"] for r in rows)
            entries = sum(r["entry_comments"] for r in rows)
            entries_right = sum(r["entry_right"] for r in rows)
            runs.append({
                "set": name, "knowledge_base": knowledge, "comments": comments,
                "right": round(sum(r["right"] for r in rows) / comments, 3),
                "right_asking_an_entry": round(entries_right / entries, 3),
                "right_asking_no_entry": round(
                    (sum(r["right"] for r in rows) - entries_right) / (comments - entries), 3
                ),
                "wrong_facts": sum(r["wrong_facts"] for r in rows), "languages": rows,
            })  # fmt: skip
    return {
        "benchmark": "intents",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "runs": runs,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, default=RESULTS_DIR / "intents.json", help="Where to write results.")
    args = parser.parse_args()
    results = run()
    args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    console = Console(width=220)
    for result in results["runs"]:
        table = Table(title=f"{result['set']} set, knowledge base in {result['knowledge_base']} ({results['machine']})")
        for column in ("lang", "right", "wrong facts", "mistakes"):
            table.add_column(column)
        for row in result["languages"]:
            table.add_row(row["lang"], f"{row['right']}/{row['comments']}", str(row["wrong_facts"]),
                          "; ".join(row["mistakes"]))  # fmt: skip
        console.print(table)
        console.print(
            f"right {result['right']:.1%} (comments asking a knowledge-base entry: "
            f"{result['right_asking_an_entry']:.1%}, the others: {result['right_asking_no_entry']:.1%}), "
            f"{result['wrong_facts']} with wrong facts"
        )
    console.print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
