"""State files: the version before kept as `.bak`, a corrupt file costs one warning line, and `kill -9` at any
moment of a save leaves a state that loads."""

from __future__ import annotations

import json
import logging
import random
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from host_engine.durable import backup_path, read_json, write_json
from host_engine.host.state import ShowState

ROOT = Path(__file__).resolve().parents[1]


def _saved(path: Path, line: int) -> ShowState:
    state = ShowState(path, product=2, line=line, product_since=1.5)
    state.answered.extend(f"c{i}" for i in range(line))
    state.pending[f"c{line}"] = {"user": "ana", "text": "¿Cuánto cuesta?", "platform": "irc"}
    state.save()
    return state


def _fields(state: ShowState) -> tuple[object, ...]:
    return state.product, state.line, state.product_since, list(state.answered), state.pending


def _warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_a_save_keeps_the_previous_version_as_bak(tmp_path: Path) -> None:
    path = tmp_path / "state" / "state.json"
    _saved(path, 1)
    first = path.read_bytes()
    assert not backup_path(path).exists()
    second = _saved(path, 2)
    assert backup_path(path).read_bytes() == first
    assert _fields(ShowState.load(path)) == _fields(second)
    assert sorted(p.name for p in path.parent.iterdir()) == ["state.json", "state.json.bak"]


def test_a_first_start_is_empty_and_silent(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    state = ShowState.load(tmp_path / "state.json")
    assert _fields(state) == (0, 0, 0.0, [], {})
    assert not _warnings(caplog)


@pytest.mark.parametrize(
    "damage",
    [
        lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2]),
        lambda p: p.write_bytes(b"\xff\xfe garbage"),
        lambda p: p.write_text('["a list, not a state"]'),
        lambda p: p.write_text('{"product": "second"}'),
        lambda p: p.unlink(),
    ],
    ids=["torn", "binary", "wrong-shape", "wrong-type", "missing"],
)
def test_an_unusable_state_falls_back_to_the_bak_with_one_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, damage
) -> None:
    path = tmp_path / "state.json"
    before = _saved(path, 1)
    _saved(path, 2)
    damage(path)
    assert _fields(ShowState.load(path)) == _fields(before)
    [warning] = _warnings(caplog)
    message = warning.getMessage()
    assert str(path) in message and "using state.json.bak" in message and warning.exc_info is None


def test_both_unusable_start_empty_with_one_warning_naming_both(tmp_path: Path, caplog) -> None:
    path = tmp_path / "state.json"
    _saved(path, 1)
    _saved(path, 2)
    path.write_text("{")
    backup_path(path).write_bytes(b"")
    state = ShowState.load(path)
    assert _fields(state) == (0, 0, 0.0, [], {}) and state.path == path
    [warning] = _warnings(caplog)
    message = warning.getMessage()
    assert "state.json: not valid JSON" in message and "state.json.bak: not valid JSON" in message
    assert "starting with empty state" in message and warning.exc_info is None


def test_a_corrupt_state_does_not_stop_a_process_and_prints_no_traceback(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text('{"product": 1, "line"')
    code = "import sys; from pathlib import Path; from host_engine.host.state import ShowState; "
    code += "print(ShowState.load(Path(sys.argv[1])).product)"
    run = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0 and run.stdout == "0\n"
    assert "Traceback" not in run.stderr and len(run.stderr.strip().splitlines()) == 1
    assert "starting with empty state" in run.stderr


def test_read_json_passes_what_parse_accepts(tmp_path: Path) -> None:
    path = tmp_path / "translations.json"
    write_json(path, {"en>pt\tHello": "Olá"}, indent=1)
    assert read_json(path, dict, {}) == {"en>pt\tHello": "Olá"}
    assert path.read_text(encoding="utf-8") == '{\n "en>pt\\tHello": "Olá"\n}'


WRITER = """
import os, sys
from pathlib import Path
from host_engine.host.state import ShowState
if sys.argv[2] == "no-links":  # a filesystem without hard links (FAT, some network shares)
    def refuse(*_):
        raise PermissionError(1, "Operation not permitted")
    os.link = refuse
state = ShowState.load(Path(sys.argv[1]))
print(state.line, flush=True)
while True:
    state.line += 1
    state.answered.append(f"comment-{state.line:08d}")
    state.pending = {f"p{state.line}": {"user": "u" * 50, "text": "t" * 200, "platform": "irc"}}
    state.save()
"""


@pytest.mark.parametrize("links", ["links", "no-links"])
def test_kill_9_mid_save_always_leaves_a_state_that_loads(tmp_path: Path, caplog, links: str) -> None:
    """A writer saving as fast as it can (20,000 answered ids, about 400 KB a save) is killed at random moments,
    50 times; each restart must load the latest state or the one before, never older, never nothing."""
    path = tmp_path / "state.json"
    _saved(path, 0)
    state = ShowState.load(path)
    state.answered.extend(f"old-{i}" for i in range(state.answered.maxlen or 0))
    state.save()
    rng = random.Random(12)
    loaded = []
    for _ in range(50):
        writer = subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(WRITER), str(path), links], stdout=subprocess.PIPE, cwd=ROOT
        )
        assert writer.stdout is not None
        loaded.append(int(writer.stdout.readline()))
        time.sleep(rng.uniform(0.0, 0.15))
        writer.kill()
        writer.wait()
        if links == "links":  # the current file is never missing nor torn: no fallback is ever needed
            assert json.loads(path.read_bytes())["line"] >= loaded[-1]
    state = ShowState.load(path)
    loaded.append(state.line)
    assert loaded == sorted(loaded) and loaded[-1] > 50, loaded
    assert len(state.answered) == state.answered.maxlen and state.answered[-1] == f"comment-{state.line:08d}"
    assert {p.name for p in tmp_path.iterdir()} <= {"state.json", "state.json.bak", ".state.json.tmp"}
    if links == "links":
        assert not _warnings(caplog)
