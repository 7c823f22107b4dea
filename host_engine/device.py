"""Run-time device choice shared by every CTranslate2-based engine: CUDA float16 when present, else CPU int8."""

from __future__ import annotations

import os
from dataclasses import dataclass

import ctranslate2


@dataclass(frozen=True)
class Device:
    device: str
    compute_type: str
    cpu_threads: int


def choose_device(requested: str = "auto", compute_type: str | None = None) -> Device:
    """`auto` -> cuda/float16 where CTranslate2 sees a GPU, else cpu/int8 on every core."""
    device = requested
    if requested == "auto":
        device = "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
    default_type = "float16" if device == "cuda" else "int8"
    return Device(device, compute_type or default_type, os.cpu_count() or 1)
