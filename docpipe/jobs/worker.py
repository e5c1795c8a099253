"""The per-document function every engine runs, and the state a worker process keeps.

A worker builds its converter (and LLM client) once, in `init_worker`, and then turns paths
into record JSON. Everything it is given is picklable, so the same code runs in this process,
in a process pool, or in a Ray actor.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from docpipe.config import Settings
from docpipe.extract.file import error_record, extract_file
from docpipe.extract.schemas import Schema
from docpipe.options import RapidLayoutOptions, RapidOcrOptions

if TYPE_CHECKING:
    from docpipe.llm.base import Generator
    from docpipe.parse.converter import DocumentConverter


class Method(StrEnum):
    AUTO = "auto"  # the served LLM when one is configured, else rules
    RULES = "rules"
    LLM = "llm"


@dataclass(frozen=True)
class JobConfig:
    settings: Settings
    schema: Schema
    method: Method = Method.AUTO
    threads: int = 0  # intra-op threads per worker; 0 = the library's default

    def in_process_llm(self) -> bool:
        """The embedded llama.cpp model: its values are reconciled with the rules' field by field."""
        return self.settings.llm.kind == "llama_cpp"

    def uses_llm(self) -> bool:
        """auto: when a generator other than the in-process ones is configured (a server)."""
        in_process = self.settings.llm.kind in ("llama_cpp", "embedded")
        return self.method == Method.LLM or (self.method == Method.AUTO and not in_process)


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
        from docpipe.api import Docpipe

        self.config = config
        app = Docpipe(with_threads(config.settings, config.threads))
        self.converter: DocumentConverter = app.converter
        self.converter.warm_up()
        self.generator: Generator | None = app.generator() if config.uses_llm() else None

    def run(self, task: Task) -> Done:
        try:
            record = extract_file(
                Path(task.path),
                self.config.schema,
                self.converter,
                self.generator,
                reconciled=self.config.in_process_llm(),
            )
        except Exception as e:  # the record is the report: one line naming the file
            record = error_record(task.path, self.config.schema, f"{task.path}: {type(e).__name__}: {e}")
        return Done(task, record.to_json(), record.status == "ok")


def with_threads(settings: Settings, threads: int) -> Settings:
    """The settings with the worker's thread share given to the OCR engine (its `threads` option).
    A job worker converts one document at a time with one converter: the pool spreads documents
    over the cores, so the converter does not spread pages again."""
    update: dict[str, object] = {"workers": 1}
    if threads and isinstance(settings.ocr, RapidOcrOptions) and not settings.ocr.threads:
        update["ocr"] = settings.ocr.model_copy(update={"threads": threads})
    if threads and isinstance(settings.layout, RapidLayoutOptions) and not settings.layout.threads:
        update["layout"] = settings.layout.model_copy(update={"threads": threads})
    return settings.model_copy(update=update)


_WORKER: Worker | None = None


def init_worker(config: JobConfig) -> None:
    """Pool initializer: cap threads so N workers share the cores, then warm the models."""
    global _WORKER
    if config.threads:
        # For the native libraries (BLAS, OpenMP); the OCR engine gets its count from its options.
        for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
            os.environ[var] = str(config.threads)
        torch = sys.modules.get("torch")  # only if something already loaded it: importing costs seconds
        if torch is not None:
            torch.set_num_threads(config.threads)
    _WORKER = Worker(config)


def run_task(task: Task) -> Done:
    assert _WORKER is not None, "init_worker was not called in this process"
    return _WORKER.run(task)
