"""The errors docpipe reports: one hierarchy, each with the exit code the CLI returns for it,
a typed record of what went wrong converting a file, and file names made fit to appear in
a one-line message.

A DocpipeError's str() is the whole user-facing message: one line, naming the file and the
reason where there is one. Anything else that escapes is a bug and is shown as one.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, Field

_CONTROL = {i: f"\\x{i:02x}" for i in range(32)} | {0x7F: "\\x7f", 0x0A: "\\n", 0x0D: "\\r", 0x09: "\\t"}


def shown(path: Path | str) -> str:
    """The path as printable UTF-8: undecodable bytes become U+FFFD, control characters escapes.

    Names with newlines or non-UTF-8 bytes are legal on POSIX; printed raw they would split
    the one-line error, and stored raw SQLite and tokenizers refuse the surrogates.
    """
    raw = os.fsencode(path)
    return raw.decode("utf-8", "replace").translate(_CONTROL)


class DocpipeError(Exception):
    """A failure the user can act on. str() is the one-line message."""

    exit_code = 1


class UsageError(DocpipeError, ValueError):
    """An option or argument with a value docpipe cannot use (a bad name, date, schema...)."""

    exit_code = 2


class UnknownEngineError(UsageError):
    """No engine of that kind is registered, importable or installed as an entry point."""


class MissingEngineError(DocpipeError):
    """An engine whose package or model files are not installed; the message says how to fix it."""


class LockedError(DocpipeError):
    """Another docpipe process holds the lock on what this one would write."""

    exit_code = 3


class LoadError(DocpipeError):
    """A file that cannot be read as a document."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = shown(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class SpoolError(DocpipeError):
    """A spool file that was never finished (its writer was killed) or is damaged."""


class StoreError(DocpipeError):
    """The store cannot be used as it is."""


class NothingIngestedError(StoreError):
    def __init__(self, home: Path | str) -> None:
        super().__init__(f"nothing ingested in {home} yet: run `docpipe ingest PATH` first")


class SchemaVersionError(StoreError):
    """A document written by a newer docpipe than this one."""

    found = ""  # the document's schema_version

    @classmethod
    def newer(cls, what: str, found: str, supported: str) -> SchemaVersionError:
        e = cls(
            f"{what} was written by a newer docpipe (document schema {found}, "
            f"this docpipe reads up to {supported}): upgrade docpipe"
        )
        e.found = found
        return e


class DiskFullError(StoreError):
    """The home's disk (or the process's file size limit) is full; what was committed stays."""


class EmbeddingModelMismatch(StoreError):
    """Vectors from one model searched with another's queries would rank nonsense."""


class ModelBuildError(DocpipeError):
    """A model folder `docpipe model` cannot use (architecture, shapes, files) or a recipe it cannot run."""


class ModelPinError(DocpipeError):
    """A shipped model file is missing or does not hash to its pinned sha256 (docpipe/pins.py)."""


class LLMError(DocpipeError):
    """The LLM failed: server down, refused request, unexpected reply."""


class ConversionError(BaseModel):
    """One thing that went wrong converting a file: where (the page, or None for the whole file),
    in which stage, and what. str() is the one-line message naming the source."""

    source: str = Field(description="the file, as shown to users")
    page: int | None = Field(default=None, description="1-based; None when the whole file is concerned")
    stage: str = Field(description="load, text, layout, assemble, reading_order, unskew, finish or isolation")
    message: str

    def __str__(self) -> str:
        where = f"page {self.page} " if self.page is not None else ""
        return f"{self.source}: {where}{self.message}"

    def shown_as(self, source: str) -> str:
        """The message naming the file as `source` (the server shows upload names, not its paths)."""
        return str(self.model_copy(update={"source": source}))
