"""What must survive a restart of the host process: where the rundown is, and which comments were answered."""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from host_engine.durable import read_json, write_json

log = logging.getLogger(__name__)

REMEMBERED_COMMENTS = 20_000
"""Answered comment ids kept (a night at 10 comments a minute is about 5,000)."""


@dataclass
class ShowState:
    path: Path
    product: int = 0
    line: int = 0
    product_since: float = 0.0
    """Wall-clock time the current product went on air (0: not yet)."""
    answered: deque[str] = field(default_factory=lambda: deque(maxlen=REMEMBERED_COMMENTS))
    pending: dict[str, dict[str, str]] = field(default_factory=dict)
    """Accepted comments not answered yet (id -> user, text, platform): a restart answers them, none is lost."""
    save_failures: int = field(default=0, compare=False)

    @classmethod
    def load(cls, path: Path) -> ShowState:
        """The state saved in `path`, else in its `.bak`, else a fresh start (see `host_engine.durable`)."""

        def parse(data: dict[str, Any]) -> ShowState:
            answered = deque(map(str, data.get("answered", [])), maxlen=REMEMBERED_COMMENTS)
            position = int(data.get("product", 0)), int(data.get("line", 0)), float(data.get("product_since", 0.0))
            pending = {str(key): {**kept} for key, kept in data.get("pending", {}).items()}
            return cls(path, *position, answered, pending)

        return read_json(path, parse, cls(path))

    def was_answered(self, comment_id: str) -> bool:
        return comment_id in self.answered

    def save(self) -> None:
        """Durably: a crash or power cut at any moment leaves this state or the one saved before it."""
        data = {
            "product": self.product,
            "line": self.line,
            "product_since": self.product_since,
            "answered": list(self.answered),
            "pending": self.pending,
        }
        try:
            write_json(self.path, data)
        except OSError as exc:  # a full or failing disk: the show goes on, the last good state stays on disk
            self.save_failures += 1
            log.error("could not save %s: %s (%d failed saves)", self.path, exc.strerror, self.save_failures)
