"""The show's start-up work, done behind the show on air (or ahead, off air, by `host-engine host --prepare`): the
rundown in every market language for the overlay, then the voice's memory of the lines said again and again.
One job at a time: two cores serve the show first."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable

from host_engine.detached import run_detached
from host_engine.errors import HostEngineError
from host_engine.events import LineKind
from host_engine.host.answers import TYPICAL_VIEWER, Answerer, Translations
from host_engine.host.lines import pieces
from host_engine.host.phrases import phrase
from host_engine.host.pipeline import Pipeline
from host_engine.host.scheduler import Scheduler
from host_engine.host.voicing import WARM_SHARE, Voice

log = logging.getLogger(__name__)


class StartUp:
    def __init__(
        self,
        pipeline: Pipeline,
        scheduler: Scheduler,
        translations: Translations,
        answerer: Answerer,
        voice: Voice,
    ) -> None:
        self.pipeline = pipeline
        self.scheduler = scheduler
        self.translations = translations
        self.answerer = answerer
        self.voice = voice
        self.ready = asyncio.Event()
        """Set once the work is done (a minute or two after the show starts)."""

    def repeated_lines(self) -> list[tuple[str, str]]:
        """What the host will say again and again: the acknowledgements that open answers (first: they are short
        and every answer needs one), the rundown, the idle line, and every language's typical answers without the
        viewer's name (their greeting is the only piece left to synthesize)."""
        lang = self.scheduler.lang
        said = [(code, ack) for code in self.pipeline.languages for ack in phrase(code, "ack")]
        said += [(lang, point) for points in self.scheduler.rundown for point in points]
        said.append((lang, phrase(lang, "idle")))
        for answer in self.answerer.typical():
            said += [
                (answer.lang, p) for p in pieces(answer.text, LineKind.ANSWER, answer.lang) if TYPICAL_VIEWER not in p
            ]
        return said

    def translate_captions(self, halt: threading.Event) -> None:
        """Every talking point in every market language, for the overlay: the product on air first, one batch per
        product and language, saved as it goes (a restart translates nothing twice), until `halt` is set."""
        products = self.pipeline.products
        for offset in range(len(products)):
            product_index = (self.scheduler.on_air + offset) % len(products)
            for lang in self.pipeline.languages:
                if halt.is_set():
                    return
                for index, text in enumerate(self.translations.each(products[product_index].talking_points, lang)):
                    if text:
                        self.scheduler.captions.setdefault((product_index, index), {})[lang] = text
            self.translations.save()

    async def run(
        self,
        halt: threading.Event,
        share: float = WARM_SHARE,
        progress: Callable[[int, int], None] = lambda done, total: None,
    ) -> None:
        """The captions, then the voice's memory (warming takes at most `share` of the time), then `ready`."""
        try:
            await run_detached("captions", self.translate_captions, halt)
        except HostEngineError as exc:
            log.error("the overlay shows the rundown in %s only: %s", self.scheduler.lang, exc)
        await self.voice.warm(self.repeated_lines(), share, progress)
        self.ready.set()
