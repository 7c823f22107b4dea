"""What must survive a restart of the host process: where the rundown is, and which comments were answered."""

from __future__ import annotations

import json
import os
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

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

    @classmethod
    def load(cls, path: Path) -> ShowState:
        if not path.is_file():
            return cls(path)
        data = json.loads(path.read_text(encoding="utf-8"))
        answered: deque[str] = deque(data.get("answered", []), maxlen=REMEMBERED_COMMENTS)
        position = int(data.get("product", 0)), int(data.get("line", 0)), float(data.get("product_since", 0.0))
        return cls(path, *position, answered, dict(data.get("pending", {})))

    def was_answered(self, comment_id: str) -> bool:
        return comment_id in self.answered

    def save(self) -> None:
        """Atomically: a crash mid-write leaves the previous state, never a torn file."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_suffix(".partial")
        data = {
            "product": self.product,
            "line": self.line,
            "product_since": self.product_since,
            "answered": list(self.answered),
            "pending": self.pending,
        }
        partial.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        os.replace(partial, self.path)
