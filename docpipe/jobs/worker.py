"""The per-document function every engine runs, and the state a worker process keeps.

A worker builds its converter (and LLM client) once, in `init_worker`, and then turns paths
into record JSON. Everything it is given is picklable, so the same code runs in this process,
in a process pool, or in a Ray actor.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from docpipe.config import Settings
from docpipe.extract.record import ExtractionRecord
from docpipe.extract.schemas import Schema

if TYPE_CHECKING:
    from docpipe.llm.base import Generator
    from docpipe.pipeline import DocumentConverter

Method = Literal["auto", "rules", "llm"]


@dataclass(frozen=True)
class JobConfig:
    settings: Settings
    schema: Schema
    method: Method = "auto"
    threads: int = 0  # intra-op threads per worker; 0 = the library's default

    def uses_llm(self) -> bool:
        return self.method == "llm" or (self.method == "auto" and bool(self.settings.llm_base_url))


@dataclass(frozen=True)
class Task:
    path: str
    sha256: str


@dataclass(frozen=True)
class Done:
    task: Task
    record_json: str
    ok: bool


class Worker:
    """One per process: the converter warmed once, then a document at a time."""

    def __init__(self, config: JobConfig) -> None:
        from docpipe.app import Docpipe

        self.config = config
        app = Docpipe(config.settings)
        self.converter: DocumentConverter = app.converter
        self.converter.warm_up()
        self.generator: Generator | None = app.generator() if config.uses_llm() else None

    def run(self, task: Task) -> Done:
        try:
            record = extract_file(Path(task.path), self.config.schema, self.converter, self.generator)
        except Exception as e:  # the record is the report: one line naming the file
            record = error_record(task.path, self.config.schema, f"{task.path}: {type(e).__name__}: {e}")
        return Done(task, record.to_json(), record.status == "ok")


def error_record(source: str, schema: Schema, message: str) -> ExtractionRecord:
    return ExtractionRecord(
        source=source, schema=schema.name, status="error", data={}, provenance={}, errors=[message.splitlines()[0]]
    )


def extract_file(
    path: Path, schema: Schema, converter: DocumentConverter, generator: Generator | None = None
) -> ExtractionRecord:
    from docpipe.extract import extract_document

    try:
        result = converter.convert(path)
    except Exception as e:  # a crash in one file is that file's error, not the batch's
        return error_record(str(path), schema, f"{path}: {type(e).__name__}: {e}")
    if result.document is None:
        return error_record(str(path), schema, "; ".join(result.errors) or f"{path}: conversion failed")
    record = extract_document(
        result.document, schema, source=str(path), generator=generator, llm_first=generator is not None
    )
    if result.errors:
        record.errors = [*result.errors, *record.errors]
    return record


_WORKER: Worker | None = None


def init_worker(config: JobConfig) -> None:
    """Pool initializer: cap threads so N workers share the cores, then warm the models."""
    global _WORKER
    if config.threads:
        for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "DOCPIPE_OCR_THREADS"):
            os.environ[var] = str(config.threads)
        torch = sys.modules.get("torch")  # only if something already loaded it: importing costs seconds
        if torch is not None:
            torch.set_num_threads(config.threads)
    _WORKER = Worker(config)


def run_task(task: Task) -> Done:
    assert _WORKER is not None, "init_worker was not called in this process"
    return _WORKER.run(task)
