"""Blank margins kept away from OCR (docpipe.parse.ocr.crop): a receipt in the middle of an
A4 flatbed scan is read from its content box, and its words come back where they are printed."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from docpipe.parse.converter import Converter
from docpipe.parse.ocr.crop import content_box

LINES = ["CORNER BAKERY SDN BHD", "2 x Cappuccino 15.00", "1 x Croissant 6.50", "TOTAL RM 21.50"]


def _flatbed(path: Path) -> tuple[int, int]:
    """A4 at 150 dpi, white, with a receipt's lines in a narrow column at (x, y)."""
    img = Image.new("RGB", (1240, 1754), "white")
    d = ImageDraw.Draw(img)
    font = ImageFont.load_default(size=30)
    x, y = 480, 600
    for i, line in enumerate(LINES):
        d.text((x, y + 60 * i), line, fill="black", font=font)
    img.save(path, dpi=(150, 150))
    return x, y


def test_the_box_holds_the_ink_and_not_the_margins(tmp_path: Path) -> None:
    x, y = _flatbed(tmp_path / "scan.png")
    with Image.open(tmp_path / "scan.png") as img:
        box = content_box(img)
        assert box is not None
        x0, y0, x1, y1 = box
        assert x0 <= x < x1 and y0 <= y < y1 and y1 > y + 60 * 3  # every line inside
        assert (x1 - x0) * (y1 - y0) < 0.2 * img.width * img.height  # most of the page left out
    page = Image.new("RGB", (600, 800), "white")
    ImageDraw.Draw(page).rectangle((10, 10, 590, 790), outline="black", width=3)  # ink edge to edge
    assert content_box(page) is None
    assert content_box(Image.new("RGB", (600, 800), "white")) is None


def test_words_read_from_the_box_sit_where_they_are_printed(tmp_path: Path, converter: Converter) -> None:
    x, y = _flatbed(tmp_path / "scan.png")
    doc = converter.convert(tmp_path / "scan.png").document
    assert doc is not None
    text = doc.text()
    for token in ("CORNER", "Cappuccino", "21.50"):
        assert token in text
    total = next(w for e in doc.body for ln in e.lines for w in ln.words if "21.50" in w.text)
    pt = 72 / 150  # the image is 150 dpi: boxes are in points
    assert abs(total.bbox.y0 - (y + 180) * pt) < 15 and total.bbox.x0 > x * pt


def test_faint_print_beside_a_dark_edge_strip_is_content() -> None:
    """A till roll with a coloured strip along its edge and faint thermal print (gray ~190 on
    paper ~230): the print is ink too, so the box is not the strip alone."""
    img = Image.new("RGB", (600, 1800), (232, 228, 230))
    d = ImageDraw.Draw(img)
    d.rectangle((0, 0, 60, 1799), fill=(200, 40, 120))  # the strip, dark in gray
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf", 40)
    for i in range(20):
        d.text((100, 80 + 80 * i), f"ITEM {i:02d} OIL 14.00", fill=(185, 170, 200), font=font)
    box = content_box(img)
    assert box is None or box[2] >= 500  # the print's right end is inside
