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


def _data(found: dict[str, Found], schema: Schema) -> dict[str, Any]:
    return {f: schema.empty_value(f) for f in schema.fields} | {field: f.value for field, f in found.items()}


def _keep_rules_where_llm_fails_checks(
    found: dict[str, Found], rules: dict[str, Found], from_llm: set[str], schema: Schema
) -> list[str]:
    """A check (subtotal + tax = total, dates in order) that the rules' values pass and the
    model's break is evidence against the model: those fields go back to the rules' values."""
    failed_by_rules = {tuple(fields) for _, fields in validate(_data(rules, schema))}
    notes: list[str] = []
    for message, fields in validate(_data(found, schema)):
        if tuple(fields) in failed_by_rules:
            continue
        changed = [f for f in fields if f in from_llm and found.get(f) is not rules.get(f)]
        if changed and all(f in rules for f in changed):
            for f in changed:
                found[f] = rules[f]
            notes.append(f"LLM values for {', '.join(changed)} fail a check ({message}); rules used")
    return notes


ADDRESS_REACH = 4.5  # name heights: a vendor's address is printed right under or beside its name


def _address_under_the_name(found: dict[str, Found], rules: dict[str, Found]) -> list[str]:
    """The vendor's address is near the vendor's name; an address the model took from
    elsewhere (the "Bill To" block) is the customer's: the rules' one stands, or none."""
    name, address = found.get("vendor_name"), found.get("vendor_address")
    if name is None or address is None or address is rules.get("vendor_address"):
        return []
    reach = name.bbox.y1 + ADDRESS_REACH * name.bbox.height
    if address.page == name.page and name.bbox.y0 - name.bbox.height <= address.bbox.y0 <= reach:
        return []
    if "vendor_address" in rules:
        found["vendor_address"] = rules["vendor_address"]
    else:
        del found["vendor_address"]
    return [f"LLM value for vendor_address ({address.value!r}) is not by the vendor's name; not used"]


def _model_pass(doc: Document, schema: Schema, found: dict[str, Found], generator: Generator) -> list[str]:
    """The model reads the fields it measured better on or the rules missed; `found` becomes
    the reconciled values."""
    from docpipe.extract.model_pass import model_fields, read_with_model
    from docpipe.extract.reconcile import fields_for_model, reconcile

    fields = model_fields(schema)
    ask = fields_for_model(schema.name, fields, found)
    model, notes = read_with_model(doc, schema, generator, ask) if ask else ({}, [])
    rules = dict(found)
    scalar = {f: v for f, v in rules.items() if f in fields}  # line items stay the rules' as they are
    merged, _ = reconcile(schema.name, scalar, model)
    found.update(merged)  # every scalar field gets its measured confidence, asked or not
    return notes + _keep_rules_where_llm_fails_checks(found, rules, set(model), schema)


def extract_document(
    doc: Document,
    schema: Schema,
    *,
    source: str,
    generator: Generator | None = None,
    llm_first: bool = False,
    reconciled: bool = False,
) -> ExtractionRecord:
    """One record for one document. With a `generator`, only answers found in the document's
    text are kept. `reconciled` (the embedded model): the model reads the fields where it
    measured better than the rules, or the rules found nothing, and the two are reconciled
    field by field (extract/reconcile.py). `llm_first` (a served model): the model reads every
    scalar field (guided JSON) and the rules answer only where its value is not in the
    document; otherwise the model is asked only for the fields the rules left empty."""
    found = extract_with_rules(doc, schema)
    errors: list[str] = []
    if generator is not None and reconciled:
        errors += _model_pass(doc, schema, found, generator)
    elif generator is not None and llm_first:
        from docpipe.extract.guided import extract_with_llm

        llm_found, notes = extract_with_llm(doc, schema, generator)
        rules_found = dict(found)
        for field, f in llm_found.items():
            rule = found.get(field)
            if rule is None or rule.value != f.value:  # where both agree, the labelled rule hit is the better box
                found[field] = f
        errors += notes + _keep_rules_where_llm_fails_checks(found, rules_found, set(llm_found), schema)
        errors += _address_under_the_name(found, rules_found)
    data: dict[str, Any] = {f: schema.empty_value(f) for f in schema.fields}
    data |= {field: f.value for field, f in found.items()}
    if generator is not None and not llm_first and not reconciled:
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
