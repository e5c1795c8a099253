"""The job's output folder: append-only results.jsonl plus a manifest of finished documents.

Every record is one JSON line, flushed and fsynced before its manifest line is written, so a
job killed at any instant (kill -9, power loss) leaves at most one torn last line. Opening the
folder again repairs it: torn lines are dropped, error records are dropped so those files are
retried, and the manifest is reconciled with the results (a record whose manifest line was
lost gets it back). Each document therefore ends up in results.jsonl exactly once.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from docpipe.errors import LockedError
from docpipe.parse.load import file_sha256

RESULTS = "results.jsonl"
MANIFEST = "manifest.jsonl"
LOCK = ".extract.lock"


class JobLockedError(LockedError):
    pass


def _valid_lines(path: Path) -> Iterator[dict[str, Any]]:
    """Whole JSON objects, one a line; a torn or garbled line is skipped."""
    if not path.exists():
        return
    with path.open("rb") as f:
        for raw in f:
            if not raw.endswith(b"\n"):
                return  # torn last line: the write never finished
            try:
                obj = json.loads(raw)
            except ValueError:
                continue
            if isinstance(obj, dict):
                yield obj


def _rewrite(path: Path, rows: Iterator[dict[str, Any]]) -> None:
    """Replace `path` atomically with `rows`, streamed."""
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


class ResultsLog:
    """Opened once per job; holds the done set (sha256 and source), never the records."""

    def __init__(self, out_dir: Path, *, force: bool = False) -> None:
        self.out_dir = out_dir
        out_dir.mkdir(parents=True, exist_ok=True)
        self._lock = (out_dir / LOCK).open("w")
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.close()
            raise JobLockedError(f"{out_dir}: another extract job is writing here") from None
        self.results_path = out_dir / RESULTS
        self.manifest_path = out_dir / MANIFEST
        if force:
            self.results_path.unlink(missing_ok=True)
            self.manifest_path.unlink(missing_ok=True)
        self.done_sha: set[str] = set()
        self.done_sources: set[str] = set()
        self.kept = 0  # ok records carried over from earlier runs
        self._repair()
        self._results: IO[str] = self.results_path.open("a", encoding="utf-8")
        self._manifest: IO[str] = self.manifest_path.open("a", encoding="utf-8")

    def _repair(self) -> None:
        kept_sources: list[str] = []

        def ok_records() -> Iterator[dict[str, Any]]:
            for rec in _valid_lines(self.results_path):
                if rec.get("status") == "ok" and isinstance(rec.get("source"), str):
                    kept_sources.append(rec["source"])
                    yield rec

        if self.results_path.exists():
            _rewrite(self.results_path, ok_records())
        self.done_sources = set(kept_sources)
        self.kept = len(kept_sources)
        by_source = {
            m["source"]: m["sha256"]
            for m in _valid_lines(self.manifest_path)
            if m.get("source") in self.done_sources and isinstance(m.get("sha256"), str)
        }
        for source in kept_sources:  # killed between the record and its manifest line
            if source not in by_source and Path(source).is_file():
                by_source[source] = file_sha256(Path(source))
        _rewrite(self.manifest_path, iter({"sha256": s, "source": src} for src, s in by_source.items()))
        self.done_sha = set(by_source.values())

    def is_done(self, sha256: str) -> bool:
        return sha256 in self.done_sha

    def append(self, record_json: str, sha256: str, source: str) -> None:
        """The record line first, durable, then its manifest line."""
        for f, line in (
            (self._results, record_json),
            (self._manifest, json.dumps({"sha256": sha256, "source": source}, ensure_ascii=False)),
        ):
            f.write(line + "\n")
            f.flush()
            os.fsync(f.fileno())
        self.done_sha.add(sha256)
        self.done_sources.add(source)

    def append_error(self, record_json: str) -> None:
        """An error record: in the results for the user, not in the manifest, so it is retried."""
        self._results.write(record_json + "\n")
        self._results.flush()
        os.fsync(self._results.fileno())

    def records(self) -> Iterator[dict[str, Any]]:
        """Every record written so far, streamed from disk."""
        self._results.flush()
        return _valid_lines(self.results_path)

    def close(self) -> None:
        self._results.close()
        self._manifest.close()
        self._lock.close()

    def __enter__(self) -> ResultsLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
