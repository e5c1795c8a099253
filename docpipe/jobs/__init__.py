"""Batch extraction: every file to a JSON record; one failure never stops the batch.

Output (DESIGN.md's contract): OUT/<name>.json per document (written atomically) and
OUT/results.jsonl, appended a durable line at a time with OUT/manifest.jsonl beside it, so a
killed job resumes where it stopped (see results.py). Engines: `local` (this process or a
process pool) and `ray`; both run the same per-document function (worker.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from docpipe.jobs.results import JobLockedError, ResultsLog, write_atomic
from docpipe.jobs.worker import Done, JobConfig, Method, Task, error_record, extract_file
from docpipe.parse.load import file_sha256


class Engine(StrEnum):
    LOCAL = "local"  # this process or a process pool
    RAY = "ray"


class Format(StrEnum):
    JSON = "json"  # always written: OUT/<name>.json + OUT/results.jsonl
    CSV = "csv"  # also results.csv + line_items.csv, for spreadsheets


__all__ = [
    "Done",
    "Engine",
    "Format",
    "JobConfig",
    "JobLockedError",
    "JobSummary",
    "Method",
    "extract_file",
    "output_names",
    "run_extraction",
]


@dataclass
class JobSummary:
    """Counts only: the records themselves are on disk, never all in memory."""

    ok: int = 0
    failed: int = 0
    skipped: int = 0  # finished by an earlier run (or the same bytes under another name)
    failures: list[str] = field(default_factory=list)  # first lines, capped
    MAX_FAILURES = 50


def output_names(files: list[Path]) -> dict[Path, str]:
    """<stem>.json, or <file name>.json where two inputs share a stem."""
    stems: dict[str, int] = {}
    for f in files:
        stems[f.stem] = stems.get(f.stem, 0) + 1
    return {f: (f.stem if stems[f.stem] == 1 else f.name) + ".json" for f in files}


def _engine(engine: Engine, address: str | None) -> Callable[[list[Task], JobConfig, int], Iterator[Done]]:
    if engine == Engine.RAY:  # == : a caller may pass the plain string
        from docpipe.jobs.ray_engine import ray_runner

        return ray_runner(address)
    from docpipe.jobs.local import run_local

    return lambda tasks, config, workers: run_local(tasks, config, workers)


def run_extraction(
    files: list[Path],
    config: JobConfig,
    out_dir: Path,
    *,
    workers: int = 1,
    force: bool = False,
    engine: Engine = Engine.LOCAL,
    address: str | None = None,
    formats: tuple[Format, ...] = (Format.JSON,),
    on_start: Callable[[int, int], None] | None = None,
    on_done: Callable[[Done], None] | None = None,
) -> JobSummary:
    """Extract every file not already done in `out_dir`. on_start(pending, skipped) is called
    once before the first document, on_done after each one is durably written."""
    summary = JobSummary()
    names = output_names(files)
    run = _engine(engine, address)
    with ResultsLog(out_dir, force=force) as log:
        tasks: list[Task] = []
        queued: set[str] = set()
        for f in files:
            try:
                sha = file_sha256(f)
            except OSError as e:
                record = error_record(str(f), config.schema, f"{f}: cannot read ({e.strerror or e})")
                _finish(log, summary, Done(Task(str(f), ""), record.to_json(), False), out_dir / names[f], on_done)
                continue
            if log.is_done(sha) or sha in queued:
                summary.skipped += 1
            else:
                queued.add(sha)
                tasks.append(Task(str(f), sha))
        by_path = {str(f): out_dir / names[f] for f in files}
        if on_start:
            on_start(len(tasks), summary.skipped)
        if tasks:
            for done in run(tasks, config, max(1, min(workers, len(tasks)))):  # no idle workers to warm
                _finish(log, summary, done, by_path[done.task.path], on_done)
        if Format.CSV in formats:
            from docpipe.jobs.csv_out import write_csv

            write_csv(log.records(), config.schema, out_dir)
    return summary


def _finish(
    log: ResultsLog, summary: JobSummary, done: Done, json_path: Path, on_done: Callable[[Done], None] | None
) -> None:
    import json

    write_atomic(json_path, json.dumps(json.loads(done.record_json), ensure_ascii=False, indent=2) + "\n")
    if done.ok:
        log.append(done.record_json, done.task.sha256, done.task.path)
        summary.ok += 1
    else:
        log.append_error(done.record_json)
        summary.failed += 1
        if len(summary.failures) < JobSummary.MAX_FAILURES:
            summary.failures.append("; ".join(json.loads(done.record_json).get("errors", [])))
    if on_done:
        on_done(done)
