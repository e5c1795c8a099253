"""SQLite: the source of truth for documents, chunks, embeddings and the ask log.

`Store` opens the database (db.py: connection, migrations, the write and read transactions)
and hands out one small object per concern, all on the same connection:

    store.documents   documents and their parts, chunks, failures      (documents.py)
    store.embeddings  chunk vectors: cache by content hash, FAISS feed (embeddings.py)
    store.keyword     FTS5 BM25 keyword and phrase search              (keyword.py)
    store.asks        the ask log                                      (asks.py)

The data they take and return is plain (docpipe.index.records), so code that only reads
results never imports this package.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

from docpipe.index.store.asks import Asks
from docpipe.index.store.db import Database
from docpipe.index.store.documents import Documents
from docpipe.index.store.embeddings import Embeddings
from docpipe.index.store.keyword import KeywordSearch
from docpipe.index.store.migrations import MIGRATIONS

__all__ = ["MIGRATIONS", "Store"]


class Store:
    def __init__(self, path: Path) -> None:
        self.db = Database(path)
        self.documents = Documents(self.db)
        self.embeddings = Embeddings(self.db)
        self.keyword = KeywordSearch(self.db)
        self.asks = Asks(self.db)

    @property
    def path(self) -> Path:
        return self.db.path

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """One read transaction: everything read inside sees the same committed state."""
        with self.db.snapshot():
            yield

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
