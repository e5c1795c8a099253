"""Chunk vectors as SQLite keeps them: the cache by content hash, the rows FAISS is built from,
and swapping them all to another model."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import numpy as np

from docpipe.index.store.db import Database


class Embeddings:
    def __init__(self, db: Database) -> None:
        self.db = db

    def cached(self, hashes: list[str], model: str) -> dict[str, np.ndarray]:
        """Embeddings already computed for identical chunk text with the same model."""
        return cached_vectors(self.db.con, hashes, model)

    def for_chunks(self, ids: list[int], model: str) -> tuple[list[int], np.ndarray]:
        """The vectors of these chunks (those that have one), as ids and a matrix in the same order."""
        out_ids: list[int] = []
        vecs: list[np.ndarray] = []
        for start in range(0, len(ids), 500):  # SQLite caps the number of bound parameters
            part = ids[start : start + 500]
            marks = ",".join("?" * len(part))
            for cid, blob in self.db.con.execute(
                f"SELECT chunk_id, vector FROM embeddings WHERE model=? AND chunk_id IN ({marks})", [model, *part]
            ):
                out_ids.append(cid)
                vecs.append(np.frombuffer(blob, dtype=np.float32))
        return out_ids, (np.vstack(vecs) if vecs else np.zeros((0, 0), dtype=np.float32))

    def each(self, model: str) -> Iterator[tuple[int, np.ndarray]]:
        for cid, blob in self.db.con.execute(
            "SELECT chunk_id, vector FROM embeddings WHERE model=? ORDER BY chunk_id", (model,)
        ):
            yield cid, np.frombuffer(blob, dtype=np.float32)

    def state(self) -> tuple[int, int, set[str]]:
        """(count, max chunk id, models): what the FAISS index must match."""
        count, top = self.db.con.execute("SELECT COUNT(*), COALESCE(MAX(chunk_id), 0) FROM embeddings").fetchone()
        models = {r[0] for r in self.db.con.execute("SELECT DISTINCT model FROM embeddings")}
        return int(count), int(top), models

    def replace(self, items: list[tuple[int, np.ndarray]], model: str) -> None:
        """Swap vectors to another model in one transaction (a crash leaves the old ones)."""
        with self.db.write() as con:
            con.execute("DELETE FROM embeddings")
            con.executemany(
                "INSERT INTO embeddings(chunk_id, model, vector) VALUES (?,?,?)",
                [(cid, model, np.asarray(v, dtype=np.float32).tobytes()) for cid, v in items],
            )


def cached_vectors(con: sqlite3.Connection, hashes: list[str], model: str) -> dict[str, np.ndarray]:
    """By content hash, a vector already stored for an identical chunk text with the same model
    (also read by the ingest's workers, on a read-only connection of their own)."""
    out: dict[str, np.ndarray] = {}
    for h in set(hashes):
        row = con.execute(
            "SELECT e.vector FROM chunks c JOIN embeddings e ON e.chunk_id=c.id "
            "WHERE c.content_hash=? AND e.model=? LIMIT 1",
            (h, model),
        ).fetchone()
        if row:
            out[h] = np.frombuffer(row[0], dtype=np.float32)
    return out
