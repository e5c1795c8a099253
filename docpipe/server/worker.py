"""One background thread that ingests uploads in order, through the library's Ingestor.

One thread, so ingests never race each other inside the server; the home's ingest lock
still guards against a `docpipe ingest` run from a shell, which we wait out.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from docpipe.api import Docpipe
from docpipe.index.ingest import IngestLockedError

logger = logging.getLogger("docpipe.server")
Status = Literal["queued", "ingesting", "ok", "error"]
LOCK_WAIT_S = 600.0


@dataclass
class Job:
    id: str
    name: str
    path: Path
    status: Status = "queued"
    error: str | None = None
    pages: int = 0
    chunks: int = 0
    seconds: float = 0.0
    queued_at: float = field(default_factory=time.time)


class IngestWorker:
    def __init__(self, dp: Docpipe, convert_lock: threading.Lock) -> None:
        self.dp = dp
        self.convert_lock = convert_lock  # the converter's models are shared with /api/extract
        self.jobs: dict[str, Job] = {}
        self._queue: queue.Queue[Job | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def submit(self, job: Job) -> Job:
        current = self.jobs.get(job.id)
        if current is not None and current.status in ("queued", "ingesting"):
            return current  # the same bytes are already on their way
        self.jobs[job.id] = job
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="docpipe-ingest", daemon=True)
                self._thread.start()
        self._queue.put(job)
        return job

    def pending(self) -> list[Job]:
        return [j for j in self.jobs.values() if j.status in ("queued", "ingesting")]

    def stop(self, timeout: float = 30.0) -> None:
        if self._thread is not None and self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(timeout)

    def _run(self) -> None:
        while (job := self._queue.get()) is not None:
            job.status = "ingesting"
            try:
                self._ingest(job)
            except Exception as e:  # one bad file must not stop the worker
                logger.exception("ingest of %s failed", job.name)
                job.status, job.error = "error", f"{job.name}: {type(e).__name__}: {e}"

    def _ingest(self, job: Job) -> None:
        deadline = time.monotonic() + LOCK_WAIT_S
        while True:
            try:
                with self.convert_lock:
                    # The file's outcome first; a mail's attachments follow, stored as their own documents.
                    outcome = self.dp.ingestor().ingest([job.path])[0]
                break
            except IngestLockedError as e:
                if time.monotonic() > deadline:
                    raise
                job.error = str(e)  # shown while we wait for the other ingest
                time.sleep(1.0)
        job.pages, job.chunks, job.seconds = outcome.pages, outcome.chunks, outcome.seconds
        job.status = "error" if outcome.status == "failed" else "ok"
        # The messages name the upload as the client sent it, never the server's path.
        job.error = "; ".join(e.shown_as(job.name) for e in outcome.errors) or None
