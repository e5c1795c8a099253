"""What the routes share: settings, the Docpipe facade, the upload folder and the ingest worker.

A document's id is the first 16 hex digits of its content's sha256, so the same bytes get
the same id whether they came through the API or `docpipe ingest`, and the SQLite store
stays the one source of truth; the worker only knows what is still on its way.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from fastapi import HTTPException, Request
from pydantic import BaseModel

from docpipe.api import Docpipe
from docpipe.config import Settings
from docpipe.document import Document
from docpipe.index.records import DocumentRow
from docpipe.server.worker import IngestWorker, Job, Status

ID_LEN = 16


class DocumentInfo(BaseModel):
    id: str
    name: str
    status: Status
    pages: int
    chunks: int
    error: str | None = None


class PageSize(BaseModel):
    number: int
    width: float  # points
    height: float
    native: bool = False  # read from the file's structure (office, web, mail): no image, shown as HTML


class DocumentDetail(DocumentInfo):
    page_sizes: list[PageSize]


@dataclass
class Found:
    info: DocumentInfo
    path: Path
    sha256: str


def _from_row(r: DocumentRow) -> Found:
    status: Status = "ok" if r.status == "ok" else "error"
    # The server's paths stay private: structured errors are shown naming the upload; rows stored
    # before they existed only have the one-line message, with the path replaced.
    if r.errors:
        error: str | None = "; ".join(e.shown_as(r.name) for e in r.errors)
    else:
        error = r.error.replace(r.path, r.name) if r.error else None
    info = DocumentInfo(
        id=r.sha256[:ID_LEN], name=r.name, status=status, pages=r.n_pages, chunks=r.n_chunks, error=error
    )
    return Found(info, Path(r.path), r.sha256)


def _from_job(j: Job) -> Found:
    info = DocumentInfo(id=j.id, name=j.name, status=j.status, pages=j.pages, chunks=j.chunks, error=j.error)
    return Found(info, j.path, j.id)


class ServerState:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings.model_copy(update={"home": settings.home.resolve()})
        self.dp = Docpipe(self.settings)
        self.uploads = self.settings.paths.uploads
        self.incoming = self.uploads / ".incoming"
        self.convert_lock = threading.Lock()
        self.worker = IngestWorker(self.dp, self.convert_lock)

    def close(self) -> None:
        """Stop the ingest worker, then the converter's child process if one was started."""
        self.worker.stop()
        converter = self.dp.__dict__.get("converter")  # cached_property: only if it was built
        close = getattr(converter, "close", None)
        if close is not None:
            close()

    def documents(self) -> list[Found]:
        rows: list[DocumentRow] = []
        if self.settings.paths.has_store():
            with self.dp.store() as store:
                rows = store.documents.rows()
        found = {f.info.id: f for f in map(_from_row, rows)}
        for job in list(self.worker.jobs.values()):
            # A job still running is newer than any row; a finished one matters only if no row was written.
            if job.status in ("queued", "ingesting") or job.id not in found:
                found[job.id] = _from_job(job)
        return sorted(found.values(), key=lambda f: f.info.name.lower())

    def find(self, doc_id: str) -> Found:
        for f in self.documents():
            if f.info.id == doc_id:
                return f
        raise HTTPException(404, f"no document {doc_id!r}")

    def page_sizes(self, found: Found) -> list[PageSize]:
        if found.info.status != "ok":
            return []
        with self.dp.store() as store:
            doc = store.documents.get(found.sha256)
        if doc is None:
            return []
        return [
            PageSize(number=p.number, width=p.width, height=p.height, native=p.origin == "native") for p in doc.pages
        ]

    def document(self, found: Found) -> Document:
        with self.dp.store() as store:
            doc = store.documents.get(found.sha256) if found.info.status == "ok" else None
        if doc is None:
            raise HTTPException(409, f"{found.info.name}: not ingested ({found.info.status})")
        return doc


def server_state(request: Request) -> ServerState:
    state: ServerState = request.app.state.server
    return state
