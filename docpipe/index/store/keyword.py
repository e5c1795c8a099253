"""Keyword search: FTS5 BM25 over chunk text, for the query's words or for verbatim phrases."""

from __future__ import annotations

import sqlite3

from docpipe.index.records import SearchFilter
from docpipe.index.store.db import Database
from docpipe.index.store.filters import filter_sql
from docpipe.index.terms import STOPWORDS, fts_tokens

COMMON_SHARE = 0.2  # a word in more than this share of chunks ranks nothing: left out of keyword queries
SMALL_STORE = 1000  # chunks below which every word is cheap to match


class KeywordSearch:
    def __init__(self, db: Database) -> None:
        self.db = db
        # Lives as long as the Store: frequencies only decide which words are too common to match.
        self._df_cache: dict[str, int] = {}

    def _doc_freq(self, token: str) -> int:
        if token not in self._df_cache:
            row = self.db.con.execute("SELECT doc FROM chunks_vocab WHERE term=?", (token,)).fetchone()
            self._df_cache[token] = int(row[0]) if row else 0
        return self._df_cache[token]

    def terms(self, query: str) -> list[str]:
        """The query's words worth matching: no stopwords, none that most chunks contain."""
        words = [w.strip("\"'?!.,;:()") for w in query.split()]
        words = [w for w in words if w and w.lower() not in STOPWORDS and fts_tokens(w)]
        n = int(self.db.con.execute("SELECT COUNT(*) FROM chunks").fetchone()[0])
        if n < SMALL_STORE:
            return words
        return [w for w in words if min(self._doc_freq(t) for t in fts_tokens(w)) <= COMMON_SHARE * n]

    def search(self, query: str, k: int, flt: SearchFilter | None = None) -> list[int]:
        """Chunk ids by BM25; the query's words are quoted so no FTS syntax leaks in."""
        terms = self.terms(query)
        if not terms:
            return []
        return self._fts(" OR ".join('"' + t.replace('"', "") + '"' for t in terms), k, flt)

    def phrases(self, phrases: list[str], k: int, flt: SearchFilter | None = None) -> list[int]:
        """Chunks holding every given phrase verbatim (as FTS phrases), best BM25 first."""
        cleaned = [p.replace('"', "") for p in phrases if p.strip('"')]
        if not cleaned:
            return []
        try:
            return self._fts(" AND ".join(f'"{p}"' for p in cleaned), k, flt)
        except sqlite3.OperationalError:
            return []  # a phrase FTS cannot parse: no exact hits rather than an error

    def _fts(self, match: str, k: int, flt: SearchFilter | None) -> list[int]:
        if flt is None or flt.empty:
            # Only stored documents have chunks, so no join is needed: FTS5 ranks and stops at k.
            rows = self.db.con.execute(
                "SELECT rowid FROM chunks_fts WHERE chunks_fts MATCH ? ORDER BY bm25(chunks_fts) LIMIT ?", (match, k)
            ).fetchall()
        else:
            where, args = filter_sql(flt)
            rows = self.db.con.execute(
                "SELECT f.rowid FROM chunks_fts f JOIN chunks c ON c.id=f.rowid JOIN documents d ON d.id=c.document_id"
                f" WHERE chunks_fts MATCH ? AND {where} ORDER BY bm25(chunks_fts) LIMIT ?",
                (match, *args, k),
            ).fetchall()
        return [r[0] for r in rows]

    def documents_with(self, phrase: str) -> set[str]:
        """Names of the stored documents whose text or file name holds `phrase` (as FTS tokens)."""
        tokens = fts_tokens(phrase)
        if not tokens:
            return set()
        try:
            rows = self.db.con.execute(
                "SELECT DISTINCT d.name FROM chunks_fts f JOIN chunks c ON c.id=f.rowid "
                "JOIN documents d ON d.id=c.document_id WHERE chunks_fts MATCH ?",
                ('"' + " ".join(tokens) + '"',),
            ).fetchall()
        except sqlite3.OperationalError:
            rows = []
        names = {str(r[0]) for r in rows}
        for (name,) in self.db.con.execute("SELECT name FROM documents WHERE status='ok'").fetchall():
            if all(t in fts_tokens(str(name)) for t in tokens):
                names.add(str(name))
        return names

    def document_count(self) -> int:
        return int(self.db.con.execute("SELECT COUNT(*) FROM documents WHERE status='ok'").fetchone()[0])
