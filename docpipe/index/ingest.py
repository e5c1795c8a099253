"""Ingest files into a home: convert, chunk, embed, store; one transaction per document."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import shutil
import sqlite3
import time
from collections.abc import Callable, Generator, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from docpipe.config import Home
from docpipe.document import ConversionResult, ConversionStatus
from docpipe.errors import ConversionError, DiskFullError, LockedError, shown
from docpipe.index.chunking import Chunk
from docpipe.index.embed import Embedder
from docpipe.index.prepare import Prepared, PrepareInWorker, chunk_spool_for, prepare
from docpipe.index.store import Store
from docpipe.index.vectors import EmbeddingModelMismatch, VectorIndex
from docpipe.options import EngineOptions, Limits
from docpipe.parse.converter import DocumentConverter
from docpipe.parse.load import SUPPORTED_SUFFIXES, LoadError, file_sha256
from docpipe.parse.load.office.mail import attachments
from docpipe.parse.load.sniff import EML
from docpipe.parse.spool import iter_frames, read_header, read_part_json
from docpipe.runtime import trace


@dataclass(frozen=True)
class FileOutcome:
    path: str
    status: Literal["ingested", "skipped", "failed"]
    errors: list[ConversionError] = field(default_factory=list)
    pages: int = 0
    chunks: int = 0
    seconds: float = 0.0

    @property
    def error(self) -> str | None:
        """The one-line messages joined, as stored and printed; None when nothing went wrong."""
        return "; ".join(map(str, self.errors)) or None


@dataclass(frozen=True)
class _Job:
    """A file to convert and store: where it is, its key and hash, its spools."""

    path: Path
    key: str
    digest: str
    doc_spool: Path
    chunk_spool: Path
    t0: float
    parent: str | None = None  # the mail a stored attachment came from


@dataclass(frozen=True)
class _Copy:
    """A file with the same content as an earlier one of the same run: converted once."""

    path: str
    digest: str
    first: str

    def outcome(self, store: Store) -> FileOutcome:
        if store.documents.has_ok(self.digest):
            return FileOutcome(self.path, "skipped")
        why = f"same content as {self.first}, which could not be ingested"
        return FileOutcome(self.path, "failed", [ConversionError(source=self.path, stage="load", message=why)])


class IngestLockedError(LockedError):
    """Another ingest (or index rebuild, or rm) is writing to this home."""


def _is_disk_full(e: BaseException) -> bool:
    if isinstance(e, sqlite3.OperationalError):
        # SQLITE_FULL, or SQLITE_IOERR when the WAL write itself is refused (ENOSPC, EFBIG)
        return "full" in str(e) or "disk I/O error" in str(e)
    return isinstance(e, OSError) and e.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT)


def discover(paths: Iterable[Path]) -> tuple[list[Path], list[FileOutcome]]:
    """Files named directly, and supported files found in folders (symlink loops skipped)."""
    found: list[Path] = []
    problems: list[FileOutcome] = []
    seen: set[Path] = set()
    for p in paths:
        if p.is_dir():
            for root, dirs, files in os.walk(p, followlinks=False):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    f = Path(root) / name
                    if not name.startswith(".") and f.suffix.lower() in SUPPORTED_SUFFIXES:
                        found.append(f)
        elif p.exists():
            found.append(p)
        else:
            missing = ConversionError(source=shown(p), stage="load", message="no such file or folder")
            problems.append(FileOutcome(shown(p), "failed", [missing]))
    unique: list[Path] = []
    for f in found:
        key = f.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique, problems


@contextmanager
def ingest_lock(home: Home) -> Iterator[None]:
    home.root.mkdir(parents=True, exist_ok=True)
    with home.ingest_lock.open("a+") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise IngestLockedError(f"another docpipe ingest is writing to {home}; wait for it to finish") from None
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


class Ingestor:
    def __init__(
        self,
        home: Home | Path,
        converter: DocumentConverter,
        embedder: Embedder,
        chunk_tokens: int = 200,
        limits: Limits | None = None,
        embedder_options: EngineOptions | None = None,
    ) -> None:
        """embedder_options: the options `embedder` was made from. Given, a converter with
        convert_many_then (ParallelConverter) chunks and embeds each document in the worker that
        converted it, and this process only stores; else this process does it all."""
        self.home = home if isinstance(home, Home) else Home(home)
        self.converter = converter
        self.embedder = embedder
        self.chunk_tokens = chunk_tokens
        self.limits = limits or Limits()
        self.embedder_options = embedder_options

    def ingest(self, files: list[Path], on_done: Callable[[FileOutcome], None] | None = None) -> list[FileOutcome]:
        outcomes: list[FileOutcome] = []
        trace("main_start")
        with ingest_lock(self.home):
            store = Store(self.home.store)
            # Spools left by a killed ingest: we hold the lock, so none is in use.
            self.home.spool.mkdir(exist_ok=True)
            for stale in self.home.spool.glob("*"):
                if stale.is_dir():  # the per-worker shard folders of a split document
                    shutil.rmtree(stale, ignore_errors=True)
                else:
                    stale.unlink(missing_ok=True)
            try:
                _, _, models = store.embeddings.state()
                if models and models != {self.embedder.name}:  # refuse before mixing two models' vectors
                    raise EmbeddingModelMismatch(
                        f"{self.home} holds vectors from {', '.join(sorted(models))}, not {self.embedder.name}: "
                        "run `docpipe index rebuild --reembed` first"
                    )
                for outcome in self._run(store, files):
                    outcomes.append(outcome)
                    if on_done:
                        on_done(outcome)
                trace("main_vectors")
                vectors = VectorIndex(self.home, self.embedder.name, self.embedder.dim)
                vectors.load(store, persist=True)  # we hold the ingest lock: the file is ours to write
                trace("main_end")
            except Exception as e:
                if _is_disk_full(e):
                    raise DiskFullError(f"cannot write to {self.home}: disk full or failing ({e})") from e
                raise
            finally:
                with contextlib.suppress(sqlite3.Error):  # closing checkpoints the WAL: may not fit either
                    store.close()
        return outcomes

    def _run(self, store: Store, files: list[Path]) -> Iterator[FileOutcome]:
        """Each file's outcome, in order (a mail's attachments right after it). The files are
        hashed first; a converter with convert_many (ParallelConverter) then converts the next
        documents on its workers while this thread stores the one before (chunked and embedded
        by its worker too, with embedder_options). One document alone goes through convert_to,
        which spreads its pages instead."""
        digests: dict[str, str] = {}
        trace("main_plan")
        plans = [self._plan(store, f, str(i), digests) for i, f in enumerate(files)]
        jobs = [p for p in plans if isinstance(p, _Job)]
        results = self._conversions(jobs, store)
        try:
            for plan in plans:
                if isinstance(plan, FileOutcome):
                    yield plan
                    continue
                if isinstance(plan, _Copy):  # known now: how its first copy in this run ended
                    yield plan.outcome(store)
                    continue
                trace("main_wait", plan.path)
                result, prepared = next(results)
                trace("main_store", plan.path, prepared=prepared is not None)
                outcome, mime = self._store(store, plan, result, prepared)
                trace("main_stored", plan.path)
                yield outcome
                if outcome.status == "ingested" and mime == EML:
                    yield from self._attachments(store, plan)
        finally:
            results.close()  # an interrupted ingest waits here for the conversions in flight
            for job in jobs:
                job.doc_spool.unlink(missing_ok=True)
                job.chunk_spool.unlink(missing_ok=True)

    def _conversions(self, jobs: list[_Job], store: Store) -> Generator[tuple[ConversionResult, Prepared | None]]:
        """Each job's conversion, in order, with its chunk spool when a worker prepared it."""
        specs = ((j.path, j.doc_spool) for j in jobs)
        then: Any = getattr(self.converter, "convert_many_then", None)
        if then is not None and self.embedder_options is not None and len(jobs) > 1:
            step = PrepareInWorker(self.embedder_options, self.chunk_tokens, store.path)
            for _, _, result, prepared in then(specs, step):
                yield result, prepared if isinstance(prepared, Prepared) else None
            return
        convert_many = getattr(self.converter, "convert_many", None)
        if convert_many is not None and len(jobs) > 1:
            for _, _, result in convert_many(specs):
                yield result, None
            return
        for j in jobs:  # converted when asked for: one at a time
            yield self.converter.convert_to(j.path, j.doc_spool), None

    def _attachments(self, store: Store, mail: _Job) -> Iterator[FileOutcome]:
        """Each attachment of a mail just stored, taken out to HOME/attachments/<mail>/<n>/<name>
        and stored as its own document whose parent is the mail."""
        try:
            found = attachments(mail.path, mail.path.read_bytes(), self.limits)
        except (LoadError, OSError):
            return  # the mail itself was read: what its attachments lack is said when each is converted
        for i, a in enumerate(found, start=1):
            # The mail's name for it, made a plain file name (a name is a label, never a path).
            name = "".join(ch if ch.isalnum() or ch in "._- ()" else "_" for ch in a.name).strip(" .")
            folder = self.home.attachments / mail.digest[:16] / str(i)
            folder.mkdir(parents=True, exist_ok=True)
            target = folder / (name[:120] or f"attachment-{i}")
            target.write_bytes(a.data)
            plan = self._plan(store, target, f"{mail.digest[:16]}-{i}", {}, parent=mail.digest)
            if not isinstance(plan, _Job):
                yield plan if isinstance(plan, FileOutcome) else plan.outcome(store)
                continue
            try:
                yield self._store(store, plan, self.converter.convert_to(plan.path, plan.doc_spool))[0]
            finally:
                plan.doc_spool.unlink(missing_ok=True)
                plan.chunk_spool.unlink(missing_ok=True)

    def _plan(
        self, store: Store, path: Path, tag: str, digests: dict[str, str], parent: str | None = None
    ) -> FileOutcome | _Copy | _Job:
        """The outcome when it is known before converting (unreadable, stored already), a copy
        of an earlier file of this run (`digests`: hash -> that file's name), else the job."""
        t0 = time.perf_counter()
        label = shown(path)
        key = shown(path.resolve())
        try:
            digest = file_sha256(path)
        except (LoadError, OSError) as e:
            if isinstance(e, LoadError):
                unreadable = ConversionError(source=e.path, stage="load", message=e.reason)
            else:
                why = f"cannot read file ({e.strerror or e})"
                unreadable = ConversionError(source=label, stage="load", message=why)
            # No content to hash: the failure is keyed by the path so `docpipe ls` still shows it.
            key_hash = "unreadable:" + hashlib.sha256(key.encode()).hexdigest()
            store.documents.put_failure(key_hash, key, shown(path.name), str(unreadable), [unreadable])
            return FileOutcome(label, "failed", [unreadable])
        if digest in digests:
            return _Copy(label, digest, digests[digest])
        if store.documents.has_ok(digest):
            return FileOutcome(label, "skipped")
        digests[digest] = label
        stem = self.home.spool / f"{os.getpid()}-{tag}"
        doc_spool = stem.with_suffix(".document")
        return _Job(path, key, digest, doc_spool, chunk_spool_for(doc_spool), t0, parent)

    def _store(
        self, store: Store, job: _Job, result: ConversionResult, prepared: Prepared | None = None
    ) -> tuple[FileOutcome, str | None]:
        """The converted spool chunked and embedded into a second spool (here, unless its worker
        did it: `prepared`), then both stored in one short transaction: memory stays flat however
        long the document. Also the document's type (None when nothing was stored)."""
        label = shown(job.path)
        error = "; ".join(map(str, result.errors)) or None
        has_text = False
        n_chunks = 0
        if result.status is not ConversionStatus.FAILURE:
            header = read_header(job.doc_spool)
            if prepared is None:
                prepared = prepare(job.doc_spool, self.embedder, self.chunk_tokens, store.embeddings)
            has_text, n_chunks = prepared.has_text, prepared.chunks
        seconds = time.perf_counter() - job.t0
        if not has_text:
            errors = result.errors or [ConversionError(source=label, stage="finish", message="no text found")]
            store.documents.put_failure(job.digest, job.key, shown(job.path.name), "; ".join(map(str, errors)), errors)
            return FileOutcome(label, "failed", errors, seconds=seconds), None
        if job.parent is not None:
            header = header.model_copy(update={"parent": job.parent})
        store.documents.put_stream(
            header,
            job.key,
            result.pages,
            read_part_json(job.doc_spool),
            _read_chunks(job.chunk_spool),
            self.embedder.name,
            error,
            result.errors,
        )
        return FileOutcome(label, "ingested", result.errors, result.pages, n_chunks, seconds), header.mime


def _read_chunks(path: Path) -> Iterator[tuple[Chunk, np.ndarray]]:
    frames = iter_frames(path)
    for data in frames:
        yield Chunk.model_validate_json(data), np.frombuffer(next(frames), dtype=np.float32)
