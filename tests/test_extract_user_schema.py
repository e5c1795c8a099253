"""User schemas: pydantic models by module or file path, and fields found by name, synonyms,
title and description."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from docpipe.extract import extract_document, load_schema
from tests.conftest import SAMPLES, run_cli
from tests.test_extract_rules import document, element, line

MODEL_SOURCE = """
from pydantic import BaseModel, Field


class Billing(BaseModel):
    bill_number: str | None = Field(None, description='printed as "Invoice No"')
    customer: str | None = Field(None, title="Bill To")
    amount_payable: float | None = Field(None, description="Total due")
    payment_terms: str | None = None


NOT_A_MODEL = 3
"""


@pytest.fixture
def model_file(tmp_path: Path) -> Path:
    f = tmp_path / "billing_models.py"
    f.write_text(MODEL_SOURCE)
    return f


def test_fields_found_by_synonyms_and_descriptions(tmp_path: Path) -> None:
    f = tmp_path / "crm.json"
    f.write_text(
        json.dumps(
            {
                "properties": {
                    "customer_phone": {"type": "string"},
                    "customer_id": {"type": "string", "description": 'the "Kd.-Nr." on German forms'},
                    "account_manager": {"type": "string", "description": "Sales contact"},
                    "po_number": {"type": "string"},
                    "order_date": {"type": "string", "format": "date"},
                }
            }
        )
    )
    body = [
        element(
            "e0",
            "text",
            [
                line(("Client Tel.: +49 40 1234567", 50), y=100),
                line(("Kd.-Nr.: K-20931", 50), y=114),
                line(("Sales contact: Jana Weber", 50), y=128),
                line(("Purchase Order No. 4500012345", 50), y=142),
                line(("Bestellung Datum: 03.12.2024", 50), y=156),
            ],
        )
    ]
    record = extract_document(document(body), load_schema(str(f)), source="crm.pdf")
    assert record.data == {
        "customer_phone": "+49 40 1234567",
        "customer_id": "K-20931",
        "account_manager": "Jana Weber",
        "po_number": "4500012345",
        "order_date": "2024-12-03",
    }
    prov = record.provenance["customer_id"]
    assert prov.page == 1 and "K-20931" in prov.text and prov.bbox[0] > 50  # the value, not the label


def test_pydantic_model_from_a_file_path(model_file: Path) -> None:
    schema = load_schema(f"{model_file}:Billing")
    assert schema.name == "Billing"
    assert schema.fields == ("bill_number", "customer", "amount_payable", "payment_terms")
    assert schema.field_type("amount_payable") == "number"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("{dir}/nosuch.py:Billing", "no such file"),
        ("{dir}/billing_models.py:Missing", "has no 'Missing'"),
        ("{dir}/billing_models.py:NOT_A_MODEL", "not a pydantic model class"),
        ("{dir}/raises.py:X", "ZeroDivisionError"),
        ("no_such_module_xyz:Model", "No module named 'no_such_module_xyz'"),
        (":Model", "write module:Class"),
    ],
)
def test_bad_pydantic_specs_are_one_line_errors(model_file: Path, spec: str, message: str) -> None:
    (model_file.parent / "raises.py").write_text("1 / 0\n")
    with pytest.raises(ValueError, match=message) as err:
        load_schema(spec.format(dir=model_file.parent))
    assert "\n" not in str(err.value)


def test_cli_names_a_bad_schema_in_one_line_without_traceback(model_file: Path) -> None:
    proc = run_cli("extract", str(SAMPLES / "invoice_acme.pdf"), "--schema", f"{model_file}:NOT_A_MODEL")
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "not a pydantic model class" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.slow
def test_a_user_model_on_a_real_invoice(model_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run_cli(
        "extract",
        str(SAMPLES / "invoice_acme.pdf"),
        "--schema",
        f"{model_file}:Billing",
        "--out",
        str(out),
        "--workers",
        "1",
        check=True,
    )
    record = json.loads((out / "results.jsonl").read_text().splitlines()[0])
    assert record["schema"] == "Billing" and record["status"] == "ok"
    assert record["data"]["bill_number"] == "INV-2024-0117"
    assert record["data"]["customer"] == "Riverside Construction LLC"
    assert record["data"]["amount_payable"] == 926.64
    assert record["data"]["payment_terms"].startswith("net 30 days")
    for field in ("bill_number", "customer", "amount_payable"):
        assert record["provenance"][field]["page"] == 1
