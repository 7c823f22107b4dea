"""The show's start-up work, done behind the show on air (or ahead, off air, by `host-engine host --prepare`): the
rundown in every market language for the overlay, then the voice's memory of the lines said again and again.
One job at a time, each started once no answer is being made (`busy`): two cores serve the viewers first."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Iterable

from host_engine.detached import run_detached
from host_engine.errors import HostEngineError
from host_engine.events import LineKind
from host_engine.host.answers import KB_KIND, TYPICAL_VIEWER, Answer, Answerer, Translations
from host_engine.host.lines import pieces
from host_engine.host.phrases import phrase
from host_engine.host.pipeline import Pipeline
from host_engine.host.scheduler import Scheduler
from host_engine.host.voicing import GIVE_WAY_POLL, GIVE_WAY_SECONDS, WARM_SHARE, Voice

log = logging.getLogger(__name__)
ASKED_MOST = ("price", "shipping", "stock")
"""What viewers ask most about the product on air, in the order its answers are prepared."""


class StartUp:
    def __init__(
        self,
        pipeline: Pipeline,
        scheduler: Scheduler,
        translations: Translations,
        answerer: Answerer,
        voice: Voice,
        busy: Callable[[], bool] = lambda: False,
    ) -> None:
        self.pipeline = pipeline
        self.scheduler = scheduler
        self.translations = translations
        self.answerer = answerer
        self.voice = voice
        self.busy = busy
        self.ready = asyncio.Event()
        """Set once the work is done (a minute or two after the show starts)."""

    def first_needed(self) -> list[tuple[str, str]]:
        """What a new show's first answers need, in every language, before the overlay's translations (minutes of
        the language model's time): the acknowledgements that open them while the viewer's name is synthesized,
        the product on air's answers to what is asked most, then the knowledge base's (an answer not remembered is
        synthesized as it is said, with pauses in it, and the answers behind it wait)."""
        on_air = self.pipeline.products[self.scheduler.on_air].id
        typical = self.answerer.typical()
        said = [(code, ack) for code in self.pipeline.languages for ack in phrase(code, "ack")]
        for kind in ASKED_MOST:
            said += _remembered(a for a in typical if a.product == on_air and a.kind == kind)
        return said + _remembered(a for a in typical if a.kind.startswith(KB_KIND))

    def repeated_lines(self) -> list[tuple[str, str]]:
        """What the host will say again and again: `first_needed`, the rundown, the idle line, and every
        language's typical answers without the viewer's name (their greeting is the only piece left to
        synthesize)."""
        lang = self.scheduler.lang
        said = self.first_needed()
        said += [(lang, point) for points in self.scheduler.rundown for point in points]
        said.append((lang, phrase(lang, "idle")))
        return list(dict.fromkeys(said + _remembered(self.answerer.typical())))

    def translate_captions(self, halt: threading.Event) -> None:
        """Every talking point in every market language, for the overlay: the product on air first, one point at a
        time (each once no answer is being made: a language-model translation takes a second or more), saved after
        each product (a restart translates nothing twice), until `halt` is set."""
        products = self.pipeline.products
        for offset in range(len(products)):
            product_index = (self.scheduler.on_air + offset) % len(products)
            points = products[product_index].talking_points
            for lang in self.pipeline.languages:
                for index in range(max(len(texts) for texts in points.values())):
                    waited = time.monotonic()
                    while self.busy() and time.monotonic() - waited < GIVE_WAY_SECONDS and not halt.is_set():
                        halt.wait(GIVE_WAY_POLL)
                    if halt.is_set():
                        return
                    point = {code: texts[index : index + 1] for code, texts in points.items() if index < len(texts)}
                    (text,) = self.translations.each(point, lang)
                    if text:
                        self.scheduler.captions.setdefault((product_index, index), {})[lang] = text
            self.translations.save()

    async def run(
        self,
        halt: threading.Event,
        share: float = WARM_SHARE,
        progress: Callable[[int, int], None] = lambda done, total: None,
    ) -> None:
        """What the first answers need (`first_needed`), the captions, then the rest of the voice's memory
        (warming takes at most `share` of the time), then `ready`."""
        await self.voice.warm(self.first_needed(), share, busy=self.busy)
        try:
            await run_detached("captions", self.translate_captions, halt)
        except HostEngineError as exc:
            log.error("the overlay shows the rundown in %s only: %s", self.scheduler.lang, exc)
        await self.voice.warm(self.repeated_lines(), share, progress, self.busy)
        self.ready.set()


def _remembered(answers: Iterable[Answer]) -> list[tuple[str, str]]:
    """The answers' pieces the voice keeps: all but the greeting to `TYPICAL_VIEWER`, said once to each viewer."""
    return [
        (answer.lang, piece)
        for answer in answers
        for piece in pieces(answer.text, LineKind.ANSWER, answer.lang)
        if TYPICAL_VIEWER not in piece
    ]
