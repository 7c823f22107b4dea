"""The unattended host's own log: everything it logs at INFO and above, one JSON object a line, in its state folder,
rotated so that a week of nights cannot fill the disk, URLs redacted (stream keys). What the terminal shows stays
as the command line chose."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from logging.handlers import RotatingFileHandler
from pathlib import Path

from host_engine.urls import RedactUrls, redact_text

LOG_BYTES = 20 * 2**20
LOG_BACKUPS = 5


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "thread": record.threadName,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["error"] = redact_text(self.formatException(record.exc_info))  # chained causes hold URLs too
        return json.dumps(entry, ensure_ascii=False)


def log_to_file(path: Path) -> logging.Handler:
    """Start logging the package into `path`; returns the handler, for `logger.removeHandler` at the end."""
    package = logging.getLogger("host_engine")
    shown = package.getEffectiveLevel()
    for console in logging.getLogger().handlers:
        if console.level == logging.NOTSET:
            console.setLevel(shown)  # the terminal keeps its level while the package logs more for the file
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = RotatingFileHandler(path, maxBytes=LOG_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8")
    handler.setFormatter(JsonLines())
    handler.addFilter(RedactUrls())
    handler.setLevel(logging.INFO)
    package.addHandler(handler)
    package.setLevel(min(shown, logging.INFO))
    return handler
