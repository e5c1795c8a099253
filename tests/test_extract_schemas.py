"""Schemas (built-in, JSON Schema file, pydantic model), the contract record, and validation."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from pydantic import BaseModel, ValidationError

from docpipe.extract import load_schema
from docpipe.extract.record import ExtractionRecord, FieldProvenance
from docpipe.extract.validate import validate

INVOICE_FIELDS = (
    "vendor_name",
    "vendor_address",
    "invoice_number",
    "invoice_date",
    "due_date",
    "currency",
    "subtotal",
    "tax",
    "total",
    "line_items",
)


class PurchaseOrder(BaseModel):  # loaded by `tests.test_extract_schemas:PurchaseOrder`
    po_number: str | None = None
    total: float | None = None


def test_builtin_schemas() -> None:
    invoice = load_schema("invoice")
    assert invoice.name == "invoice" and invoice.builtin and invoice.fields == INVOICE_FIELDS
    assert invoice.field_type("total") == "number" and invoice.field_type("line_items") == "array"
    assert invoice.empty_value("line_items") == [] and invoice.empty_value("total") is None
    receipt = load_schema("receipt")
    assert "date" in receipt.fields and "invoice_number" not in receipt.fields
    item = receipt.json_schema["$defs"]["LineItem"]["properties"]
    assert set(item) == {"description", "quantity", "unit_price", "amount"}


def test_json_schema_file(tmp_path: Path) -> None:
    f = tmp_path / "po.json"
    f.write_text(
        json.dumps(
            {
                "type": "object",
                "properties": {"po_number": {"type": "string"}, "order_date": {"type": "string", "format": "date"}},
            }
        )
    )
    schema = load_schema(str(f))
    assert schema.name == "po" and schema.fields == ("po_number", "order_date") and not schema.builtin
    assert schema.field_type("po_number") == "string"


def test_pydantic_model_by_import_path() -> None:
    schema = load_schema("tests.test_extract_schemas:PurchaseOrder")
    assert schema.name == "PurchaseOrder" and schema.fields == ("po_number", "total")
    assert schema.field_type("total") == "number"  # through pydantic's anyOf [number, null]


@pytest.mark.parametrize(
    ("arg", "message"),
    [
        ("passport", "unknown schema 'passport'"),
        ("nosuch.module:Model", "cannot load schema"),
        ("tests.test_extract_schemas:INVOICE_FIELDS", "not a pydantic model"),
    ],
)
def test_unknown_schemas_are_clear_errors(arg: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        load_schema(arg)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "not a readable JSON Schema"),  # missing file
        ("{not json", "not a readable JSON Schema"),
        ("[1, 2]", "top-level 'properties'"),
        ('{"type": "object"}', "top-level 'properties'"),
    ],
)
def test_bad_schema_files(tmp_path: Path, content: str | None, message: str) -> None:
    f = tmp_path / "bad.json"
    if content is not None:
        f.write_text(content)
    with pytest.raises(ValueError, match=message) as err:
        load_schema(str(f))
    assert "bad.json" in str(err.value)


def test_record_dumps_exactly_the_contract() -> None:
    record = ExtractionRecord(
        source="a.pdf",
        schema="invoice",
        status="ok",
        data={"total": 12.5},
        provenance={"total": FieldProvenance(page=1, bbox=[1, 2, 3, 4], text="Total 12.50", confidence=0.9)},
        errors=[],
    )
    d = record.to_dict()
    assert list(d) == ["source", "schema", "status", "data", "provenance", "errors"]
    assert d["provenance"]["total"] == {
        "page": 1,
        "bbox": [1.0, 2.0, 3.0, 4.0],
        "text": "Total 12.50",
        "confidence": 0.9,
    }
    assert json.loads(record.to_json()) == d == record.model_dump()
    assert record.schema_name == "invoice"
    assert ExtractionRecord.model_validate(d) == record  # reads back from its own JSON


@pytest.mark.parametrize(
    "bad",
    [
        {"page": 0, "bbox": [0, 0, 1, 1], "text": "", "confidence": 1},
        {"page": 1, "bbox": [0, 0, 1], "text": "", "confidence": 1},
        {"page": 1, "bbox": [0, 0, 1, 1], "text": "", "confidence": 1.5},
    ],
)
def test_provenance_is_checked(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        FieldProvenance.model_validate(bad)


def _invoice(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "invoice_date": "2024-03-14",
        "due_date": "2024-04-13",
        "subtotal": 100.0,
        "tax": 8.0,
        "total": 108.0,
        "line_items": [
            {"description": "a", "quantity": 2, "unit_price": 25.0, "amount": 50.0},
            {"description": "b", "quantity": 1, "unit_price": 50.0, "amount": 50.0},
        ],
    }
    return data | changes


TODAY = date(2025, 1, 1)


def test_a_consistent_invoice_passes() -> None:
    assert validate(_invoice(), TODAY) == []
    assert validate({"total": 14.8, "line_items": [{"amount": 7.5}, {"amount": 7.3}]}, TODAY) == []


def test_validation_catches_a_wrong_total_and_never_changes_values() -> None:
    data = _invoice(total=109.0)
    before = json.dumps(data)
    problems = validate(data, TODAY)
    assert problems == [("subtotal 100.00 + tax 8.00 = 108.00, not the total 109.00", ["subtotal", "tax", "total"])]
    assert json.dumps(data) == before


def test_validation_checks_each_line_and_their_sum() -> None:
    items = [
        {"description": "a", "quantity": 2, "unit_price": 25.0, "amount": 50.0},
        {"description": "b", "quantity": 1, "unit_price": 50.0, "amount": 49.0},
    ]
    messages = [m for m, _ in validate(_invoice(line_items=items), TODAY)]
    assert messages == ["line 2: 1.00 × 50.00 = 50.00, not 49.00", "line items sum to 99.00, not the subtotal 100.00"]
    # no subtotal and no tax: the lines must add up to the total
    receipt = {"total": 36.8, "line_items": [{"amount": 18.9}, {"amount": 10.4}]}
    assert validate(receipt, TODAY) == [("line items sum to 29.30, not the total 36.80", ["line_items", "total"])]


@pytest.mark.parametrize(
    ("changes", "message", "fields"),
    [
        ({"invoice_date": "1987-01-01"}, "invoice_date 1987-01-01 is implausible", ["invoice_date"]),
        ({"due_date": "2031-01-01"}, "due_date 2031-01-01 is implausible", ["due_date"]),
        ({"due_date": "2024-03-01"}, "due date 2024-03-01 is before the invoice date 2024-03-14", ["due_date"]),
        ({"invoice_date": "14/03/2024"}, "invoice_date '14/03/2024' is not an ISO 8601 date", ["invoice_date"]),
    ],
)
def test_validation_checks_dates(changes: dict[str, object], message: str, fields: list[str]) -> None:
    assert validate(_invoice(**changes), TODAY) == [(message, fields)]
