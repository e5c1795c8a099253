"""SQLite: the source of truth for documents, chunks and embeddings.

One transaction per document, so a document is either fully stored or absent (kill -9
safe); WAL so readers see a consistent snapshot while an ingest writes. Schema changes go
through MIGRATIONS, tracked in PRAGMA user_version.
"""

from __future__ import annotations

import json
import sqlite3
import time
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from docpipe.document import Document, DocumentPart
from docpipe.index.chunking import Chunk, ChunkSpan
from docpipe.index.terms import STOPWORDS, fts_tokens

MIGRATIONS: list[str] = [
    """
    CREATE TABLE documents (
        id INTEGER PRIMARY KEY,
        sha256 TEXT NOT NULL UNIQUE,
        path TEXT NOT NULL,
        name TEXT NOT NULL,
        mime TEXT,
        status TEXT NOT NULL,
        error TEXT,
        n_pages INTEGER NOT NULL DEFAULT 0,
        doc_json BLOB,
        updated_at REAL NOT NULL
    );
    CREATE INDEX documents_path ON documents(path);
    CREATE TABLE chunks (
        id INTEGER PRIMARY KEY,
        document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        text TEXT NOT NULL,
        html TEXT NOT NULL,
        heading TEXT,
        spans TEXT NOT NULL,
        content_hash TEXT NOT NULL
    );
    CREATE INDEX chunks_document ON chunks(document_id);
    CREATE INDEX chunks_hash ON chunks(content_hash);
    CREATE TABLE embeddings (
        chunk_id INTEGER PRIMARY KEY REFERENCES chunks(id) ON DELETE CASCADE,
        model TEXT NOT NULL,
        vector BLOB NOT NULL
    );
    CREATE VIRTUAL TABLE chunks_fts USING fts5(text, content='chunks', content_rowid='id');
    CREATE TRIGGER chunks_ai AFTER INSERT ON chunks BEGIN
        INSERT INTO chunks_fts(rowid, text) VALUES (new.id, new.text);
    END;
    CREATE TRIGGER chunks_ad AFTER DELETE ON chunks BEGIN
        INSERT INTO chunks_fts(chunks_fts, rowid, text) VALUES ('delete', old.id, old.text);
    END;
    """,
    # Document frequencies of indexed terms, so a search can skip words that match everything.
    "CREATE VIRTUAL TABLE chunks_vocab USING fts5vocab(chunks_fts, 'row');",
    # Every question asked, what answered it and from which chunks.
    """
    CREATE TABLE asks (
        id INTEGER PRIMARY KEY,
        at REAL NOT NULL,
        question TEXT NOT NULL,
        answer TEXT NOT NULL,
        mode TEXT NOT NULL,
        model TEXT NOT NULL,
        route TEXT NOT NULL,
        grounded INTEGER NOT NULL,
        chunk_ids TEXT NOT NULL,
        latency_s REAL NOT NULL,
        prompt_tokens INTEGER NOT NULL DEFAULT 0,
        completion_tokens INTEGER NOT NULL DEFAULT 0
    );
    """,
    # A document's JSON as its header (documents.doc_json) then parts of a few pages each, so a
    # long document is written and read without holding it whole. Rows from before this
    # migration keep the whole document in doc_json and have no parts: both read the same way.
    """
    CREATE TABLE document_parts (
        document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        part BLOB NOT NULL,
        PRIMARY KEY (document_id, seq)
    );
    """,
]
COMMON_SHARE = 0.2  # a word in more than this share of chunks ranks nothing: left out of keyword queries


@dataclass(frozen=True)
class SearchFilter:
    """Metadata filters for retrieval; empty means everything."""

    document: str | None = None  # file name or path, SQL LIKE pattern allowed (%)
    kind: str | None = None  # "pdf" or "image"
    since: float | None = None  # ingested at or after (unix time)
    until: float | None = None

    @property
    def empty(self) -> bool:
        return self == SearchFilter()

    def sql(self) -> tuple[str, list[object]]:
        clauses: list[str] = ["d.status='ok'"]
        args: list[object] = []
        if self.document:
            clauses.append("(d.name LIKE ? OR d.path LIKE ?)")
            args += [self.document, self.document]
        if self.kind:
            clauses.append("d.mime LIKE ?")
            args.append("application/pdf" if self.kind == "pdf" else "image/%")
        if self.since is not None:
            clauses.append("d.updated_at >= ?")
            args.append(self.since)
        if self.until is not None:
            clauses.append("d.updated_at <= ?")
            args.append(self.until)
        return " AND ".join(clauses), args


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
    error: str | None
    n_pages: int
    n_chunks: int


@dataclass(frozen=True)
class StoredChunk:
    id: int
    document: str
    document_path: str
    text: str
    html: str
    spans: list[ChunkSpan]


class Store:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.db = sqlite3.connect(path, timeout=30, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self._df_cache: dict[str, int] = {}
        self._migrate()

    def close(self) -> None:
        self.db.close()

    def _migrate(self) -> None:
        version = int(self.db.execute("PRAGMA user_version").fetchone()[0])
        for i, sql in enumerate(MIGRATIONS[version:], start=version + 1):
            self.db.execute("BEGIN IMMEDIATE")
            try:
                # Another process may have migrated between our read and the lock.
                if int(self.db.execute("PRAGMA user_version").fetchone()[0]) >= i:
                    self.db.execute("COMMIT")
                    continue
                for statement in _statements(sql):
                    self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version={i}")
                self.db.execute("COMMIT")
            except BaseException:
                self._rollback()
                raise

    def _rollback(self) -> None:
        # SQLite ends a transaction itself on some errors (SQLITE_FULL): ROLLBACK would then fail
        # and hide the real error.
        if self.db.in_transaction:
            self.db.execute("ROLLBACK")

    # -- documents -------------------------------------------------------------------------

    def has_ok_document(self, sha256: str) -> bool:
        """Stored whole: a document stored with page errors is converted again on the next run."""
        row = self.db.execute("SELECT status, error FROM documents WHERE sha256=?", (sha256,)).fetchone()
        return row is not None and row[0] == "ok" and row[1] is None

    def cached_vectors(self, hashes: list[str], model: str) -> dict[str, np.ndarray]:
        """Embeddings already computed for identical chunk text with the same model."""
        out: dict[str, np.ndarray] = {}
        for h in set(hashes):
            row = self.db.execute(
                "SELECT e.vector FROM chunks c JOIN embeddings e ON e.chunk_id=c.id "
                "WHERE c.content_hash=? AND e.model=? LIMIT 1",
                (h, model),
            ).fetchone()
            if row:
                out[h] = np.frombuffer(row[0], dtype=np.float32)
        return out

    def put_document(
        self, doc: Document, path: str, chunks: list[Chunk], vectors: np.ndarray, model: str, error: str | None = None
    ) -> int:
        """Replace whatever this path or content held before with the new document, atomically."""
        part = DocumentPart(pages=doc.pages, body=doc.body, furniture=doc.furniture).model_dump_json().encode()
        chunk_vectors = zip(chunks, vectors, strict=True)
        return self.put_document_stream(doc.header(), path, len(doc.pages), [part], chunk_vectors, model, error)

    def put_document_stream(
        self,
        header: Document,
        path: str,
        n_pages: int,
        parts_json: Iterable[bytes],
        chunks: Iterable[tuple[Chunk, np.ndarray]],
        model: str,
        error: str | None = None,
    ) -> int:
        """put_document for a document read part by part (from spools): one transaction all the same.

        parts_json: each DocumentPart's JSON, stored as given (a spool's frames need no re-parsing).
        """
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.execute("DELETE FROM documents WHERE path=? OR sha256=?", (path, header.id))
            cur = self.db.execute(
                "INSERT INTO documents(sha256, path, name, mime, status, error, n_pages, doc_json, updated_at)"
                " VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    header.id,
                    path,
                    header.name,
                    header.mime,
                    "ok",
                    error,
                    n_pages,
                    zlib.compress(header.model_dump_json().encode()),
                    time.time(),
                ),
            )
            doc_row = int(cur.lastrowid or 0)
            for seq, part in enumerate(parts_json):
                self.db.execute(
                    "INSERT INTO document_parts(document_id, seq, part) VALUES (?,?,?)",
                    (doc_row, seq, zlib.compress(part)),
                )
            for chunk, vec in chunks:
                c = self.db.execute(
                    "INSERT INTO chunks(document_id, seq, text, html, heading, spans, content_hash)"
                    " VALUES (?,?,?,?,?,?,?)",
                    (
                        doc_row,
                        chunk.seq,
                        chunk.text,
                        chunk.html,
                        chunk.heading,
                        json.dumps([s.model_dump() for s in chunk.spans]),
                        chunk.content_hash,
                    ),
                )
                self.db.execute(
                    "INSERT INTO embeddings(chunk_id, model, vector) VALUES (?,?,?)",
                    (c.lastrowid, model, np.asarray(vec, dtype=np.float32).tobytes()),
                )
            self.db.execute("COMMIT")
            return doc_row
        except BaseException:
            self._rollback()
            raise

    def put_failure(self, sha256: str, path: str, name: str, error: str) -> None:
        """Record a failed file without touching a good earlier version of the same path."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            ok = self.db.execute(
                "SELECT 1 FROM documents WHERE (path=? OR sha256=?) AND status='ok'", (path, sha256)
            ).fetchone()
            if not ok:
                self.db.execute("DELETE FROM documents WHERE path=? OR sha256=?", (path, sha256))
                self.db.execute(
                    "INSERT INTO documents(sha256, path, name, status, error, updated_at) VALUES (?,?,?,?,?,?)",
                    (sha256, path, name, "error", error, time.time()),
                )
            self.db.execute("COMMIT")
        except BaseException:
            self._rollback()
            raise

    def remove(self, key: str) -> list[str]:
        """Delete documents by path, file name or sha256 prefix (≥ 8 chars); returns their paths."""
        rows = self.db.execute(
            "SELECT id, path FROM documents WHERE path=? OR name=? OR (length(?) >= 8 AND sha256 LIKE ? || '%')",
            (key, key, key, key),
        ).fetchall()
        if rows:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                self.db.executemany("DELETE FROM documents WHERE id=?", [(r[0],) for r in rows])
                self.db.execute("COMMIT")
            except BaseException:
                self._rollback()
                raise
        return [r[1] for r in rows]

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """One read transaction: everything read inside sees the same committed state."""
        self.db.execute("BEGIN DEFERRED")
        try:
            yield
        finally:
            self.db.execute("COMMIT")

    def filtered_chunk_ids(self, flt: SearchFilter) -> list[int]:
        where, args = flt.sql()
        rows = self.db.execute(
            f"SELECT c.id FROM chunks c JOIN documents d ON d.id=c.document_id WHERE {where}", args
        ).fetchall()
        return [r[0] for r in rows]

    def vectors_for(self, ids: list[int], model: str) -> tuple[list[int], np.ndarray]:
        out_ids: list[int] = []
        vecs: list[np.ndarray] = []
        for start in range(0, len(ids), 500):
            part = ids[start : start + 500]
            marks = ",".join("?" * len(part))
            for cid, blob in self.db.execute(
                f"SELECT chunk_id, vector FROM embeddings WHERE model=? AND chunk_id IN ({marks})", [model, *part]
            ):
                out_ids.append(cid)
                vecs.append(np.frombuffer(blob, dtype=np.float32))
        return out_ids, (np.vstack(vecs) if vecs else np.zeros((0, 0), dtype=np.float32))

    def log_ask(self, entry: AskLog) -> None:
        self.db.execute(
            "INSERT INTO asks(at, question, answer, mode, model, route, grounded, chunk_ids, latency_s,"
            " prompt_tokens, completion_tokens) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (
                time.time(),
                entry.question,
                entry.answer,
                entry.mode,
                entry.model,
                entry.route,
                int(entry.grounded),
                json.dumps(entry.chunk_ids),
                entry.latency_s,
                entry.prompt_tokens,
                entry.completion_tokens,
            ),
        )

    def asks(self, limit: int = 20) -> list[dict[str, object]]:
        cur = self.db.execute("SELECT * FROM asks ORDER BY id DESC LIMIT ?", (limit,))
        names = [d[0] for d in cur.description]
        rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
        for r in rows:
            r["chunk_ids"] = json.loads(str(r["chunk_ids"]))
            r["grounded"] = bool(r["grounded"])
        return rows

    def documents(self) -> list[DocumentRow]:
        rows = self.db.execute(
            "SELECT d.id, d.sha256, d.path, d.name, d.status, d.error, d.n_pages,"
            " (SELECT COUNT(*) FROM chunks c WHERE c.document_id=d.id) FROM documents d ORDER BY d.path"
        ).fetchall()
        return [DocumentRow(*r) for r in rows]

    def _get_document(self, sha256_or_name: str) -> Document | None:
        row = self.db.execute(
            "SELECT id, doc_json FROM documents WHERE (sha256=? OR name=? OR path=?) AND doc_json IS NOT NULL",
            (sha256_or_name, sha256_or_name, sha256_or_name),
        ).fetchone()
        if row is None:
            return None
        doc = Document.model_validate_json(zlib.decompress(row[1]))
        for (part,) in self.db.execute("SELECT part FROM document_parts WHERE document_id=? ORDER BY seq", (row[0],)):
            doc.extend(DocumentPart.model_validate_json(zlib.decompress(part)))
        return doc

    def get_document(self, sha256_or_name: str) -> Document | None:
        if self.db.in_transaction:
            return self._get_document(sha256_or_name)
        with self.snapshot():  # the header and its parts from the same commit
            return self._get_document(sha256_or_name)

    # -- chunks ----------------------------------------------------------------------------

    def chunks(self, ids: list[int]) -> dict[int, StoredChunk]:
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = self.db.execute(
            f"SELECT c.id, d.name, d.path, c.text, c.html, c.spans FROM chunks c "
            f"JOIN documents d ON d.id=c.document_id WHERE c.id IN ({marks})",
            ids,
        ).fetchall()
        return {
            r[0]: StoredChunk(r[0], r[1], r[2], r[3], r[4], [ChunkSpan(**s) for s in json.loads(r[5])]) for r in rows
        }

    def _doc_freq(self, token: str) -> int:
        if token not in self._df_cache:
            row = self.db.execute("SELECT doc FROM chunks_vocab WHERE term=?", (token,)).fetchone()
            self._df_cache[token] = int(row[0]) if row else 0
        return self._df_cache[token]

    def query_terms(self, query: str) -> list[str]:
        """The query's words worth matching: no stopwords, none that most chunks contain."""
        words = [w.strip("\"'?!.,;:()") for w in query.split()]
        words = [w for w in words if w and w.lower() not in STOPWORDS and fts_tokens(w)]
        n = int(self.db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0])
        if n < 1000:  # small stores: every word is cheap to match
            return words
        return [w for w in words if min(self._doc_freq(t) for t in fts_tokens(w)) <= COMMON_SHARE * n]

    def keyword_search(self, query: str, k: int, flt: SearchFilter | None = None) -> list[int]:
        """BM25 over chunk text; the query's words are quoted so no FTS syntax leaks in."""
        terms = self.query_terms(query)
        if not terms:
            return []
        return self._fts(" OR ".join('"' + t.replace('"', "") + '"' for t in terms), k, flt)

    def _fts(self, match: str, k: int, flt: SearchFilter | None) -> list[int]:
        if flt is None or flt.empty:
            # Only stored documents have chunks, so no join is needed: FTS5 ranks and stops at k.
            rows = self.db.execute(
                "SELECT rowid FROM chunks_fts WHERE chunks_fts MATCH ? ORDER BY bm25(chunks_fts) LIMIT ?", (match, k)
            ).fetchall()
        else:
            where, args = flt.sql()
            rows = self.db.execute(
                "SELECT f.rowid FROM chunks_fts f JOIN chunks c ON c.id=f.rowid JOIN documents d ON d.id=c.document_id"
                f" WHERE chunks_fts MATCH ? AND {where} ORDER BY bm25(chunks_fts) LIMIT ?",
                (match, *args, k),
            ).fetchall()
        return [r[0] for r in rows]

    def phrase_search(self, phrases: list[str], k: int, flt: SearchFilter | None = None) -> list[int]:
        """Chunks holding every given phrase verbatim (as FTS phrases), best BM25 first."""
        cleaned = [p.replace('"', "") for p in phrases if p.strip('"')]
        if not cleaned:
            return []
        try:
            return self._fts(" AND ".join(f'"{p}"' for p in cleaned), k, flt)
        except sqlite3.OperationalError:
            return []  # a phrase FTS cannot parse: no exact hits rather than an error

    def iter_chunk_texts(self) -> Iterator[tuple[int, str]]:
        yield from self.db.execute("SELECT id, text FROM chunks ORDER BY id")

    def replace_embeddings(self, items: list[tuple[int, np.ndarray]], model: str) -> None:
        """Swap vectors to another model in one transaction (a crash leaves the old ones)."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.execute("DELETE FROM embeddings")
            self.db.executemany(
                "INSERT INTO embeddings(chunk_id, model, vector) VALUES (?,?,?)",
                [(cid, model, np.asarray(v, dtype=np.float32).tobytes()) for cid, v in items],
            )
            self.db.execute("COMMIT")
        except BaseException:
            self._rollback()
            raise

    def iter_embeddings(self, model: str) -> Iterator[tuple[int, np.ndarray]]:
        for cid, blob in self.db.execute(
            "SELECT chunk_id, vector FROM embeddings WHERE model=? ORDER BY chunk_id", (model,)
        ):
            yield cid, np.frombuffer(blob, dtype=np.float32)

    def embedding_state(self) -> tuple[int, int, set[str]]:
        """(count, max chunk id, models): what the FAISS index must match."""
        count, top = self.db.execute("SELECT COUNT(*), COALESCE(MAX(chunk_id), 0) FROM embeddings").fetchone()
        models = {r[0] for r in self.db.execute("SELECT DISTINCT model FROM embeddings")}
        return int(count), int(top), models


def _statements(sql: str) -> list[str]:
    """Split a migration into statements, keeping trigger bodies whole."""
    out: list[str] = []
    buf = ""
    for part in sql.split(";"):
        buf += part + ";"
        if sqlite3.complete_statement(buf):
            if buf.strip(" \n;"):
                out.append(buf.strip())
            buf = ""
    return out
