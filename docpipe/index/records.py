"""What the store hands out and takes in, as plain data: no SQLite here, so answering and
the server can use these types without importing the database code."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from docpipe.errors import ConversionError
from docpipe.index.chunking import ChunkSpan


@dataclass(frozen=True)
class SearchFilter:
    """Metadata filters for retrieval; empty means everything. The store turns it into SQL."""

    document: str | None = None  # file name or path, SQL LIKE pattern allowed (%)
    kind: str | None = None  # "pdf" or "image"
    since: float | None = None  # ingested at or after (unix time)
    until: float | None = None

    @property
    def empty(self) -> bool:
        return self == SearchFilter()


@dataclass(frozen=True)
class AskLog:
    question: str
    answer: str
    mode: str
    model: str
    route: str  # primary, fallback, extractive
    grounded: bool
    chunk_ids: list[int]
    latency_s: float
    prompt_tokens: int = 0
    completion_tokens: int = 0


@dataclass(frozen=True)
class DocumentRow:
    id: int
    sha256: str
    path: str
    name: str
    status: str
    error: str | None  # the one-line message `docpipe ls` shows
    n_pages: int
    n_chunks: int
    errors: list[ConversionError] = field(default_factory=list)  # structured; empty for rows stored before them

    def listing(self) -> dict[str, Any]:
        """The row as `docpipe ls --json` prints it (its shape predates structured errors)."""
        return {k: v for k, v in self.__dict__.items() if k != "errors"}


@dataclass(frozen=True)
class StoredChunk:
    id: int
    document: str
    document_path: str
    text: str
    html: str
    spans: list[ChunkSpan]


@dataclass(frozen=True)
class Hit:
    chunk: StoredChunk
    score: float
    dense: float | None


@dataclass(frozen=True)
class Retrieval:
    """Passages for a question, with what the document step found: the documents the question
    names (their passages come first) and its name-like words that no document holds."""

    hits: list[Hit]
    named_documents: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    unmatched_names: list[str] = field(default_factory=list)
