"""The store's schema as a list of migrations, applied in order and tracked in PRAGMA user_version.

Never edit a migration that has shipped: add the next one.
"""

from __future__ import annotations

import sqlite3

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
    # Structured conversion errors (docpipe.errors.ConversionError as JSON objects) beside the
    # one-line `error` message; rows from before it read as no structured errors.
    "ALTER TABLE documents ADD COLUMN errors TEXT NOT NULL DEFAULT '[]';",
]


def statements(sql: str) -> list[str]:
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
