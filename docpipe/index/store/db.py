"""The SQLite connection: opened in WAL mode and migrated; the one place transactions begin and end.

WAL lets readers see a consistent snapshot while an ingest writes; each write is one
BEGIN IMMEDIATE … COMMIT, so what it writes is stored whole or not at all (kill -9 safe).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from docpipe.index.store.migrations import MIGRATIONS, statements


class Database:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        # isolation_level=None: the sqlite3 module opens no transactions behind our back.
        self.con = sqlite3.connect(path, timeout=30, isolation_level=None)
        self.con.execute("PRAGMA journal_mode=WAL")
        self.con.execute("PRAGMA foreign_keys=ON")
        self.con.execute("PRAGMA synchronous=NORMAL")
        self._migrate()

    def close(self) -> None:
        self.con.close()

    @property
    def in_transaction(self) -> bool:
        return self.con.in_transaction

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken up front (IMMEDIATE) so it never fails half-way on a lock."""
        self.con.execute("BEGIN IMMEDIATE")
        try:
            yield self.con
            self.con.execute("COMMIT")
        except BaseException:
            # SQLite ends a transaction itself on some errors (SQLITE_FULL): ROLLBACK would then
            # fail and hide the real error.
            if self.con.in_transaction:
                self.con.execute("ROLLBACK")
            raise

    @contextmanager
    def snapshot(self) -> Iterator[sqlite3.Connection]:
        """One read transaction: everything read inside sees the same committed state."""
        self.con.execute("BEGIN DEFERRED")
        try:
            yield self.con
        finally:
            self.con.execute("COMMIT")

    def _version(self) -> int:
        return int(self.con.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        version = self._version()
        for i, sql in enumerate(MIGRATIONS[version:], start=version + 1):
            with self.write() as con:
                # Another process may have migrated between our read and the lock.
                if self._version() >= i:
                    continue
                for statement in statements(sql):
                    con.execute(statement)
                con.execute(f"PRAGMA user_version={i}")
