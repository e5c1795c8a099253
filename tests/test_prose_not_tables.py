"""Where the layout model's regions contradict the text layer's geometry, the geometry wins:
prose in columns under a table region reads as columns, a label/value form reads row by row,
narrow column gutters split lines, staggered baselines do not chain lines, and headings come
from capitals over a paragraph and from a bold label line's end. Fake text layers in points."""

from __future__ import annotations

from pathlib import Path

from reportlab.lib.pagesizes import letter
from reportlab.pdfgen import canvas

from docpipe.document import BBox, TableCell, TableData, Word
from docpipe.options import ConvertOptions, GeometryTableOptions
from docpipe.parse.layout import Region
from docpipe.parse.layout.blocks import assemble_page
from docpipe.parse.layout.lines import group_lines
from docpipe.parse.layout.reading_order import order_elements
from docpipe.parse.load import open_source
from docpipe.parse.stages import AssembleStage, PageContext
from docpipe.parse.tables import TABLES, TablePage
from docpipe.parse.tables.aligned import aligned_table
from docpipe.parse.tables.auto import choose
from docpipe.parse.tables.prose import label_value_form, running_text

CHAR = 4.5  # points per character
HEIGHT = 9.0
SPACE = 2.5
PITCH = 10.0  # baseline to baseline

LOREM = (
    "the agency has determined that final corrective action is necessary to address the unsafe "
    "condition and this proposed rule would require installing new flight control software and "
    "revising the existing manual to incorporate new and revised procedures for every crew that "
    "operates these airplanes under the conditions named in the service information of the maker"
).split()


def phrase(x: float, y: float, text: str, bold: bool = False) -> list[Word]:
    out = []
    for word in text.split():
        out.append(Word(text=word, bbox=BBox.of(x, y, x + CHAR * len(word), y + HEIGHT), bold=bold))
        x += CHAR * len(word) + SPACE
    return out


def column(x: float, y: float, width: float, n_lines: int, tag: str, start: int = 0) -> list[Word]:
    """Running text filling a column: lines of LOREM words (the first word of the column tagged,
    so the test can tell the columns apart in the output)."""
    words, k = [], start
    for i in range(n_lines):
        cx, line = x, []
        while True:
            w = LOREM[k % len(LOREM)]
            if i == 0 and not line:
                w = tag
            if cx + CHAR * len(w) > x + width:
                break
            line.append(Word(text=w, bbox=BBox.of(cx, y + i * PITCH, cx + CHAR * len(w), y + i * PITCH + HEIGHT)))
            cx += CHAR * len(w) + SPACE
            k += 1
        words += line
    return words


# Three columns 166 pt wide with a 10 pt gutter: narrower than a segment gap (1.1 line heights).
THREE = [
    *column(45, 100, 166, 30, "Alpha"),
    *column(221, 100, 166, 30, "Bravo", 7),
    *column(397, 100, 166, 30, "Charlie", 13),
]


def test_a_narrow_column_gutter_splits_every_line_into_its_columns() -> None:
    lines = group_lines(THREE)
    assert len(lines) == 30
    assert all(len(ln.segments) == 3 for ln in lines)
    assert [s.words[0].text for s in lines[0].segments] == ["Alpha", "Bravo", "Charlie"]


def test_a_wide_word_space_in_one_justified_line_is_no_gutter() -> None:
    words = column(45, 100, 300, 5, "Start")
    shifted = [w for w in words if w.bbox.y0 == 120.0]
    for w in shifted[4:]:  # one line with a wide space after its fourth word (justified)
        w.bbox = BBox.of(w.bbox.x0 + 7, w.bbox.y0, w.bbox.x1 + 7, w.bbox.y1)
    assert all(len(ln.segments) == 1 for ln in group_lines(words))


def test_staggered_column_baselines_do_not_chain_lines() -> None:
    # The second and third columns sit 2.8 and 5.4 pt lower than the first, as on a Government page.
    words = [
        *column(45, 100, 166, 8, "Alpha"),
        *column(221, 102.8, 166, 8, "Bravo"),
        *column(397, 105.4, 166, 8, "Charlie"),
    ]
    for ln in group_lines(words):
        for s in ln.segments:
            assert max(w.bbox.y0 for w in s.words) - min(w.bbox.y0 for w in s.words) < 3.0


def test_prose_columns_under_a_table_region_read_column_by_column() -> None:
    region = Region("table", BBox.of(300, 95, 570, 400), 0.53)  # over half a column and the next
    engine = TABLES.create(GeometryTableOptions())
    tables = engine.find(TablePage(THREE, None, 1, [region.bbox]))
    assert tables == []
    elements = assemble_page(THREE, [region], tables, 1, 792, "text_layer")
    order = order_elements([e.bbox for e in elements], [e.label for e in elements])
    firsts = [elements[i].text.split()[0] for i in order]
    assert firsts == ["Alpha", "Bravo", "Charlie"]
    assert all(e.label == "text" for e in elements)


def test_running_text_is_told_from_a_table_with_a_column_of_labels() -> None:
    assert running_text(THREE)
    table = [
        *phrase(50, 100, "manuscript"),
        *phrase(150, 100, "A manuscript set for review, which is the default of the class"),
        *phrase(50, 110, "acmsmall"),
        *phrase(150, 110, "The small journal format used by many of the transactions"),
        *phrase(50, 120, "acmlarge"),
        *phrase(150, 120, "The large journal format used by a few of the journals today"),
    ]
    assert not running_text(table)


FORM = [
    *phrase(60, 100, "Application for Admission", bold=True),
    *phrase(60, 130, "Standard name", bold=True),
    *phrase(260, 130, "Cast billets for structural steel"),
    *phrase(60, 152, "National standard number", bold=True),
    *phrase(260, 152, "20300"),
    *phrase(60, 174, "Issued by", bold=True),
    *phrase(260, 174, "National Standards Organization"),
    *phrase(60, 196, "Has the producer obtained", bold=True),
    *phrase(260, 196, "Yes"),
    *phrase(60, 206, "the standard?", bold=True),  # the label wraps
    *phrase(60, 236, "Date of admission", bold=True),
    *phrase(260, 236, "1403/10/04"),
    *phrase(60, 258, "Admission advisor", bold=True),
    *phrase(260, 258, "Armon Brokerage"),
]


def test_a_form_under_a_page_sized_table_region_reads_label_then_value() -> None:
    assert label_value_form(FORM)
    region = Region("table", BBox.of(40, 90, 560, 280), 0.66)
    engine = TABLES.create(GeometryTableOptions())
    tables = engine.find(TablePage(FORM, None, 1, [region.bbox]))
    assert tables == []
    elements = assemble_page(FORM, [region], tables, 1, 792, "text_layer")
    order = order_elements([e.bbox for e in elements], [e.label for e in elements])
    text = "\n".join(elements[i].text for i in order).split("\n")
    assert text[0] == "Application for Admission"
    assert text[1:4] == [
        "Standard name Cast billets for structural steel",
        "National standard number 20300",
        "Issued by National Standards Organization",
    ]
    assert "Has the producer obtained the standard? Yes" in text


def test_a_table_with_bold_row_labels_and_values_stays_a_table() -> None:
    rows = [phrase(60, 100, "Country"), phrase(200, 100, "2019"), phrase(300, 100, "2020")]
    for i, (name, a, b) in enumerate(
        [("Austria", "12.5", "13.1"), ("Belgium", "9.4", "9.9"), ("Croatia", "3.2", "3.0")]
    ):
        y = 112 + i * 12
        rows += [phrase(60, y, name, bold=True), phrase(200, y, a), phrase(300, y, b)]
    rows += [phrase(60, 148 + 12 * k, f"Row{k}", bold=True) + phrase(200, 148 + 12 * k, f"{k}.5") for k in range(3)]
    words = [w for r in rows for w in r]
    assert not label_value_form(words)


def test_a_bold_label_line_ends_before_the_bold_heading_under_it() -> None:
    words = [
        *phrase(45, 100, "SUPPLEMENTARY INFORMATION:", bold=True),
        *phrase(45, 110, "Comments Invited", bold=True),
        *column(45, 122, 166, 4, "The"),
    ]
    elements = assemble_page(words, [], [], 1, 792, "text_layer")
    by_text = {e.text: e for e in elements}
    assert by_text["Comments Invited"].label == "section_header"
    assert "SUPPLEMENTARY INFORMATION:" in by_text


def test_a_line_in_capitals_over_a_paragraph_of_a_scan_is_its_heading() -> None:
    words = [*phrase(55, 245, "ABSTRACT"), *column(55, 257, 240, 5, "Accurate")]
    words += [*phrase(55, 320, "4 ANNOTATION CAMPAIGN"), *column(55, 332, 240, 3, "The")]
    elements = assemble_page(words, [], [], 1, 792, "ocr")
    heads = [(e.text, e.level) for e in elements if e.label == "section_header"]
    assert heads == [("ABSTRACT", 3), ("4 ANNOTATION CAMPAIGN", 2)]
    assert any(e.text.startswith("Accurate") for e in elements if e.label == "text")


def test_auto_drops_a_model_table_that_stacks_values_the_alignment_keeps_apart() -> None:
    def table(rows: list[list[str]]) -> TableData:
        cells = [TableCell(row=r, col=c, text=t) for r, row in enumerate(rows) for c, t in enumerate(row)]
        return TableData(n_rows=len(rows), n_cols=len(rows[0]), cells=cells)

    aligned = table(
        [["2", "Normal", "0.88", "0.40"], ["3", "Challenge", "0.88", "0.40"], ["4", "Easy", "0.87", "1.00"]]
    )
    merged = table(
        [["2", "Normal Challenge", "0.88 0.88", "0.40 0.40"], ["3", "", "", ""], ["4", "Easy", "0.87", "1.00"]]
    )
    words = [
        *phrase(50, 100, "2 Normal 0.88 0.40"),
        *phrase(50, 110, "3 Challenge 0.88 0.40"),
        *phrase(50, 120, "4 Easy 0.87 1.00"),
    ]
    assert choose(merged, aligned, words) is aligned


def test_a_text_layer_page_with_a_table_region_is_rendered_for_the_table_model(tmp_path: Path) -> None:
    pdf = tmp_path / "table.pdf"
    c = canvas.Canvas(str(pdf), pagesize=letter)
    for i, row in enumerate([("Item", "Qty"), ("Bolts", "4"), ("Nuts", "6")]):
        c.drawString(72, 700 - 14 * i, row[0])
        c.drawString(200, 700 - 14 * i, row[1])
    c.save()
    stage = AssembleStage(ConvertOptions(tables=GeometryTableOptions()))
    with open_source(pdf) as src:
        page = next(src.pages())
        plain = stage(PageContext(source=page, words=list(page.text_words)))
        assert plain.image is None  # no table region: nothing to render
        ctx = PageContext(
            source=page, words=list(page.text_words), regions=[Region("table", BBox.of(60, 80, 260, 130), 0.9)]
        )
        ctx = stage(ctx)
    assert ctx.image is not None and ctx.image.width == round(612 * 200 / 72)
    (table,) = [e for e in ctx.elements if e.label == "table"]
    assert table.table is not None and table.table.grid() == [["Item", "Qty"], ["Bolts", "4"], ["Nuts", "6"]]


def test_a_wrapped_label_a_long_label_and_a_group_row_keep_their_rows() -> None:
    # OLMo 2's data table: a group row under the header, a label whose first line holds nothing
    # else (the values stand level with its second line), a label reaching into the white
    # before the next column, and a label continued on a line below its values.
    words = [
        *phrase(135, 65, "Source"),
        *phrase(244, 65, "Type"),
        *phrase(335, 65, "Tokens"),
        *phrase(415, 65, "Docs"),
        *phrase(242, 80, "Pretraining Mix"),
        *phrase(135, 96, "DCLM-Baseline"),
        *phrase(244, 96, "Web"),
        *phrase(335, 96, "3.71T"),
        *phrase(415, 96, "2.95B"),
        *phrase(135, 110, "StarCoder"),
        *phrase(148, 118, "filtered"),
        *phrase(244, 118, "Code"),
        *phrase(335, 118, "83.0B"),
        *phrase(415, 118, "78.7M"),
        *phrase(135, 132, "arXiv"),
        *phrase(244, 132, "STEM"),
        *phrase(335, 132, "20.8B"),
        *phrase(415, 132, "3.95M"),
        *phrase(135, 146, "Wikipedia and Wikibooks"),
        *phrase(244, 146, "Encyclopedic"),
        *phrase(335, 146, "3.7B"),
        *phrase(415, 146, "6.17M"),
        *phrase(148, 155, "from Dolma"),
        *phrase(135, 169, "Total"),
        *phrase(335, 169, "3.90T"),
        *phrase(415, 169, "3.08B"),
    ]
    t = aligned_table(words, page=1)
    assert t is not None
    rows = [[c for c in r if c] for r in t.grid()]
    assert rows == [
        ["Source", "Type", "Tokens", "Docs"],
        ["Pretraining Mix"],
        ["DCLM-Baseline", "Web", "3.71T", "2.95B"],
        ["StarCoder filtered", "Code", "83.0B", "78.7M"],
        ["arXiv", "STEM", "20.8B", "3.95M"],
        ["Wikipedia and Wikibooks from Dolma", "Encyclopedic", "3.7B", "6.17M"],
        ["Total", "3.90T", "3.08B"],
    ]


def test_bulleted_lines_are_list_items_and_the_paragraph_after_them_is_not() -> None:
    # Government style: bullets set in by a quad, lines carried on at the column's edge, the next
    # paragraph indented like the bullets after a line that ends a sentence short of the edge.
    words = [
        *phrase(45, 100, "using the procedures found in the rule, by any of the following methods:"),
        *phrase(54, 110, "• Fax: 202–493–2251."),
        *phrase(54, 120, "• Hand Delivery: Deliver to the mail address above between"),
        *phrase(45, 130, "9 a.m. and 5 p.m., Monday through Friday, except"),
        *phrase(45, 140, "Federal holidays."),
        *phrase(54, 150, "For service information identified in this rule, contact"),
        *phrase(45, 160, "the maker at the address given in the notice above."),
    ]
    elements = assemble_page(words, [], [], 1, 792, "text_layer")
    got = [(e.label, e.text.replace("\n", " ")) for e in elements]
    assert got == [
        ("text", "using the procedures found in the rule, by any of the following methods:"),
        ("list_item", "Fax: 202–493–2251."),
        (
            "list_item",
            "Hand Delivery: Deliver to the mail address above between 9 a.m. and 5 p.m., Monday through Friday,"
            " except Federal holidays.",
        ),
        (
            "text",
            "For service information identified in this rule, contact the maker at the address given in the"
            " notice above.",
        ),
    ]
