"""Structured extraction: rules over the layout, then validation; every field with provenance."""

from __future__ import annotations

from typing import Any, Literal

from docpipe.document import Document
from docpipe.extract.record import ExtractionRecord, FieldProvenance
from docpipe.extract.rules import extract_with_rules
from docpipe.extract.schemas import Schema, load_schema
from docpipe.extract.validate import validate

__all__ = ["ExtractionRecord", "Schema", "extract_document", "load_schema"]

PENALTY = 0.5  # confidence multiplier for a field that fails a check


def extract_document(doc: Document, schema: Schema, *, source: str) -> ExtractionRecord:
    found = extract_with_rules(doc, schema.fields)
    data: dict[str, Any] = {f: None for f in schema.fields}
    if "line_items" in data:
        data["line_items"] = []
    provenance: dict[str, FieldProvenance] = {}
    for field, f in found.items():
        data[field] = f.value
        provenance[field] = FieldProvenance(
            page=f.page, bbox=f.bbox.as_list(), text=f.text, confidence=round(max(0.0, min(1.0, f.confidence)), 3)
        )
    errors: list[str] = []
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
