"""The conversion pipeline on the real samples: text layer vs OCR, tables, reading order, furniture."""

from __future__ import annotations

import re

import pytest

from tests.conftest import expected

pytestmark = pytest.mark.slow


def _in_order(text: str, markers: list[str]) -> bool:
    pos = -1
    for m in markers:
        nxt = text.find(m, pos + 1)
        if nxt < 0:
            return False
        pos = nxt
    return True


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.mark.parametrize(
    "name",
    [
        "invoice_acme.pdf",
        "invoice_multipage.pdf",
        "two_column.pdf",
        "scanned_invoice.pdf",
        "receipt_cafe.png",
        "receipt_market.jpg",
    ],
)
def test_body_follows_the_human_reading_order(converted, name: str) -> None:
    result = converted(name)
    doc = result.document
    exp = expected(name.rsplit(".", 1)[0])
    assert result.status == "success", result.errors
    assert len(doc.pages) == exp["pages"]
    body = _flat(doc.text())
    markers = [_flat(m) for m in exp["reading_order"]]
    assert _in_order(body, markers), f"order broken in {name}: {markers} vs {body[:800]}"


def test_two_column_page_is_read_column_by_column_not_line_by_line(converted) -> None:
    doc = converted("two_column.pdf").document
    exp = expected("two_column")
    body = _flat(doc.text())
    positions = [body.find(_flat(m)) for m in exp["reading_order"]]
    assert all(p >= 0 for p in positions) and positions == sorted(positions)


def test_text_pdf_uses_the_text_layer_and_scan_uses_ocr(converted) -> None:
    assert [p.origin for p in converted("invoice_acme.pdf").document.pages] == ["text_layer"]
    scan = converted("scanned_invoice.pdf").document
    assert [p.origin for p in scan.pages] == ["ocr"]
    exp = expected("scanned_invoice")["data"]
    assert exp["invoice_number"] in scan.text()
    assert all(e.origin == "ocr" and 0 < e.confidence <= 1 for e in scan.body)


def test_furniture_is_kept_apart_from_the_body(converted) -> None:
    doc = converted("invoice_multipage.pdf").document
    furniture = " ".join(f.text for f in doc.furniture)
    for text in expected("invoice_multipage")["furniture"]:
        assert text in furniture
        assert text not in doc.text()


def test_line_item_table_continues_across_pages_as_one_table(converted) -> None:
    doc = converted("invoice_multipage.pdf").document
    exp = expected("invoice_multipage")["data"]
    tables = [e for e in doc.body if e.table is not None and len(e.table.grid()) > 5]
    assert len(tables) == 1
    table = tables[0]
    assert [p.page for p in table.prov] == [1, 2]
    assert sum(1 for c in table.table.cells if c.is_header) == table.table.n_cols  # header once
    descriptions = [row[0] for row in table.table.grid()[1:]]
    for item in exp["line_items"]:
        assert item["description"] in descriptions


def test_boxes_are_points_inside_the_page(converted) -> None:
    for name in ("invoice_acme.pdf", "scanned_invoice.pdf", "receipt_cafe.png"):
        doc = converted(name).document
        for e in doc.body + doc.furniture:
            for p in e.prov:
                page = doc.pages[p.page - 1]
                b = p.bbox
                assert -2 <= b.x0 < b.x1 <= page.width + 2 and -2 <= b.y0 < b.y1 <= page.height + 2
