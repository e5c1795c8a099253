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
    path: Path,
    schema: Schema,
    converter: DocumentConverter,
    generator: Generator | None = None,
    *,
    source: str | None = None,
    reconciled: bool = False,
) -> ExtractionRecord:
    """source: the name every message and the record use for the file (the server passes the
    upload's name, so its own paths never show); by default the path. reconciled: the
    generator is the embedded model, whose values are weighed against the rules' by their
    measured accuracy (a served model reads every field first)."""
    label = source if source is not None else str(path)
    try:
        result = converter.convert(path)
    except Exception as e:  # a crash in one file is that file's error, not the batch's
        return error_record(label, schema, f"{label}: {type(e).__name__}: {e}")
    shown = [str(e) if source is None else e.shown_as(source) for e in result.errors]
    if result.document is None:
        return error_record(label, schema, "; ".join(shown) or f"{label}: conversion failed")
    llm_first = generator is not None and not reconciled
    record = extract_document(
        result.document, schema, source=label, generator=generator, llm_first=llm_first, reconciled=reconciled
    )
    record.errors = [*shown, *record.errors]
    return record
