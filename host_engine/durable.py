"""Files a crash cannot tear: state saved in full or not at all, finished files moved into place, locks that die
with their process.

`write_atomic` (and `write_json`) write `NAME` through a temporary file that is fsynced and renamed over it,
after the current version is hard-linked to `NAME.bak`: `NAME` is never missing or torn, whenever the process
dies, and `NAME.bak` is the version saved before it.
`read_json` falls back to `NAME.bak` when `NAME` cannot be used, and to nothing at all (an empty start) when
neither can: a host restarted at night must come up, so a bad file costs one warning line, never the start.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

_UNUSABLE = (OSError, ValueError, TypeError, KeyError, AttributeError)
"""What reading or parsing a torn, corrupt or hand-mangled file raises (JSON and Unicode errors are ValueErrors)."""

_writing = threading.Lock()
"""One write at a time in this process: the temporary names are fixed, so a killed run leaves at most one."""


def backup_path(path: Path) -> Path:
    return path.with_name(f"{path.name}.bak")


def write_atomic(path: Path, data: bytes) -> None:
    """Replace `path` with `data` durably (temp + fsync + rename + folder fsync), keeping the old one as `.bak`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    with _writing:
        temporary.write_bytes(data)
        _keep_previous(path)
        move_durably(temporary, path)


def write_json(path: Path, value: object, indent: int | None = None) -> None:
    write_atomic(path, json.dumps(value, ensure_ascii=False, indent=indent).encode())


def read_json(path: Path, parse: Callable[[Any], T], default: T) -> T:
    """`parse` of the JSON in `path`, else of its `.bak` (one warning), else `default` (one warning naming both
    files; none when neither exists: a first start). Anything `parse` raises for bad content (ValueError,
    TypeError, KeyError, AttributeError) marks that file unusable."""
    backup = backup_path(path)
    try:
        return _parse(path, parse)
    except _UNUSABLE as current:
        if isinstance(current, FileNotFoundError) and not backup.exists():
            return default
        try:
            value = _parse(backup, parse)
        except _UNUSABLE as previous:
            log.warning("%s: %s; %s: %s; starting with empty state", path, _why(current), backup.name, _why(previous))
            return default
        log.warning("%s: %s; using %s, the version saved before it", path, _why(current), backup.name)
        return value


def move_durably(source: Path, target: Path) -> None:
    """Rename a finished file into place (same filesystem): after a crash or a power cut `target` is the old file
    or all of the new one, never empty or torn."""
    with open(source, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(source, target)
    _fsync_folder(target.parent)


def try_lock(path: Path) -> int | None:
    """A descriptor holding `path`'s exclusive lock (the file is created if need be), or None while another
    descriptor holds it. The kernel drops a lock when its process dies, however it dies: a held lock means a
    live owner. Close the descriptor to release it."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(descriptor)
        return None
    return descriptor


def _parse(path: Path, parse: Callable[[Any], T]) -> T:
    return parse(json.loads(path.read_bytes()))


def _why(error: Exception) -> str:
    if isinstance(error, FileNotFoundError):
        return "missing"
    if isinstance(error, OSError):
        return f"unreadable ({error.strerror})"
    if isinstance(error, json.JSONDecodeError):
        return f"not valid JSON ({error.msg} at byte {error.pos})"
    return f"unusable ({type(error).__name__}: {error})"


def _keep_previous(path: Path) -> None:
    """Make `.bak` the version `path` holds now. A hard link leaves `path` in place throughout; where the
    filesystem has none (FAT, some network shares) `path` is moved aside, missing until the rename that follows."""
    if not path.exists():
        return  # a first write, or one killed after moving `path` aside below: `.bak` is the latest version
    backup = backup_path(path)
    try:
        backup.unlink(missing_ok=True)
        os.link(path, backup)
    except OSError:
        os.replace(path, backup)


def _fsync_folder(folder: Path) -> None:
    """Make the renames themselves durable: without it a power cut can bring back the old directory entries."""
    descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
