"""The registry on manifests and model folders that the tests make, plus the real offline tier."""

from pathlib import Path

import pytest
import yaml

from host_engine import registry
from host_engine.errors import HostEngineError, ModelNotInstalledError


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("HOST_ENGINE_MODELS", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _manifest_dir(tmp_path: Path, **entry) -> Path:
    folder = tmp_path / "manifests"
    folder.mkdir(exist_ok=True)
    base = {"task": "mt", "backend": "ctranslate2-marian", "tier": "large", "license": "MIT", "size_mb": 0.1}
    (folder / f"{entry['id']}.yaml").write_text(yaml.safe_dump({**base, **entry}))
    return folder


def _tiny_folder(tmp_path: Path) -> tuple[Path, str]:
    source = tmp_path / "tiny"
    source.mkdir()
    (source / "model.bin").write_bytes(b"tiny weights")
    return source, registry.sha256_file(source / "model.bin")


def test_install_from_a_folder_then_verify_and_detect_tampering(tmp_path, cache):
    source, digest = _tiny_folder(tmp_path)
    manifests = _manifest_dir(
        tmp_path, id="tiny", source={"kind": "path", "path": str(source)}, files={"model.bin": digest}
    )
    manifest = registry.get_manifest("tiny", manifests)
    assert not registry.is_installed(manifest)
    with pytest.raises(ModelNotInstalledError, match="models install tiny"):
        registry.model_path("tiny", manifests)
    folder = registry.install(manifest)
    assert (folder / "model.bin").read_bytes() == b"tiny weights"
    assert registry.model_path("tiny", manifests) == folder
    assert registry.verify([manifest])[0].ok
    (folder / "model.bin").write_bytes(b"tampered")
    assert registry.verify([manifest])[0].failures == ("model.bin",)


def test_checksum_mismatch_leaves_nothing_installed(tmp_path, cache):
    source, _ = _tiny_folder(tmp_path)
    manifests = _manifest_dir(
        tmp_path, id="bad", source={"kind": "path", "path": str(source)}, files={"model.bin": "0" * 64}
    )
    with pytest.raises(HostEngineError, match=r"SHA-256 mismatch for model\.bin"):
        registry.install(registry.get_manifest("bad", manifests))
    assert not any((cache / "models").iterdir())


def test_hub_model_without_a_hub_fails_with_a_clear_message(tmp_path, cache, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    manifests = _manifest_dir(
        tmp_path, id="hubby", source={"kind": "hub", "repo": "example/hubby"}, files={"model.bin": ""}
    )
    with pytest.raises(HostEngineError, match=r"cannot download 'hubby'.*--from FOLDER"):
        registry.install(registry.get_manifest("hubby", manifests))
    source, _ = _tiny_folder(tmp_path)
    folder = registry.install(registry.get_manifest("hubby", manifests), local=source)
    assert (folder / "model.bin").exists()


def test_bad_manifest_names_file_and_field(tmp_path):
    manifests = _manifest_dir(tmp_path, id="broken", source={"kind": "ftp"})
    with pytest.raises(HostEngineError, match=r"broken.yaml: source.kind"):
        registry.load_manifests(manifests)


def test_shipped_manifests_and_offline_tier():
    manifests = registry.load_manifests()
    assert {"whisper-base", "marian-en-pt", "apertium", "piper-en-joe", "kokoro-82m", "espeak-ng"} <= set(manifests)
    assert {m.tier for m in manifests.values()} == {"offline", "large"}
    whisper = manifests["whisper-base"]
    assert registry.is_installed(whisper), "make setup installs the offline tier"
    assert all(len(digest) == 64 for digest in whisper.files.values())
    assert registry.verify([whisper])[0].ok


def test_cli_models_list_and_unknown_model(cli):
    listed = cli("models", "list")
    assert listed.returncode == 0
    assert "whisper-base" in listed.stdout and "nllb-200-distilled-600m" in listed.stdout
    failed = cli("models", "install", "no-such-model")
    assert failed.returncode == 2
    assert failed.stderr.strip().startswith("error: unknown model 'no-such-model'")
    assert "Traceback" not in failed.stderr


def test_hub_mt_model_installed_from_a_folder_joins_the_router(tmp_path_factory, cache):
    """The large-tier loader path end to end, on a tiny Marian model the tests build (no hub here)."""
    from tiny_marian import build_tiny_marian

    from host_engine.engines import Engines

    tiny = build_tiny_marian(tmp_path_factory.getbasetemp() / "tiny-marian")
    registry.install(registry.get_manifest("opus-mt-en-es"), local=tiny)
    assert registry.verify([registry.get_manifest("opus-mt-en-es")])[0].ok
    router = Engines().router
    assert "opus-mt-en-es" in router.translators
    routes = [str(r) for r in router.candidates("en", "es")]
    assert any("-[opus-mt-en-es]-> es" in r for r in routes)
    assert len(router.translators["opus-mt-en-es"].translate(["hello there"], "en", "es")) == 1
