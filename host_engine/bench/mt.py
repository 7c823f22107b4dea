"""Translation accuracy: chrF2 and BLEU per language pair on the test split of the live-commerce text set.

Each pair is translated the way a job translates it: through `engines.translator` (the router, with the
studio's glossary), in one batch, on the route the router picks. chrF and BLEU score that route's own output
(`Checked.first`), the quality the router ranks routes by; lines the fact checks refuse are counted by the fact
benchmark (`bench.facts`), not scored here as empty translations. The router's quality table was calibrated on
the dev split of the same set, so only the test split is scored here. Every target language's scorer is
checked first (`metrics.check_scorer`), so that a tokenizer which cannot split CJK or Thai fails loudly
instead of scoring near 0.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

from host_engine.bench import metrics
from host_engine.bench.results import SUITE_SIZES, Measurement, suite_sample
from host_engine.config import PROJECT_ROOT
from host_engine.engines import Engines
from host_engine.errors import BadInputError
from host_engine.languages import LANGUAGES, get_language
from host_engine.mt import Pair
from host_engine.mt.router import load_parallel_set

TEXT_SET = PROJECT_ROOT / "benchmarks" / "text" / "commerce.yaml"
SPLIT = "test"

PIVOT_PAIRS: tuple[Pair, ...] = (("es", "pt"), ("pt", "es"), ("es", "fr"), ("fr", "es"), ("id", "ms"), ("ms", "id"))
"""Pairs between non-English languages that the offline engines serve directly (Apertium's es/pt/fr, id/ms)."""
DEFAULT_PAIRS: tuple[Pair, ...] = (
    *(pair for lang in LANGUAGES if lang != "en" for pair in ((lang, "en"), ("en", lang))),
    *PIVOT_PAIRS,
)
"""Every language into and out of English, then `PIVOT_PAIRS`: 30 pairs."""

LATENCY_PROBES = 3
"""Sentences translated one at a time per pair, for p50/p95 latency as a live caller sees it. They come from the
test split shifted by one, so (in the quick suite) they are not the batch's sentences, which some engines cache."""

Progress = Callable[[str, int, int], None]
"""Called after each pair as progress('mt', pairs done, pairs in all)."""


def measure_mt(
    engines: Engines,
    suite: str = "quick",
    pairs: Sequence[Pair] | None = None,
    progress: Progress | None = None,
    *,
    text_set: Path = TEXT_SET,
) -> list[Measurement]:
    """chrF, BLEU and p50/p95 latency measurements (in that order) for each pair, on `SUITE_SIZES[suite]` test
    sentences translated in one batch, and `LATENCY_PROBES` more translated one at a time.

    Each measurement's detail holds the route taken (`str(Route)`) and the wall seconds spent translating the
    pair; BLEU's also names its tokenizer. Every pair is checked (supported languages, a route exists) before
    anything is translated, so a bad pair fails at once with the error that names the fix.
    """
    if suite not in SUITE_SIZES:
        raise BadInputError(f"unknown benchmark suite '{suite}'; choose one of: {', '.join(SUITE_SIZES)}")
    wanted = _checked_pairs(DEFAULT_PAIRS if pairs is None else pairs)
    routes = {pair: str(engines.router.route(*pair)) for pair in wanted}
    for tgt in dict.fromkeys(tgt for _, tgt in wanted):
        metrics.check_scorer(tgt)
    texts = load_parallel_set(text_set, split=SPLIT)
    size = SUITE_SIZES[suite]
    dataset = f"{text_set.name}:{SPLIT}"
    measurements: list[Measurement] = []
    for done, (src, tgt) in enumerate(wanted, start=1):
        sources, references = suite_sample(texts[src], size), suite_sample(texts[tgt], size)
        began = time.perf_counter()
        hypotheses = [checked.first for checked in engines.translator.translate_checked(sources, src, tgt)]
        detail = {"route": routes[(src, tgt)], "seconds": f"{time.perf_counter() - began:.2f}", "dataset": dataset}
        pair, samples = f"{src}-{tgt}", len(sources)
        chrf = metrics.chrf(hypotheses, references)
        bleu = metrics.bleu(hypotheses, references, tgt)
        latency = metrics.percentiles(_latencies(engines, suite_sample(texts[src][1:], LATENCY_PROBES), src, tgt))
        measurements += [
            Measurement("mt", "chrf", chrf, pair=pair, samples=samples, detail=detail),
            Measurement(
                "mt",
                "bleu",
                bleu,
                pair=pair,
                samples=samples,
                detail={**detail, "tokenizer": metrics.bleu_tokenizer(tgt)},
            ),
            *(
                Measurement("mt", metric, latency[key], pair=pair, samples=LATENCY_PROBES, detail=detail)
                for metric, key in (("p50_s", "p50"), ("p95_s", "p95"))
            ),
        ]
        if progress:
            progress("mt", done, len(wanted))
    return measurements


def _latencies(engines: Engines, sentences: Sequence[str], src: str, tgt: str) -> list[float]:
    seconds = []
    for sentence in sentences:
        began = time.perf_counter()
        engines.translator.translate([sentence], src, tgt)
        seconds.append(time.perf_counter() - began)
    return seconds


def _checked_pairs(pairs: Sequence[Pair]) -> list[Pair]:
    """The pairs as canonical codes, in order, duplicates dropped; raises for an unknown language or src == tgt."""
    checked: list[Pair] = []
    for src, tgt in pairs:
        pair = (get_language(src).code, get_language(tgt).code)
        if pair[0] == pair[1]:
            raise BadInputError(f"cannot benchmark translation from {pair[0]} into itself; give two languages")
        checked.append(pair)
    if not checked:
        raise BadInputError("no language pairs to benchmark; give at least one, e.g. [('en', 'pt')]")
    return list(dict.fromkeys(checked))
