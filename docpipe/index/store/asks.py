"""The ask log: every question asked, what answered it and from which chunks."""

from __future__ import annotations

import json
import time

from docpipe.index.records import AskLog
from docpipe.index.store.db import Database


class Asks:
    def __init__(self, db: Database) -> None:
        self.db = db

    def add(self, entry: AskLog) -> None:
        with self.db.write() as con:
            con.execute(
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

    def recent(self, limit: int = 20) -> list[dict[str, object]]:
        """The latest `limit` entries, newest first, as `docpipe log --json` prints them."""
        cur = self.db.con.execute("SELECT * FROM asks ORDER BY id DESC LIMIT ?", (limit,))
        names = [d[0] for d in cur.description]
        rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
        for r in rows:
            r["chunk_ids"] = json.loads(str(r["chunk_ids"]))
            r["grounded"] = bool(r["grounded"])
        return rows
