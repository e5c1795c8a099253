"""Documents as stored: the header and its parts, chunks with their vectors, failures.

One transaction per document, so a document is either fully stored or absent.
"""

from __future__ import annotations

import contextlib
import json
import time
import zlib
from collections.abc import Iterable, Iterator, Sequence

import numpy as np
from pydantic import TypeAdapter, ValidationError

from docpipe.document import SCHEMA_VERSION, Document, DocumentPart
from docpipe.errors import ConversionError, SchemaVersionError, StoreError
from docpipe.index.chunking import Chunk, ChunkSpan
from docpipe.index.records import DocumentRow, SearchFilter, StoredChunk
from docpipe.index.store.db import Database
from docpipe.index.store.filters import filter_sql

_ERRORS = TypeAdapter(list[ConversionError])


class Documents:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- writing ---------------------------------------------------------------------------

    def has_ok(self, sha256: str) -> bool:
        """Stored whole: a document stored with page errors is converted again on the next run."""
        row = self.db.con.execute("SELECT status, error FROM documents WHERE sha256=?", (sha256,)).fetchone()
        return row is not None and row[0] == "ok" and row[1] is None

    def put(
        self,
        doc: Document,
        path: str,
        chunks: list[Chunk],
        vectors: np.ndarray,
        model: str,
        error: str | None = None,
        errors: Sequence[ConversionError] = (),
    ) -> int:
        """Replace whatever this path or content held before with the new document, atomically."""
        part = DocumentPart(pages=doc.pages, body=doc.body, furniture=doc.furniture).model_dump_json().encode()
        chunk_vectors = zip(chunks, vectors, strict=True)
        return self.put_stream(doc.header(), path, len(doc.pages), [part], chunk_vectors, model, error, errors)

    def put_stream(
        self,
        header: Document,
        path: str,
        n_pages: int,
        parts_json: Iterable[bytes],
        chunks: Iterable[tuple[Chunk, np.ndarray]],
        model: str,
        error: str | None = None,
        errors: Sequence[ConversionError] = (),
    ) -> int:
        """put for a document read part by part (from spools): one transaction all the same.

        parts_json: each DocumentPart's JSON, stored as given (a spool's frames need no re-parsing).
        error: the one-line message `docpipe ls` shows; errors: the same, structured.
        """
        with self.db.write() as con:
            con.execute("DELETE FROM documents WHERE path=? OR sha256=?", (path, header.id))
            cur = con.execute(
                "INSERT INTO documents(sha256, path, name, mime, status, error, errors, n_pages, doc_json, updated_at)"
                " VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    header.id,
                    path,
                    header.name,
                    header.mime,
                    "ok",
                    error,
                    _errors_json(errors),
                    n_pages,
                    zlib.compress(header.model_dump_json().encode()),
                    time.time(),
                ),
            )
            doc_row = int(cur.lastrowid or 0)
            for seq, part in enumerate(parts_json):
                con.execute(
                    "INSERT INTO document_parts(document_id, seq, part) VALUES (?,?,?)",
                    (doc_row, seq, zlib.compress(part)),
                )
            for chunk, vec in chunks:
                c = con.execute(
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
                con.execute(
                    "INSERT INTO embeddings(chunk_id, model, vector) VALUES (?,?,?)",
                    (c.lastrowid, model, np.asarray(vec, dtype=np.float32).tobytes()),
                )
        return doc_row

    def put_failure(
        self, sha256: str, path: str, name: str, error: str, errors: Sequence[ConversionError] = ()
    ) -> None:
        """Record a failed file without touching a good earlier version of the same path."""
        with self.db.write() as con:
            ok = con.execute(
                "SELECT 1 FROM documents WHERE (path=? OR sha256=?) AND status='ok'", (path, sha256)
            ).fetchone()
            if not ok:
                con.execute("DELETE FROM documents WHERE path=? OR sha256=?", (path, sha256))
                con.execute(
                    "INSERT INTO documents(sha256, path, name, status, error, errors, updated_at)"
                    " VALUES (?,?,?,?,?,?,?)",
                    (sha256, path, name, "error", error, _errors_json(errors), time.time()),
                )

    def remove(self, key: str) -> list[str]:
        """Delete documents by path, file name or sha256 prefix (≥ 8 chars), and the documents
        attached to them (a mail's attachments, stored with the mail as parent); returns their paths."""
        rows = self.db.con.execute(
            "SELECT id, path, sha256 FROM documents"
            " WHERE path=? OR name=? OR (length(?) >= 8 AND sha256 LIKE ? || '%')",
            (key, key, key, key),
        ).fetchall()
        if rows:
            rows += self._attached_to({r[2] for r in rows}, {r[0] for r in rows})
            with self.db.write() as con:
                con.executemany("DELETE FROM documents WHERE id=?", [(r[0],) for r in rows])
        return [r[1] for r in rows]

    def _attached_to(self, parents: set[str], known: set[int]) -> list[tuple[int, str, str]]:
        """The documents whose header names one of `parents` as its parent, and theirs in turn
        (a mail forwarded inside a mail). Headers are small, so they are read rather than indexed."""
        children: dict[str, list[tuple[int, str, str]]] = {}
        for doc_id, path, sha256, header in self.db.con.execute(
            "SELECT id, path, sha256, doc_json FROM documents WHERE doc_json IS NOT NULL"
        ):
            with contextlib.suppress(zlib.error, ValueError):
                parent = json.loads(zlib.decompress(header)).get("parent")
                if parent:
                    children.setdefault(parent, []).append((doc_id, path, sha256))
        found: list[tuple[int, str, str]] = []
        todo = list(parents)
        while todo:
            for row in children.get(todo.pop(), []):
                if row[0] not in known:
                    known.add(row[0])
                    found.append(row)
                    todo.append(row[2])
        return found

    # -- reading ---------------------------------------------------------------------------

    def rows(self) -> list[DocumentRow]:
        """Every stored document and failure, by path."""
        rows = self.db.con.execute(
            "SELECT d.id, d.sha256, d.path, d.name, d.status, d.error, d.n_pages,"
            " (SELECT COUNT(*) FROM chunks c WHERE c.document_id=d.id), d.errors FROM documents d ORDER BY d.path"
        ).fetchall()
        return [DocumentRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], _ERRORS.validate_json(r[8])) for r in rows]

    def get(self, sha256_or_name: str) -> Document | None:
        """The whole document by sha256, file name or path; None if no such document is stored."""
        if self.db.in_transaction:
            return self._get(sha256_or_name)
        with self.db.snapshot():  # the header and its parts from the same commit
            return self._get(sha256_or_name)

    def _get(self, key: str) -> Document | None:
        row = self.db.con.execute(
            "SELECT id, name, doc_json FROM documents WHERE (sha256=? OR name=? OR path=?) AND doc_json IS NOT NULL",
            (key, key, key),
        ).fetchone()
        if row is None:
            return None
        doc_id, name, header = row
        try:
            doc = Document.model_validate_json(zlib.decompress(header))
            for (part,) in self.db.con.execute(
                "SELECT part FROM document_parts WHERE document_id=? ORDER BY seq", (doc_id,)
            ):
                doc.extend(DocumentPart.model_validate_json(zlib.decompress(part)))
        except SchemaVersionError as e:
            # Named as the user knows it: the row's file name and the store it is in.
            raise SchemaVersionError.newer(f"{name} in {self.db.path}", e.found, SCHEMA_VERSION) from None
        except (ValidationError, zlib.error) as e:
            raise StoreError(f"{name} in {self.db.path} cannot be read ({_first_line(e)})") from None
        return doc

    def chunks(self, ids: list[int]) -> dict[int, StoredChunk]:
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = self.db.con.execute(
            f"SELECT c.id, d.name, d.path, c.text, c.html, c.spans FROM chunks c "
            f"JOIN documents d ON d.id=c.document_id WHERE c.id IN ({marks})",
            ids,
        ).fetchall()
        return {
            r[0]: StoredChunk(r[0], r[1], r[2], r[3], r[4], [ChunkSpan(**s) for s in json.loads(r[5])]) for r in rows
        }

    def chunk_ids(self, flt: SearchFilter) -> list[int]:
        """Chunks of the documents the filter lets through."""
        where, args = filter_sql(flt)
        rows = self.db.con.execute(
            f"SELECT c.id FROM chunks c JOIN documents d ON d.id=c.document_id WHERE {where}", args
        ).fetchall()
        return [r[0] for r in rows]

    def reading_texts(self) -> Iterator[tuple[str, str, list[str]]]:
        """(sha256, name, chunk texts in reading order) of every stored document with chunks, by path."""
        rows = self.db.con.execute(
            "SELECT d.sha256, d.name, c.text FROM chunks c JOIN documents d ON d.id=c.document_id"
            " WHERE d.status='ok' ORDER BY d.path, c.seq"
        )
        current: tuple[str, str, list[str]] | None = None
        for sha, name, text in rows:
            if current is None or current[0] != sha:
                if current is not None:
                    yield current
                current = (sha, name, [])
            current[2].append(text)
        if current is not None:
            yield current

    def chunk_texts(self) -> Iterator[tuple[int, str]]:
        yield from self.db.con.execute("SELECT id, text FROM chunks ORDER BY id")


def _errors_json(errors: Sequence[ConversionError]) -> str:
    return _ERRORS.dump_json(list(errors)).decode()


def _first_line(e: Exception) -> str:
    return str(e).splitlines()[0] if str(e) else type(e).__name__
