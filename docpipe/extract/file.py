"""One file to one extraction record: what the batch runner's workers and the server call.

A file that cannot be converted, or whose conversion raises, becomes an error record naming
it; nothing here stops a batch.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from docpipe.extract import extract_document
from docpipe.extract.record import ExtractionRecord
from docpipe.extract.schemas import Schema

if TYPE_CHECKING:
    from docpipe.llm.base import Generator
    from docpipe.parse.converter import DocumentConverter


def error_record(source: str, schema: Schema, message: str) -> ExtractionRecord:
    return ExtractionRecord(
        source=source, schema=schema.name, status="error", data={}, provenance={}, errors=[message.splitlines()[0]]
    )


def extract_file(
    path: Path, schema: Schema, converter: DocumentConverter, generator: Generator | None = None
) -> ExtractionRecord:
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
