"""Pages stored turned (/Rotate 90 or 270, e.g. a landscape table in a portrait file): the text
layer's boxes are mapped to the page as displayed and rendered, so words read as lines."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from reportlab.lib.pagesizes import letter
from reportlab.pdfgen import canvas

from docpipe.parse.layout.lines import group_lines
from docpipe.parse.load.pdf import iter_pdf_pages, open_pdf

LINES = ["Landscape report of expenditures", "Second line here"]


def turned_page(path: Path, rotation: int) -> Path:
    """Text drawn turned against the page's /Rotate, so the page reads upright as displayed."""
    c = canvas.Canvas(str(path), pagesize=letter)
    c.setPageRotation(rotation)  # reportlab swaps the media box: user space is 792 x 612
    if rotation == 90:
        c.rotate(90)
        ys = [-100, -118]
    else:
        c.translate(0, letter[0])
        c.rotate(-90)
        ys = [100, 118]
    c.setFont("Helvetica", 12)
    for text, y in zip(LINES, ys, strict=True):
        c.drawString(72, y, text)
    c.save()
    return path


@pytest.mark.parametrize("rotation", [90, 270])
def test_turned_page_reads_as_lines_where_the_render_shows_them(tmp_path: Path, rotation: int) -> None:
    pdf = open_pdf(turned_page(tmp_path / f"rot{rotation}.pdf", rotation))
    page = next(iter_pdf_pages(pdf))
    assert page.rotation == rotation and (page.width, page.height) == (612.0, 792.0)
    lines = group_lines(page.text_words)
    assert sorted(ln.segments[0].text for ln in lines) == sorted(LINES)
    image = np.asarray(page.render(72).convert("L"))
    for w in page.text_words:  # each word's box holds ink on the displayed page
        box = image[int(w.bbox.y0) : int(w.bbox.y1) + 1, int(w.bbox.x0) : int(w.bbox.x1) + 1]
        assert w.bbox.x1 <= page.width and w.bbox.y1 <= page.height and (box < 128).any(), w.text
    pdf.close()
