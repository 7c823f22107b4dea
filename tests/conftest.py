"""Shared fixtures: one set of loaded engines per test session, the shipped sample clip, real speech."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "librivox_sense.mp4"
LIBRIVOX = Path("/usr/share/pocketsphinx/test/data/librivox")


@pytest.fixture(scope="session")
def engines():  # imported lazily: unit tests run without loading any engine
    from host_engine.engines import Engines
    from host_engine.tts import seed_voices

    seed_voices()  # tests that read synthesized speech back assert on its words, as the benchmark does
    return Engines()


@pytest.fixture(scope="session")
def sample_clip() -> Path:
    return SAMPLE


@pytest.fixture(scope="session")
def librivox() -> Path:
    if not LIBRIVOX.is_dir():
        pytest.skip("Debian pocketsphinx-testdata is not installed (make setup installs it)")
    return LIBRIVOX


def _run_cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "host_engine", *args],
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )


@pytest.fixture(scope="session")
def cli() -> Callable[..., subprocess.CompletedProcess[str]]:
    """Runs the real command line in a subprocess, as a user would: cli("dub", "x.mp4", stdin=None)."""
    return _run_cli


@pytest.fixture
def ircd(tmp_path: Path) -> Iterator[object]:
    """A real IRC server (Debian's ngircd) on a free loopback port, for the host's chat tests."""
    from ircd import NGIRCD, Server, free_port

    if not Path(NGIRCD).exists():
        pytest.skip("ngircd is not installed (make setup installs it)")
    server = Server(tmp_path, free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def rtmpd(tmp_path: Path) -> Iterator[object]:
    """nginx with Debian's RTMP module on a free loopback port: rtmp://127.0.0.1:PORT/live/NAME."""
    from rtmpd import RTMP_MODULE, RtmpServer

    if not (shutil.which("nginx") and Path(RTMP_MODULE).exists()):
        pytest.skip("nginx with libnginx-mod-rtmp is not installed (make setup installs it)")
    server = RtmpServer(tmp_path)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def host_translations(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One translations cache for every show of the session, as a studio's state folder keeps it from night to
    night: a show starts with what earlier tests translated, and adds to it."""
    return tmp_path_factory.mktemp("host") / "translations.json"


@pytest.fixture
def host_state(tmp_path: Path, host_translations: Path) -> Iterator[Path]:
    """A show's state folder holding the session's translations; what the show translated goes back to them."""
    state = tmp_path / "state"
    state.mkdir()
    kept = state / "translations.json"
    if host_translations.exists():
        shutil.copy(host_translations, kept)
    yield state
    if kept.exists():
        known = json.loads(host_translations.read_text(encoding="utf-8")) if host_translations.exists() else {}
        known.update(json.loads(kept.read_text(encoding="utf-8")))
        host_translations.write_text(json.dumps(known, ensure_ascii=False), encoding="utf-8")


@pytest.fixture(scope="session")
def short_clip(sample_clip: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample's first 6 s, as replay.mp4: a short clip for the service's tests."""
    path = tmp_path_factory.mktemp("clips") / "replay.mp4"
    command = ["ffmpeg", "-nostdin", "-loglevel", "error", "-i", str(sample_clip), "-t", "6", str(path)]
    subprocess.run(command, check=True)
    return path
