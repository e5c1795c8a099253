"""The per-page decision to run the layout model (docpipe.parse.layout.needed), on real PDFs
made with reportlab, and that skipping it leaves the page exactly as the model would have."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from docpipe.options import ConvertOptions
from docpipe.parse.converter import Converter
from docpipe.parse.layout.needed import layout_needed
from docpipe.parse.load import open_source
from docpipe.parse.stages import PageContext

LOREM = (
    "Documents arrive as scans and as born digital files and each page is read once by the pipeline "
    "which keeps the words in order with their boxes so that answers can cite the page they came from"
).split()


def _paragraphs(c: canvas.Canvas, y: float, n: int = 3, font: str = "Helvetica") -> float:
    for p in range(n):
        words = LOREM[p:] + LOREM[:p]
        for line in range(5):
            c.setFont(font, 11)
            c.drawString(72, y, " ".join(words[line * 6 : line * 6 + 9]))
            y -= 14
        y -= 14
    return y


def _pdf(path: Path, draw) -> Path:  # type: ignore[no-untyped-def]
    c = canvas.Canvas(str(path), pagesize=A4)
    draw(c)
    c.showPage()
    c.save()
    return path


def _page(path: Path):  # type: ignore[no-untyped-def]
    src = open_source(path)
    with src:
        return next(src.pages())


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("layout-needed")

    def plain(c: canvas.Canvas) -> None:
        _paragraphs(c, 700)

    def bold_heading(c: canvas.Canvas) -> None:
        c.setFont("Helvetica-Bold", 11)
        c.drawString(72, 740, "2 Related Work")
        _paragraphs(c, 700)

    def picture(c: canvas.Canvas) -> None:
        buf = io.BytesIO()
        Image.new("RGB", (200, 120), (200, 60, 60)).save(buf, "PNG")
        c.drawImage(ImageReader(io.BytesIO(buf.getvalue())), 72, 420, 200, 120)
        _paragraphs(c, 700, n=2)

    def diagram(c: canvas.Canvas) -> None:
        _paragraphs(c, 760, n=2)
        c.setFillColorRGB(0.6, 0.7, 0.9)
        for i in range(4):
            c.roundRect(80 + 110 * i, 300, 90, 60, 8, stroke=1, fill=1)
        c.setFillColorRGB(0, 0, 0)

    def table(c: canvas.Canvas) -> None:
        _paragraphs(c, 760, n=1)
        rows = [["Region", "Units", "Revenue", "Margin"]] + [
            [f"R{i}", str(10 * i), f"{i}.50", f"{i}%"] for i in range(1, 6)
        ]
        for r, row in enumerate(rows):
            for k, cell in enumerate(row):
                c.setFont("Helvetica", 10)
                c.drawString(72 + 120 * k, 600 - 16 * r, cell)

    for name, fn in {
        "plain": plain,
        "bold": bold_heading,
        "picture": picture,
        "diagram": diagram,
        "table": table,
    }.items():
        _pdf(d / f"{name}.pdf", fn)
    return {p.stem: p for p in d.glob("*.pdf")}


def test_plain_paragraphs_need_no_layout(pdfs: dict[str, Path]) -> None:
    page = _page(pdfs["plain"])
    assert layout_needed(page.text_words, page, "text_layer") is None


@pytest.mark.parametrize(
    ("name", "reason"),
    [("picture", "images"), ("diagram", "vector drawings"), ("table", "more than one run")],
)
def test_what_makes_layout_run(pdfs: dict[str, Path], name: str, reason: str) -> None:
    page = _page(pdfs[name])
    why = layout_needed(page.text_words, page, "text_layer")
    assert why is not None and reason in why


def test_ocr_pages_always_get_layout(pdfs: dict[str, Path]) -> None:
    page = _page(pdfs["plain"])
    assert layout_needed(page.text_words, page, "ocr") is not None


def test_a_bold_heading_is_found_without_the_model(pdfs: dict[str, Path], converter: Converter) -> None:
    """Bold on the text layer makes it a heading by geometry: no region needed for it."""
    page = _page(pdfs["bold"])
    assert layout_needed(page.text_words, page, "text_layer") is None
    doc = converter.convert(pdfs["bold"]).document
    assert doc is not None
    assert (doc.body[0].label, doc.body[0].text) == ("section_header", "2 Related Work")


def test_skipping_changes_nothing_and_running_still_labels(pdfs: dict[str, Path], converter: Converter) -> None:
    """The same page through the real model (always) and without it (auto): identical elements;
    on a page with a picture, auto runs the model and keeps its figure."""
    always = Converter(ConvertOptions(run_layout="always"))
    always.warm_up()
    auto_doc = converter.convert(pdfs["plain"]).document
    always_doc = always.convert(pdfs["plain"]).document
    assert auto_doc is not None and always_doc is not None
    assert [(e.label, e.text) for e in auto_doc.body] == [(e.label, e.text) for e in always_doc.body]
    src = open_source(pdfs["picture"])
    with src:
        ctx = PageContext(source=next(src.pages()))
        for stage in converter.stages:
            ctx = stage(ctx)
    assert ctx.layout_reason is not None and "images" in ctx.layout_reason
    assert any(e.label == "figure" for e in ctx.elements)
