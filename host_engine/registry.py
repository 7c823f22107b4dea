"""Model manifests (`models/*.yaml`) -> installed folders under the cache, with SHA-256 checks.

Each model is assembled into `<cache>/models/<id>/` by the steps in its manifest (join split parts, copy package
files, convert formats). Assembly happens in a sibling `.partial` folder that is renamed into place only when
every step and checksum passed, so an interrupted install never looks installed.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import importlib.util
import os
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from host_engine.config import (
    PROJECT_ROOT,
    ConcatStep,
    ConvertStep,
    CopyStep,
    ModelManifest,
    load_yaml,
)
from host_engine.errors import HostEngineError, ModelNotInstalledError

MANIFEST_DIR = PROJECT_ROOT / "models"

CONVERTERS: dict[str, str] = {
    "gguf-to-ctranslate2": "host_engine.mt.gguf_convert:convert_gguf_to_ctranslate2",
    "resemblyzer-to-onnx": "host_engine.speakers.export:export_resemblyzer_to_onnx",
}
"""Converter name (as written in manifests) -> `module:function(input: Path, output: Path)`, imported lazily
because converters pull in install-time-only dependencies (torch, transformers)."""


def cache_root() -> Path:
    """`HOST_ENGINE_MODELS`, else `~/.cache/host-engine`."""
    return Path(os.environ.get("HOST_ENGINE_MODELS") or Path.home() / ".cache" / "host-engine")


def load_manifests(directory: Path = MANIFEST_DIR) -> dict[str, ModelManifest]:
    manifests = [load_yaml(path, ModelManifest) for path in sorted(directory.glob("*.yaml"))]
    return {manifest.id: manifest for manifest in manifests}


def get_manifest(model_id: str, directory: Path = MANIFEST_DIR) -> ModelManifest:
    manifests = load_manifests(directory)
    if model_id not in manifests:
        raise HostEngineError(f"unknown model '{model_id}'; known: {', '.join(manifests)}")
    return manifests[model_id]


def model_folder(manifest: ModelManifest) -> Path:
    return cache_root() / "models" / manifest.id


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _distribution_installed(name: str) -> bool:
    try:
        importlib.metadata.distribution(name)
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


def _missing_requirements(manifest: ModelManifest) -> list[str]:
    """What the host lacks for `apt` and `pip` sources: commands not on PATH, packages not importable."""
    source = manifest.source
    missing = [f"command `{cmd}`" for cmd in source.commands if shutil.which(cmd) is None]
    if source.kind == "pip":
        missing += [f"package `{pkg}`" for pkg in source.packages if not _distribution_installed(pkg)]
    return missing


def is_installed(manifest: ModelManifest) -> bool:
    if _missing_requirements(manifest):
        return False
    folder = model_folder(manifest)
    return all((folder / name).exists() for name in manifest.files) and (folder.is_dir() or not manifest.files)


def model_path(model_id: str, directory: Path = MANIFEST_DIR) -> Path:
    """The installed folder of `model_id`, or an error saying how to install it."""
    manifest = get_manifest(model_id, directory)
    if not is_installed(manifest):
        raise ModelNotInstalledError(
            f"model '{model_id}' is not installed; run `host-engine models install {model_id}`"
        )
    return model_folder(manifest)


def _resource(reference: str) -> Path:
    """`module:relative/path` -> the file inside that installed Python package, found without importing it (a
    package installed for its weights alone may lack what its code imports)."""
    module, _, relative = reference.partition(":")
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotInstalledError(
            f"Python package `{module}` is missing; install the offline tier with "
            "`pip install -e '.[offline]'` (or `make setup`)"
        )
    return Path(next(iter(spec.submodule_search_locations))) / relative


def _concat(step: ConcatStep, folder: Path) -> None:
    with (folder / step.output).open("wb") as out:
        for part in step.parts:
            with _resource(part).open("rb") as handle:
                shutil.copyfileobj(handle, out, 1 << 20)


def _copy(step: CopyStep, folder: Path) -> None:
    for reference in step.files:
        source = _resource(reference)
        shutil.copyfile(source, folder / source.name)


def _convert(step: ConvertStep, folder: Path) -> None:
    if step.converter not in CONVERTERS:
        raise HostEngineError(f"unknown converter '{step.converter}'; known: {', '.join(CONVERTERS)}")
    module, _, function = CONVERTERS[step.converter].partition(":")
    try:
        convert: Callable[[Path, Path], object] = getattr(importlib.import_module(module), function)
    except ImportError as exc:
        raise HostEngineError(
            f"converter '{step.converter}' needs `pip install -e '.[convert]'` ({exc.name} is missing)"
        ) from None
    convert(folder / step.input, folder / step.output)


def _download(manifest: ModelManifest, folder: Path) -> None:
    """Fetch a hub repository into `folder`; fails with one line where no hub is reachable."""
    try:
        from huggingface_hub import snapshot_download
    except ImportError:
        raise HostEngineError("downloading from a model hub needs `pip install huggingface_hub`") from None
    try:
        snapshot_download(repo_id=manifest.source.repo, local_dir=folder)
    except Exception as exc:
        raise HostEngineError(
            f"cannot download '{manifest.id}' from the model hub ({manifest.source.repo}): "
            f"{type(exc).__name__}; on a machine without hub access copy the model folder there and run "
            f"`host-engine models install {manifest.id} --from FOLDER`"
        ) from None


def _fill_from_source(manifest: ModelManifest, folder: Path, local: Path | None) -> None:
    source = manifest.source
    if local is not None or source.kind == "path":
        origin = Path(local or source.path or "")
        if not origin.is_dir():
            raise HostEngineError(f"model folder '{origin}' for '{manifest.id}' does not exist")
        shutil.copytree(origin, folder, dirs_exist_ok=True)
    elif source.kind == "hub":
        _download(manifest, folder)
    missing = _missing_requirements(manifest)
    if missing:
        how = (
            f"`sudo apt-get install {' '.join(source.packages)}`"
            if source.kind == "apt"
            else f"`pip install -e '.[{source.extra}]'`"
        )
        raise ModelNotInstalledError(f"'{manifest.id}' needs {', '.join(missing)}; install with {how}")


def install(manifest: ModelManifest, local: Path | None = None) -> Path:
    """Assemble `manifest` into its cache folder (idempotent) and return the folder."""
    target = model_folder(manifest)
    if is_installed(manifest) and local is None:
        return target
    partial = target.with_name(f".{manifest.id}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    try:
        _fill_from_source(manifest, partial, local)
        steps = {"concat": _concat, "copy": _copy, "convert": _convert}
        for step in manifest.assemble:
            steps[step.do](step, partial)  # type: ignore[operator]
        bad = _checksum_failures(manifest, partial)
        if bad:
            raise HostEngineError(f"'{manifest.id}': SHA-256 mismatch for {', '.join(bad)}; reinstall the source")
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    shutil.rmtree(target, ignore_errors=True)
    partial.rename(target)
    return target


def _checksum_failures(manifest: ModelManifest, folder: Path) -> list[str]:
    failures = []
    for name, expected in manifest.files.items():
        path = folder / name
        if not path.exists():
            failures.append(f"{name} (missing)")
        elif expected and sha256_file(path) != expected:
            failures.append(name)
    return failures


@dataclass(frozen=True)
class VerifyResult:
    model_id: str
    installed: bool
    failures: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return self.installed and not self.failures


def verify(manifests: Iterable[ModelManifest]) -> list[VerifyResult]:
    """Re-hash every assembled file of every installed model."""
    results = []
    for manifest in manifests:
        installed = is_installed(manifest)
        failures = _checksum_failures(manifest, model_folder(manifest)) if installed else []
        results.append(VerifyResult(manifest.id, installed, tuple(failures)))
    return results
