"""Text drawn turned on a page (a table set sideways): whole words along the text's direction,
the page read upright; and value tables the layout model did not mark."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from reportlab.pdfgen import canvas

from docpipe.document import BBox, Word
from docpipe.parse.load import open_source
from docpipe.parse.load.direction import dominant_turn, from_frame, to_frame
from docpipe.parse.load.pdf import text_layer_words
from docpipe.parse.tables.values import value_blocks

REALDOCS = Path(__file__).resolve().parents[2] / "shared" / "realdocs"


def turned_pdf(path: Path, angle: int) -> Path:
    """A portrait page with three lines drawn turned by `angle` degrees counter-clockwise."""
    c = canvas.Canvas(str(path), pagesize=(612, 792))
    c.saveState()
    c.translate(300, 200)
    c.rotate(angle)
    c.setFont("Helvetica", 12)
    for k, text in enumerate(["Region North South", "Sales 120 135", "Staff 14 9"]):
        c.drawString(0, -16 * k, text)
    c.restoreState()
    c.setFont("Helvetica", 9)
    c.drawString(72, 40, "page 1")
    c.save()
    return path


def test_frames_invert() -> None:
    for turn in (0, 90, 180, 270):
        assert from_frame(to_frame((1.0, 2.0, 3.0, 5.0), turn), turn) == (1.0, 2.0, 3.0, 5.0)
    assert dominant_turn(Counter({270: 80, 0: 20})) == 270
    assert dominant_turn(Counter({270: 50, 0: 50})) == 0


@pytest.mark.parametrize(("angle", "turn"), [(90, 270), (-90, 90)])
def test_turned_text_comes_out_as_words_and_the_page_says_how_it_is_turned(
    tmp_path: Path, angle: int, turn: int
) -> None:
    path = turned_pdf(tmp_path / "turned.pdf", angle)
    page = pdfium.PdfDocument(str(path))[0]
    turns: Counter[int] = Counter()
    words = text_layer_words(page, page.get_height(), None, turns)
    want = ["Region", "North", "South", "Sales", "120", "135", "Staff", "14", "9", "page", "1"]
    assert sorted(w.text for w in words) == sorted(want)  # whole words, not letters
    assert dominant_turn(turns) == turn
    region = next(w.bbox for w in words if w.text == "Region")
    assert region.height > 2 * region.width  # a word of text running up or down the page
    (sp,) = list(open_source(path).pages())
    assert sp.text_turn == turn


@pytest.mark.slow
@pytest.mark.parametrize(("angle", "turn"), [(90, 270), (-90, 90)])
def test_a_turned_page_reads_upright_in_order(converter, tmp_path: Path, angle: int, turn: int) -> None:
    doc = converter.convert(turned_pdf(tmp_path / "turned.pdf", angle)).document
    assert doc.pages[0].orientation == turn
    el = next(e for e in doc.body if "Region" in e.text)
    assert el.bbox.height > el.bbox.width  # boxes are mapped back onto the page as stored
    text = doc.text()
    assert text.index("Region North South") < text.index("Sales 120 135") < text.index("Staff 14 9")


def line(y: float, *cells: tuple[float, str]) -> list[Word]:
    out = []
    for x, phrase in cells:
        for word in phrase.split():
            out.append(Word(text=word, bbox=BBox.of(x, y, x + 5 * len(word), y + 10)))
            x += 5 * len(word) + 2.5
    return out


def test_a_run_of_value_lines_under_a_paragraph_is_a_table_with_its_header() -> None:
    prose = [
        *line(60, (50, "World production capacity was stable in 2009 and 2010 with 5 plants.")),
        *line(72, (50, "Capacity:")),
    ]
    header = line(90, (150, "Oxide"), (250, "Carbide"))
    rows = [
        line(102, (50, "Brazil"), (150, "50,000"), (250, "43,000")),
        line(113, (50, "China"), (150, "700,000"), (250, "455,000")),
        line(124, (50, "France"), (150, "40,000"), (250, "16,000")),
    ]
    (block,) = value_blocks(prose + header + [w for r in rows for w in r])
    assert [w.text for w in block] == ["Oxide", "Carbide"] + [w.text for r in rows for w in r]
    assert value_blocks(prose) == []


@pytest.mark.slow
@pytest.mark.skipif(not (REALDOCS / "tables").exists(), reason="realdocs set not present")
def test_the_sideways_survey_table_of_realdocs_reads_row_by_row(converter) -> None:
    doc = converter.convert(REALDOCS / "tables" / "docs" / "anticlockwise_table_1.pdf").document
    (table,) = [e.table for e in doc.body if e.table is not None]
    rows = [" ".join(c for c in r if c) for r in table.grid()]
    assert "Kerala 5738 6633 8864 8297 245 2161 3195 1645 2391" in rows
    assert "Pooled 38742 53618 60601 86898 4459 21918 27041 14312 18519" in rows
