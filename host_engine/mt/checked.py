"""Translations checked before anyone sees them.

Each line goes through the router's best route; a translation that broke a fact (`facts.problems`: a number, a
currency, a name, the language, a question) is thrown away and the line tried on the next route, up to
`ROUTES_TRIED` routes. A line no route translates faithfully is refused: it comes back empty, with the reasons,
and each job says so in its own way (a caption marked untranslated, a dub line flagged in its report, the host's
honest fallback) instead of showing a wrong fact.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from host_engine.config import PROJECT_ROOT, Frozen, load_yaml
from host_engine.errors import UnsupportedLanguageError
from host_engine.languages import get_language
from host_engine.mt import Pair, Translator
from host_engine.mt.facts import problems
from host_engine.mt.glossary import Glossary, GlossaryTranslator
from host_engine.mt.router import Route, Router

log = logging.getLogger(__name__)

FLOOR_PATH = PROJECT_ROOT / "pipelines" / "translation.yaml"
ROUTES_TRIED = 3
"""Routes a line may be tried on, best first: each costs a translation's time, and the fourth best route of a
direction is rarely faithful where the first three were not."""


@dataclass(frozen=True)
class Checked:
    """One line's translation, or why there is none."""

    source: str
    text: str
    """The translation that kept every fact; empty when refused."""
    route: str
    """The route that made `text` (`str(Route)`); empty when refused."""
    rejected: tuple[str, ...] = ()
    """Each refused attempt, as 'route: what it broke'."""
    first: str = ""
    """The best route's own output, checked or not: what a translator without checks would have shown."""

    @property
    def refused(self) -> bool:
        return not self.text and bool(self.source.strip())

    @property
    def reason(self) -> str:
        """Why the line was refused, in one line (empty when it was not)."""
        return f"not translated: {'; '.join(self.rejected)}" if self.refused else ""


class LiveFloor(Frozen):
    """`pipelines/translation.yaml`: the quality below which a direction is not shown live."""

    live_min_chrf: float = 0.0
    allow_below_floor: tuple[str, ...] = ()
    """Target languages the studio shows live even below the floor."""

    @classmethod
    def load(cls, path: Path = FLOOR_PATH) -> LiveFloor:
        return load_yaml(path, cls)


class _Via:
    """One route as a `Translator`, so that the glossary can wrap it."""

    def __init__(self, router: Router, route: Route) -> None:
        self.router, self.route = router, route
        self.name = str(route)

    def pairs(self) -> frozenset[Pair]:
        return frozenset({(self.route.hops[0].src, self.route.hops[-1].tgt)})

    def translate(self, texts: Sequence[str], src: str, tgt: str) -> list[str]:
        return self.router.translate_via(self.route, texts)


class CheckedTranslator:
    """A `Translator` over the router that shows only translations keeping their facts (refused lines are empty);
    `translate_checked` tells why."""

    name = "router"

    def __init__(
        self,
        router: Router,
        glossary: Glossary | None = None,
        *,
        routes: int = ROUTES_TRIED,
        floor: LiveFloor | None = None,
    ) -> None:
        self.router = router
        self.glossary = glossary
        self.routes = routes
        self.floor = floor

    @property
    def models(self) -> str:
        """The translators behind it, by name, and its live floor: what it refused stays refused until they
        change."""
        floor = self.floor.model_dump_json() if self.floor is not None else ""
        return ",".join(sorted(self.router.translators)) + floor

    def weakness(self, src: str, tgt: str) -> str:
        """Why `src`->`tgt` is not shown live (its best route measures below the floor), or empty. The best by
        score: a live router may take a quicker route the measurements cannot tell from it."""
        floor = self.floor
        route = self.router.best(src, tgt)
        if floor is None or not route.hops or route.score >= floor.live_min_chrf:
            return ""
        if route.hops[-1].tgt in floor.allow_below_floor:
            return ""
        margin = f" ± {route.margin:.1f}" if route.margin else ""
        return (
            f"{src}->{tgt} translation measures chrF {route.score:.1f}{margin} ({route.chain}), below the live "
            f"floor {floor.live_min_chrf:g}: too often wrong to show live; add {route.hops[-1].tgt} to "
            f"allow_below_floor in {FLOOR_PATH.relative_to(PROJECT_ROOT)} to show it anyway"
        )

    def check(self, src: str, tgt: str) -> None:
        """Raise, naming the fix, where `src`->`tgt` has no route or (with a floor) a route too weak to show."""
        reason = self.weakness(get_language(src).code, get_language(tgt).code)
        if reason:
            raise UnsupportedLanguageError(reason)

    def pairs(self) -> frozenset[Pair]:
        return self.router.pairs()

    def translate(self, texts: Sequence[str], src: str, tgt: str) -> list[str]:
        return [checked.text for checked in self.translate_checked(texts, src, tgt)]

    def translate_checked(self, texts: Sequence[str], src: str, tgt: str, routes: int | None = None) -> list[Checked]:
        """Each text translated on the best route whose translation keeps its facts, or refused; at most `routes`
        routes are tried (default: this translator's `routes`)."""
        src, tgt = get_language(src).code, get_language(tgt).code
        if src == tgt:
            return [Checked(text, text, "identity", first=text) for text in texts]
        weak = self.weakness(src, tgt)  # raises, naming the fix, where no route exists
        if weak:
            return [Checked(text, "", "", (weak,)) for text in texts]
        candidates = self.router.candidates(src, tgt)[: routes or self.routes]
        todo = [i for i, text in enumerate(texts) if text.strip()]
        done: dict[int, Checked] = {i: Checked(text, "", "") for i, text in enumerate(texts) if not text.strip()}
        rejected: dict[int, list[str]] = {i: [] for i in todo}
        first: dict[int, str] = {}
        for route in candidates:
            if not todo:
                break
            via: Translator = _Via(self.router, route)
            if self.glossary is not None:
                via = GlossaryTranslator(via, self.glossary)
            outputs = via.translate([texts[i] for i in todo], src, tgt)
            failed = []
            for i, output in zip(todo, outputs, strict=True):
                first.setdefault(i, output)
                broken = problems(texts[i], output, src, tgt)
                if broken:
                    rejected[i].append(f"{route.chain}: {', '.join(broken)}")
                    failed.append(i)
                else:
                    done[i] = Checked(texts[i], output, str(route), tuple(rejected[i]), first[i])
            todo = failed
        level = logging.WARNING if routes is None else logging.DEBUG  # fewer routes: a try (a caption's prefix)
        for i in todo:
            done[i] = Checked(texts[i], "", "", tuple(rejected[i]), first[i])
            log.log(level, "refused a %s->%s translation of %r: %s", src, tgt, texts[i][:80], done[i].reason)
        return [done[i] for i in range(len(texts))]
