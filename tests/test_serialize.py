"""Serializers: provenance attributes on every element, real tables, golden files.

Regenerate the golden files after an intended change with `pytest --regen-golden` and
review the diff before committing it.
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest

from docpipe.serialize import to_html, to_json, to_markdown

GOLDEN = Path(__file__).parent / "golden"


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))


def _check_golden(name: str, text: str, regen: bool) -> None:
    path = GOLDEN / name
    if regen or not path.exists():
        path.write_text(text)
        if not regen:
            pytest.fail(f"golden file {name} was missing and has been written; review and commit it")
    assert text == path.read_text(), f"{name} changed; if intended, run pytest --regen-golden"


@pytest.mark.slow
def test_html_carries_page_and_box_on_every_element(converted) -> None:
    doc = converted("invoice_acme.pdf").document
    parser = _Collect()
    parser.feed(to_html(doc))
    content = [(t, a) for t, a in parser.elements if "data-label" in a]
    assert len(content) == len(doc.body) + len(doc.furniture)
    for _tag, attrs in content:
        assert attrs["data-page"] == "1"
        box = [float(v) for v in (attrs["data-bbox"] or "").split()]
        assert len(box) == 4 and box[0] < box[2] and box[1] < box[3]
    tags = [t for t, _ in parser.elements]
    assert "table" in tags and "th" in tags and "h1" in tags


@pytest.mark.slow
def test_scanned_page_html_reports_ocr_confidence(converted) -> None:
    html = to_html(converted("scanned_invoice.pdf").document)
    assert 'data-origin="ocr"' in html and "data-confidence=" in html


@pytest.mark.slow
@pytest.mark.parametrize("name", ["invoice_acme.pdf", "two_column.pdf", "invoice_multipage.pdf"])
def test_golden_serializations(converted, regen_golden: bool, name: str) -> None:
    doc = converted(name).document
    stem = name.rsplit(".", 1)[0]
    _check_golden(f"{stem}.html", to_html(doc), regen_golden)
    _check_golden(f"{stem}.md", to_markdown(doc), regen_golden)
    assert to_json(doc).startswith("{")
