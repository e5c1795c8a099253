"""Batch extraction: every file to a JSON record, one failure never stops the batch.

Results go to OUT/<name>.json and OUT/results.jsonl, each written atomically, so a killed
job leaves only whole files behind.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from docpipe.extract import extract_document
from docpipe.extract.record import ExtractionRecord
from docpipe.extract.schemas import Schema
from docpipe.pipeline import DocumentConverter


def output_names(files: list[Path]) -> dict[Path, str]:
    """<stem>.json, or <file name>.json where two inputs share a stem."""
    stems: dict[str, int] = {}
    for f in files:
        stems[f.stem] = stems.get(f.stem, 0) + 1
    return {f: (f.stem if stems[f.stem] == 1 else f.name) + ".json" for f in files}


def extract_file(path: Path, schema: Schema, converter: DocumentConverter) -> ExtractionRecord:
    try:
        result = converter.convert(path)
    except Exception as e:  # a crash in one file is that file's error, not the batch's
        result = None
        error = f"{path}: {type(e).__name__}: {e}"
    if result is None or result.document is None:
        errors = result.errors if result is not None else [error]
        return ExtractionRecord(
            source=str(path),
            schema=schema.name,
            status="error",
            data={},
            provenance={},
            errors=errors or [f"{path}: conversion failed"],
        )
    record = extract_document(result.document, schema, source=str(path))
    if result.errors:
        record.errors = [*result.errors, *record.errors]
    return record


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def run_extraction(
    files: list[Path],
    schema: Schema,
    out_dir: Path,
    converter: DocumentConverter,
    on_done: Callable[[ExtractionRecord], None] | None = None,
) -> list[ExtractionRecord]:
    out_dir.mkdir(parents=True, exist_ok=True)
    names = output_names(files)
    records: list[ExtractionRecord] = []
    for f in files:
        record = extract_file(f, schema, converter)
        _write_atomic(out_dir / names[f], record.to_json(indent=2) + "\n")
        records.append(record)
        if on_done:
            on_done(record)
    _write_atomic(
        out_dir / "results.jsonl",
        "".join(r.to_json() + "\n" for r in records),
    )
    return records
