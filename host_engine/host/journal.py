"""`state_dir/events.jsonl`: one JSON line per thing the host said or refused, for the morning review.

Rotated by size like the log (`events.jsonl.1` is the previous file), so weeks of nights cannot fill the disk. The
viewer's own words are never written: they may be abuse or injection.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path

log = logging.getLogger(__name__)

JOURNAL_BYTES = 20 * 2**20
JOURNAL_BACKUPS = 5


class Journal:
    def __init__(self, path: Path, max_bytes: int = JOURNAL_BYTES, backups: int = JOURNAL_BACKUPS) -> None:
        self.path, self.max_bytes, self.backups = path, max_bytes, backups
        self.failures = 0

    def write(self, event: str, fields: dict[str, object]) -> None:
        record = {"time": datetime.now(UTC).isoformat(timespec="milliseconds"), "event": event, **fields}
        line = json.dumps(record, ensure_ascii=False) + "\n"
        try:
            if self.path.is_file() and self.path.stat().st_size + len(line) > self.max_bytes:
                self._rotate()
            with self.path.open("a", encoding="utf-8") as journal:
                journal.write(line)
        except OSError as exc:  # a full or failing disk costs the review a line, not the show
            self.failures += 1
            log.warning("could not write %s (%s); %d lines lost", self.path, exc.strerror, self.failures)

    def _rotate(self) -> None:
        for index in range(self.backups - 1, 0, -1):
            older = self.path.with_name(f"{self.path.name}.{index}")
            if older.exists():
                older.replace(self.path.with_name(f"{self.path.name}.{index + 1}"))
        self.path.replace(self.path.with_name(f"{self.path.name}.1"))
