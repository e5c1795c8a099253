"""Structured extraction: rules over the layout, an optional grounded LLM pass for what the
rules missed, then validation. Every field found carries page, box, source text, confidence."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from docpipe.document import Document
from docpipe.extract.record import ExtractionRecord, FieldProvenance
from docpipe.extract.rules import Found, extract_with_rules
from docpipe.extract.schemas import Schema, load_schema
from docpipe.extract.validate import validate

if TYPE_CHECKING:
    from docpipe.llm.base import Generator

__all__ = ["ExtractionRecord", "FieldProvenance", "Schema", "extract_document", "load_schema"]

PENALTY = 0.5  # confidence multiplier for a field in a failed check


def _provenance(f: Found) -> FieldProvenance:
    return FieldProvenance(
        page=f.page, bbox=f.bbox.as_list(), text=f.text, confidence=round(max(0.0, min(1.0, f.confidence)), 3)
    )


def extract_document(
    doc: Document, schema: Schema, *, source: str, generator: Generator | None = None
) -> ExtractionRecord:
    """One record for one document. With a `generator`, it is asked only for fields the rules
    left empty, and only answers found in the document's text are kept."""
    found = extract_with_rules(doc, schema)
    data: dict[str, Any] = {f: schema.empty_value(f) for f in schema.fields}
    data |= {field: f.value for field, f in found.items()}
    errors: list[str] = []
    if generator is not None:
        from docpipe.extract.refine import fill_missing

        filled, notes = fill_missing(doc, schema, data, generator)
        found |= filled
        data |= {field: f.value for field, f in filled.items()}
        errors += notes
    provenance = {field: _provenance(f) for field, f in found.items()}
    for message, fields in validate(data):
        errors.append(message)
        for field in fields:
            if field in provenance:
                provenance[field].confidence = round(provenance[field].confidence * PENALTY, 3)
    status: Literal["ok", "error"] = "ok" if found else "error"
    if not found:
        errors.append(f"{source}: no {schema.name} fields found")
    return ExtractionRecord(
        source=source, schema=schema.name, status=status, data=data, provenance=provenance, errors=errors
    )
