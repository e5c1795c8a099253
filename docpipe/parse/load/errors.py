from __future__ import annotations

from pathlib import Path

from docpipe.errors import shown


class LoadError(Exception):
    """A file that cannot be read as a document; str() is the one-line user message."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = shown(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")
