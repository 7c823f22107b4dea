"""User-facing errors: each carries one line that says what is wrong and how to fix it.

The CLI turns any `HostEngineError` into that line on stderr and exit code 2; anything else is a bug.
"""


class HostEngineError(Exception):
    """A problem with the user's input or installation, not with host-engine itself."""


class BadInputError(HostEngineError):
    """The input media or text cannot be used (empty, corrupt, silent, wrong format)."""


class UnsupportedLanguageError(HostEngineError):
    """A language or language pair that no installed engine covers."""


class ModelNotInstalledError(HostEngineError):
    """A model that the manifest knows but the local cache does not hold."""
