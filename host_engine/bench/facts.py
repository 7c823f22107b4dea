"""Facts through translation: how many translations a viewer would see with a wrong number, price, unit, name,
country or colour, per 100, per direction, on the labelled fact set (`benchmarks/text/facts.yaml`).

Each line goes through `engines.translator` as a job sends it (checked: a translation that breaks a fact is
refused and the next route tried). It is judged against the set's labels, not by the checks themselves: the
numbers the item states (read in the output with `mt.numbers`), its terms (each language's forms), and whether
it is a question. Four figures per direction, each per 100 translations:
- `number_errors`: shown with a number added, dropped or changed (gated at 0 for the quick suite's directions);
- `fact_errors`: shown with any fact wrong (numbers, terms, a question made a statement);
- `refused`: not shown, as no route kept the facts (the price of the checks);
- `unchecked_fact_errors`: the best route's own output with any fact wrong (what the checks prevent).
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from host_engine.bench.results import Measurement, suite_sample
from host_engine.config import PROJECT_ROOT
from host_engine.engines import Engines
from host_engine.errors import BadInputError
from host_engine.languages import LANGUAGES
from host_engine.mt import Pair
from host_engine.mt.facts import is_question
from host_engine.mt.numbers import values

FACT_SET = PROJECT_ROOT / "benchmarks" / "text" / "facts.yaml"
SPLIT = "test"
QUICK_PAIRS: tuple[Pair, ...] = tuple(
    pair for lang in LANGUAGES if lang != "en" for pair in ((lang, "en"), ("en", lang))
)
"""Every language into and out of English: each of the 13 as a source and as a target."""
ALL_PAIRS: tuple[Pair, ...] = tuple((src, tgt) for src in LANGUAGES for tgt in LANGUAGES if src != tgt)
SUITE_ITEMS = {"quick": 8, "full": 10_000}
METRICS = ("number_errors", "fact_errors", "refused", "unchecked_fact_errors")

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class FactItem:
    id: str
    category: str
    numbers: Counter[float]
    terms: tuple[dict[str, tuple[str, ...]], ...]
    question: bool
    text: dict[str, str]


def load_fact_set(path: Path = FACT_SET, split: str = SPLIT) -> list[FactItem]:
    """The labelled items of `split`, in file order (grouped by category)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return [
            FactItem(
                item["id"],
                item["category"],
                Counter(float(n) for n in item["numbers"]),
                tuple(_forms(term) for term in item["terms"]),
                bool(item["question"]),
                item["text"],
            )
            for item in data["items"]
            if item["split"] == split
        ]  # fmt: skip
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError, AttributeError) as exc:
        raise BadInputError(f"{path}: not a readable fact set ({type(exc).__name__}: {exc})") from None


def last_measured(results_dir: Path = PROJECT_ROOT / "benchmarks" / "results") -> dict[str, dict[str, float]]:
    """Per direction ('en-zh'), the fact figures of the newest benchmark reports there (the full suite's over the
    quick one's); empty where none was run."""
    found: dict[str, dict[str, float]] = {}
    for suite in ("quick", "full"):
        path = results_dir / f"offline-{suite}.json"
        try:
            rows = json.loads(path.read_text(encoding="utf-8"))["results"]
        except (OSError, ValueError, KeyError):
            continue
        for row in rows:
            if row.get("stage") == "mt" and row.get("metric") in METRICS and "pair" in row:
                found.setdefault(row["pair"], {})[row["metric"]] = float(row["value"])
    return found


def _forms(term: dict[str, str]) -> dict[str, tuple[str, ...]]:
    """{lang: "dollar|$|USD"} -> {lang: ("dollar", "$", "USD")}."""
    return {lang: tuple(form.strip() for form in forms.split("|")) for lang, forms in term.items()}


def wrong_facts(item: FactItem, output: str, tgt: str) -> list[str]:
    """What `output` (a translation of `item` into `tgt`) states differently from the item's labels (digits inside
    names, "LIVE10", are the name's, not numbers)."""
    wrong = []
    named = [form for term in item.terms for form in term[tgt] if any(c.isdigit() for c in form)]
    said = values(re.sub("|".join(map(re.escape, named)), " ", output, flags=re.IGNORECASE) if named else output, tgt)
    if said != item.numbers:
        wrong.append(f"numbers {sorted(said.elements())} for {sorted(item.numbers.elements())}")
    folded = output.casefold()
    wrong += [f"no {'|'.join(term[tgt])}" for term in item.terms if not any(f.casefold() in folded for f in term[tgt])]
    if item.question and not is_question(output, tgt):
        wrong.append("not a question")
    return wrong


def measure_facts(
    engines: Engines,
    suite: str = "quick",
    pairs: Sequence[Pair] | None = None,
    progress: Progress | None = None,
    *,
    fact_set: Path = FACT_SET,
) -> list[Measurement]:
    """The four figures per direction (see the module's docstring), on `SUITE_ITEMS[suite]` test items; by
    default into and out of English (quick) or all 156 directions (full)."""
    items = suite_sample(load_fact_set(fact_set), SUITE_ITEMS.get(suite, SUITE_ITEMS["quick"]))
    wanted = list(pairs or (ALL_PAIRS if suite == "full" else QUICK_PAIRS))
    measurements = []
    for done, (src, tgt) in enumerate(wanted, start=1):
        began = time.perf_counter()
        results = engines.translator.translate_checked([item.text[src] for item in items], src, tgt)
        counts = Counter[str]()
        examples = []
        for item, result in zip(items, results, strict=True):
            wrong = wrong_facts(item, result.text, tgt) if not result.refused else []
            counts["refused"] += result.refused
            counts["fact_errors"] += bool(wrong)
            counts["number_errors"] += any(w.startswith("numbers") for w in wrong)
            counts["unchecked_fact_errors"] += bool(wrong_facts(item, result.first, tgt))
            if wrong:
                examples.append(f"{item.id}: {result.text!r} ({'; '.join(wrong)})")
        detail = {
            "dataset": f"{fact_set.name}:{SPLIT}",
            "seconds": f"{time.perf_counter() - began:.2f}",
            "wrong": " | ".join(examples[:5]),
        }
        measurements += [
            Measurement("mt", metric, 100 * counts[metric] / len(items), pair=f"{src}-{tgt}", samples=len(items),
                        detail=detail)
            for metric in METRICS
        ]  # fmt: skip
        if progress:
            progress("facts", done, len(wanted))
    return measurements
