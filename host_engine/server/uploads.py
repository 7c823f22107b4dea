"""Uploaded files, saved where the server chooses: the client's file name is reduced to a safe name of its own
(letters, digits, '.', '-', '_'; never a path), and an empty file is refused with one line."""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
from pathlib import Path

from fastapi import HTTPException, UploadFile

_UNSAFE = re.compile(r"[^\w.-]+")
CHUNK_BYTES = 1024 * 1024


def safe_name(filename: str | None) -> str:
    """A file name made of the client's name's last part (`../../x.wav` -> `x.wav`); "upload" when nothing is left."""
    return _UNSAFE.sub("_", Path(filename or "").name)[:100].strip("._") or "upload"


async def save_upload(file: UploadFile, folder: Path) -> tuple[Path, str]:
    """Copy the upload into `folder` under its safe name; returns the path and the content's SHA-256."""
    path = folder / safe_name(file.filename)
    digest, size = await asyncio.to_thread(_copy, file, path)
    if size == 0:
        raise HTTPException(400, f"{path.name}: the file is empty")
    return path, digest


def _copy(file: UploadFile, path: Path) -> tuple[str, int]:
    """The content's SHA-256 and size."""
    digest = hashlib.sha256()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as copy:
        while chunk := file.file.read(CHUNK_BYTES):
            digest.update(chunk)
            copy.write(chunk)
        copy.flush()
        os.fsync(copy.fileno())  # on disk before a job naming it is committed
        return digest.hexdigest(), copy.tell()
