"""Ruled tables: the grid drawn by a PDF's rules, with row and column spans, as real HTML."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from docpipe.document import BBox, TableData, Word
from docpipe.measure.scores import table_f1
from docpipe.parse.tables.ruled import find_ruled_tables
from docpipe.serialize.html import table_html

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from eval_docs import make_all


def w(text: str, x: float, y: float) -> Word:
    return Word(text=text, bbox=BBox.of(x, y, x + 6 * len(text), y + 10))


def test_missing_rule_segments_make_spans() -> None:
    # A 3x3 grid 0..300 x 0..60; the rule between columns 1 and 2 is absent in row 0, and
    # the rule between rows 0 and 1 is absent under column 0.
    h = [(0, 0, 300, 0), (100, 20, 300, 20), (0, 40, 300, 40), (0, 60, 300, 60)]
    v = [(0, 0, 0, 60), (100, 0, 100, 60), (200, 20, 200, 60), (300, 0, 300, 60)]
    words = [w("Name", 10, 5), w("Score", 150, 3), w("A", 120, 25), w("B", 220, 25), w("Ann", 10, 45), w("7", 120, 45)]
    (t,) = find_ruled_tables(h + v, [*words, w("outside", 10, 90)], page=1)
    cells = {c.text: (c.row, c.col, c.row_span, c.col_span, c.is_header) for c in t.table.cells if c.text}
    assert cells == {
        "Name": (0, 0, 2, 1, True),
        "Score": (0, 1, 1, 2, True),
        "A": (1, 1, 1, 1, True),
        "B": (1, 2, 1, 1, True),
        "Ann": (2, 0, 1, 1, False),
        "7": (2, 1, 1, 1, False),
    }
    assert [x.text for x in t.words] == [x.text for x in words]  # "outside" stays out
    assert t.bbox.as_list() == [0, 0, 300, 60]


@pytest.mark.slow
def test_spanned_table_of_a_text_pdf_keeps_its_structure(converter, tmp_path: Path) -> None:
    ((path, truth),) = make_all(tmp_path, ["table_spans"])
    doc = converter.convert(path).document
    (el,) = [e for e in doc.body if e.table is not None]
    assert table_f1(TableData(**truth["tables"][0]), el.table) == 1.0
    html = table_html(el.table)
    assert '<th rowspan="2">Region</th><th colspan="2">Sales</th><th rowspan="2">Staff</th>' in html
    assert "<tr><td>North</td><td>120</td><td>135</td><td>14</td></tr>" in html
    assert "After the table." in doc.text() and "North" not in doc.body[-1].text
