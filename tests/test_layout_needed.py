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

    def two_columns(c: canvas.Canvas) -> None:
        c.setFont("Helvetica-Bold", 11)
        c.drawString(72, 770, "1 Introduction")
        for col, x in enumerate((72, 316)):
            y = 750
            for p in range(3):
                words = LOREM[p + col :] + LOREM[: p + col]
                for line in range(6):
                    c.setFont("Helvetica", 10)
                    # the last line of each paragraph is short (two words), as paragraphs end
                    n = 2 if line == 5 else 7
                    c.drawString(x, y, " ".join(words[line * 5 : line * 5 + n]))
                    y -= 12
                y -= 12

    def columns_and_table(c: canvas.Canvas) -> None:
        two_columns(c)
        for r, row in enumerate([["Set", "Pages", "F1"], ["parse", "20", "0.98"], ["tables", "15", "0.92"]]):
            for k, cell in enumerate(row):
                c.setFont("Helvetica", 10)
                c.drawString(72 + 70 * k, 480 - 14 * r, cell)

    for name, fn in {
        "two_columns": two_columns,
        "columns_and_table": columns_and_table,
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
    [
        ("picture", "images"),
        ("diagram", "vector drawings"),
        ("table", "short runs stacked"),
        ("columns_and_table", "short runs stacked"),
    ],
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


def test_two_columns_of_running_text_need_no_layout(pdfs: dict[str, Path], converter: Converter) -> None:
    """Lines of two runs each (two columns), short paragraph ends and a bold heading beside the
    other column: prose, no cells, so the model is skipped and the page is the same as with it,
    column by column."""
    page = _page(pdfs["two_columns"])
    assert layout_needed(page.text_words, page, "text_layer") is None
    always = Converter(ConvertOptions(run_layout="always"))
    always.warm_up()
    auto_doc = converter.convert(pdfs["two_columns"]).document
    always_doc = always.convert(pdfs["two_columns"]).document
    assert auto_doc is not None and always_doc is not None
    got = [(e.label, e.text) for e in auto_doc.body]
    assert got == [(e.label, e.text) for e in always_doc.body]
    assert got[0] == ("section_header", "1 Introduction")
    # the left column is read to its end before the right one starts
    texts = [t for _, t in got]
    left = next(i for i, t in enumerate(texts) if t.startswith("Documents arrive"))
    right = next(i for i, t in enumerate(texts) if t.startswith("arrive as"))
    assert left < right


REALDOCS = Path(__file__).resolve().parents[2] / "shared" / "realdocs"


@pytest.mark.slow
@pytest.mark.skipif(not (REALDOCS / "parse").exists(), reason="realdocs set not present")
def test_real_pages_skip_the_model_only_where_it_changes_nothing(converter: Converter) -> None:
    """Real two-column papers: the prose pages skip the model and come out as the model would
    have them; the page with a results table runs it and keeps its table."""
    always = Converter(ConvertOptions(run_layout="always"))
    always.warm_up()
    for name, skipped in [
        ("latex_twocolumn_lipsum.pdf", {1, 2}),
        ("inlg2024_ngram_fscore_p1p6.pdf", {1}),
        ("acm_sigconf_sample_p2p3.pdf", {1}),
    ]:
        path = REALDOCS / "parse" / "docs" / name
        src = open_source(path)
        with src:
            pages = list(src.pages())
        assert {p.number for p in pages if layout_needed(p.text_words, p, "text_layer") is None} == skipped, name
        a, b = converter.convert(path).document, always.convert(path).document
        assert a is not None and b is not None
        for n in skipped:
            assert [(e.label, e.text) for e in a.body if e.page == n] == [
                (e.label, e.text) for e in b.body if e.page == n
            ], (name, n)
        # the page left to the model holds a table, and the model's region makes it one
        (run,) = [p.number for p in pages if p.number not in skipped]
        assert any(e.label == "table" for e in a.body if e.page == run), name
        assert [(e.label, e.text) for e in a.body if e.page == run] == [
            (e.label, e.text) for e in b.body if e.page == run
        ], name
