"""Extraction: normalizers, schemas, validation, and every field of every sample."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from docpipe.extract import extract_document, load_schema
from docpipe.extract.normalize import find_currency, parse_amount, parse_date
from docpipe.extract.validate import validate
from tests.conftest import expected


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1.234,56", "1234.56"),
        ("1,234.56", "1234.56"),
        ("RM 9.00", "9.00"),
        ("$1,234.56", "1234.56"),
        ("€ 1.234,56", "1234.56"),
        ("(12.00)", "-12.00"),
        ("12,50", "12.50"),
        ("1 234,56", "1234.56"),
        ("1.234.567,89", "1234567.89"),
        ("-5.00", "-5.00"),
    ],
)
def test_parse_amount(text: str, value: str) -> None:
    assert parse_amount(text) == Decimal(value)


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("25/12/2018", "2018-12-25"),
        ("12/25/2018", "2018-12-25"),
        ("Dec 3, 2019", "2019-12-03"),
        ("3 December 2019", "2019-12-03"),
        ("03.12.19", "2019-12-03"),
        ("2024-05-02", "2024-05-02"),
        ("Datum: 03.12.2024", "2024-12-03"),
        ("14. März 2024", "2024-03-14"),
    ],
)
def test_parse_date(text: str, iso: str) -> None:
    d = parse_date(text)
    assert d is not None and d.isoformat() == iso


def test_ambiguous_numeric_date_follows_the_hint() -> None:
    assert parse_date("03/04/2024", dayfirst=True) == date(2024, 4, 3)
    assert parse_date("03/04/2024", dayfirst=False) == date(2024, 3, 4)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Total $12.00", "USD"),
        ("€ 5,00", "EUR"),
        ("TOTAL RM 9.00", "MYR"),
        ("Amount CHF 10.00", "CHF"),
        ("£3.50", "GBP"),
        ("no money here", None),
    ],
)
def test_find_currency(text: str, code: str | None) -> None:
    assert find_currency(text) == code


def test_schemas_builtin_file_and_errors(tmp_path: Path) -> None:
    assert "line_items" in load_schema("invoice").fields and "date" in load_schema("receipt").fields
    f = tmp_path / "po.json"
    f.write_text(json.dumps({"type": "object", "properties": {"po_number": {"type": "string"}}}))
    assert load_schema(str(f)).fields == ("po_number",)
    with pytest.raises(ValueError, match="unknown schema"):
        load_schema("passport")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ValueError, match=r"bad\.json"):
        load_schema(str(tmp_path / "bad.json"))


def test_validation_reports_a_wrong_total_and_never_changes_values() -> None:
    data = {
        "subtotal": 100.0,
        "tax": 8.0,
        "total": 109.0,
        "line_items": [
            {"quantity": 2, "unit_price": 25.0, "amount": 50.0},
            {"quantity": 1, "unit_price": 50.0, "amount": 49.0},
        ],
    }
    before = json.dumps(data)
    problems = [m for m, _ in validate(data)]
    assert any("not the total 109.00" in m for m in problems)
    assert any("line 2" in m for m in problems)
    assert any("sum to 99.00" in m for m in problems)
    assert json.dumps(data) == before


@pytest.mark.slow
@pytest.mark.parametrize(
    "name",
    ["invoice_acme.pdf", "invoice_multipage.pdf", "scanned_invoice.pdf", "receipt_cafe.png", "receipt_market.jpg"],
)
def test_every_field_of_every_sample(converted, name: str) -> None:
    exp = expected(name.rsplit(".", 1)[0])
    record = extract_document(converted(name).document, load_schema(exp["schema"]), source=name)
    assert record.status == "ok" and record.errors == []
    assert record.data == exp["data"]
    for field, value in exp["data"].items():
        if value not in (None, []):
            prov = record.provenance[field]
            assert prov.page >= 1 and prov.bbox[0] < prov.bbox[2] and 0 < prov.confidence <= 1
    assert record.to_dict()["schema"] == exp["schema"]


@pytest.mark.slow
def test_total_provenance_points_at_the_printed_total(converted) -> None:
    exp = expected("invoice_acme")["data"]
    record = extract_document(converted("invoice_acme.pdf").document, load_schema("invoice"), source="x")
    prov = record.provenance["total"]
    assert f"{exp['total']:,.2f}" in prov.text and "Total Due" in prov.text
    assert prov.bbox[0] > 400  # the right-aligned figure, not the label at x=380
