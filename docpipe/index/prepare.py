"""A converted document made ready to store: chunked and embedded from its spool into a chunk
spool, in whichever process has the spool (the ingest's own, or the worker that converted it).

One function does it for both, so a document embedded in a worker gets the chunks and the vectors
(bit for bit: the same batches) that the ingest process gives it. Vectors already stored for an
identical chunk are taken from the store, never computed again; a worker reads them through a
read-only connection, as any reader of a home does while an ingest writes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from docpipe.index.chunking import Chunk, Chunker
from docpipe.index.embed import EMBEDDERS, Embedder
from docpipe.index.store.embeddings import cached_vectors
from docpipe.options import EngineOptions
from docpipe.parse.spool import FrameWriter, read_header, read_parts
from docpipe.runtime import trace

EMBED_BATCH = 64  # chunks embedded at a time as a document streams through


@dataclass(frozen=True)
class Prepared:
    """What the chunk spool holds: whether the document had any text, and how many chunks."""

    has_text: bool
    chunks: int


class VectorCache(Protocol):
    def cached(self, hashes: list[str], model: str) -> dict[str, np.ndarray]: ...


def chunk_spool_for(doc_spool: Path) -> Path:
    return doc_spool.with_suffix(".chunks")


def prepare(
    doc_spool: Path,
    embedder: Embedder,
    chunk_tokens: int,
    cache: VectorCache,
    tick: Callable[[], None] = lambda: None,
) -> Prepared:
    """Chunk and embed the converted spool part by part into its chunk spool (chunk frame, vector
    frame, ...): memory stays flat however long the document."""
    has_text = False
    n_chunks = 0
    header = read_header(doc_spool)
    budget = min(chunk_tokens, embedder.max_tokens - 8)
    chunker = Chunker(header.name, budget, embedder.count_tokens)

    def embed_into(chunks: list[Chunk]) -> int:
        """Embed (or take from the cache of identical chunks) and write chunk, vector frames."""
        cached = cache.cached([c.content_hash for c in chunks], embedder.name)
        fresh = iter(embedder.embed([c.text for c in chunks if c.content_hash not in cached]))
        for c in chunks:
            vec = cached[c.content_hash] if c.content_hash in cached else next(fresh)
            out.write(c.model_dump_json().encode())
            out.write(np.asarray(vec, dtype=np.float32).tobytes())
        tick()
        return len(chunks)

    with FrameWriter(chunk_spool_for(doc_spool)) as out:
        pending: list[Chunk] = []
        for part in read_parts(doc_spool):
            has_text = has_text or any(e.text.strip() for e in part.body)
            pending += chunker.feed(part.body)
            while len(pending) >= EMBED_BATCH:
                n_chunks += embed_into(pending[:EMBED_BATCH])
                del pending[:EMBED_BATCH]
        n_chunks += embed_into(pending + chunker.finish())
    return Prepared(has_text, n_chunks)


class _ReadOnlyCache:
    """The store's vectors by content hash, read without a write lock or migrations."""

    def __init__(self, store_path: Path) -> None:
        self.path = store_path

    def cached(self, hashes: list[str], model: str) -> dict[str, np.ndarray]:
        if not self.path.exists():
            return {}
        con = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=30)
        try:
            return cached_vectors(con, hashes, model)
        finally:
            con.close()


_EMBEDDERS: dict[str, Embedder] = {}  # one per options per worker process: the model loads once


@dataclass(frozen=True)
class PrepareInWorker:
    """`prepare` as a picklable step for IsolatedConverter.convert_then: the worker builds the
    ingest's embedder from the same options (so the same model, threads and batches) once."""

    embedder: EngineOptions
    chunk_tokens: int
    store_path: Path

    def __call__(self, doc_spool: Path, tick: Callable[[], None]) -> Prepared:
        key = f"{type(self.embedder).__name__}:{self.embedder.model_dump_json()}"
        if key not in _EMBEDDERS:
            trace("embedder_load")
            _EMBEDDERS[key] = EMBEDDERS.create(self.embedder)
            trace("embedder_loaded")
        return prepare(doc_spool, _EMBEDDERS[key], self.chunk_tokens, _ReadOnlyCache(self.store_path), tick)
