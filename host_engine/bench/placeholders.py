"""Two ways to keep numbers through translation, measured side by side on the labelled fact set.

- **plain**: the text goes to the route as written; what ships, with `mt.facts` checking the output after.
- **placeholders**: each number the source states (`mt.numbers`, digits or words) becomes a `ZQX<n>` token
  before translation, the way `mt.glossary` protects brand names, and comes back as digits after; a text whose
  tokens an engine dropped or mangled is translated again plainly (counted as `placeholder_lost`).

Both run on each direction's best route without retries, and each output is then judged twice: against the
set's labels (`bench.facts.wrong_facts`: numbers, terms, questions) and by the shipped checks (`mt.facts.problems`,
which refuse a line without seeing a reference). chrF against the set's own texts says what each costs in
fluency. `python -m host_engine.bench.placeholders` prints the table and writes
`benchmarks/facts/placeholders.json`.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Sequence
from decimal import Decimal

from rich.console import Console
from rich.table import Table

from host_engine.bench import metrics
from host_engine.bench.facts import QUICK_PAIRS, FactItem, load_fact_set, wrong_facts
from host_engine.bench.results import machine
from host_engine.config import PROJECT_ROOT
from host_engine.engines import Engines
from host_engine.mt.facts import problems
from host_engine.mt.glossary import Glossary, Term
from host_engine.mt.numbers import decimal_mark, read_numbers
from host_engine.mt.router import Route

RESULTS = PROJECT_ROOT / "benchmarks" / "facts" / "placeholders.json"
ITEMS = 24
"""Test items per direction: numbers, terms and questions alike (the set is grouped by category, so spread)."""
ARMS = ("plain", "placeholders")


def protect_numbers(text: str, src: str, tgt: str) -> tuple[str, list[Term]]:
    """`text` with each number it states replaced by `ZQX<n>`, and the numbers as terms written in digits; digits
    of a code ("LIVE10") stay, as the code is a name."""
    terms: list[Term] = []
    pieces, end = [], 0
    for number in read_numbers(text, src):
        before = text[number.start - 1 : number.start]
        if before.isascii() and before.isalpha():
            continue
        terms.append(Term(_digits(number.value, tgt), {}))
        pieces += [text[end : number.start], f"ZQX{len(terms)}"]
        end = number.end
    return "".join([*pieces, text[end:]]), terms


def _digits(value: float, lang: str) -> str:
    written = format(Decimal(str(value)).normalize(), "f")
    return written.replace(".", decimal_mark(lang))


def _translate(engines: Engines, route: Route, texts: Sequence[str], src: str, tgt: str) -> tuple[list[str], int]:
    """Texts through `route` with numbers as placeholders, and how many lost theirs (then translated plainly)."""
    protected = [protect_numbers(text, src, tgt) for text in texts]
    out = engines.router.translate_via(route, [p for p, _ in protected])
    restored = [Glossary.restore(o, terms, tgt) if terms else o for o, (_, terms) in zip(out, protected, strict=True)]
    lost = [i for i, text in enumerate(restored) if text is None]
    again = engines.router.translate_via(route, [texts[i] for i in lost]) if lost else []
    for i, text in zip(lost, again, strict=True):
        restored[i] = text
    return [text or "" for text in restored], len(lost)


def measure(engines: Engines, items: Sequence[FactItem], src: str, tgt: str) -> dict[str, dict[str, float]]:
    route = engines.router.route(src, tgt)
    sources = [item.text[src] for item in items]
    references = [item.text[tgt] for item in items]
    outputs = {"plain": (engines.router.translate_via(route, sources), 0)}
    outputs["placeholders"] = _translate(engines, route, sources, src, tgt)
    row = {}
    for arm, (texts, lost) in outputs.items():
        counts = Counter[str]()
        for item, source, text in zip(items, sources, texts, strict=True):
            wrong = wrong_facts(item, text, tgt)
            refused = bool(problems(source, text, src, tgt))
            counts["number_errors"] += any(w.startswith("numbers") for w in wrong)
            counts["fact_errors"] += bool(wrong)
            counts["refused"] += refused
            counts["shown_wrong"] += bool(wrong) and not refused
        row[arm] = {
            **{metric: 100 * n / len(items) for metric, n in counts.items()},
            "chrf": metrics.chrf(texts, references),
            "placeholder_lost": 100 * lost / len(items),
            "route": str(route),
        }
    return row


def main() -> None:
    test_items = load_fact_set()
    items = test_items[:: max(1, len(test_items) // ITEMS)][:ITEMS]
    engines = Engines()
    began = time.perf_counter()
    rows = {f"{src}-{tgt}": measure(engines, items, src, tgt) for src, tgt in QUICK_PAIRS}
    metrics_shown = ("number_errors", "fact_errors", "refused", "shown_wrong", "chrf", "placeholder_lost")
    table = Table(title=f"numbers: plain vs placeholders, {len(items)} fact-set test items a direction (per 100)")
    table.add_column("direction")
    for metric in metrics_shown:
        table.add_column(f"{metric}\nplain / placeh.", justify="right")
    means = {arm: {m: sum(r[arm][m] for r in rows.values()) / len(rows) for m in metrics_shown} for arm in ARMS}
    for name, row in [*rows.items(), ("mean", means)]:
        table.add_row(name, *(f"{row['plain'][m]:.1f} / {row['placeholders'][m]:.1f}" for m in metrics_shown))
    Console().print(table)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "machine": machine(),
                "seconds": round(time.perf_counter() - began, 1),
                "items": len(items),
                "mean": means,
                "directions": rows,
            },
            indent=1,
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
