from docpipe.document import BBox
from docpipe.parse.layout.reading_order import reading_order


def b(x0: float, y0: float, x1: float, y1: float) -> BBox:
    return BBox(x0=x0, y0=y0, x1=x1, y1=y1)


def test_two_columns_under_a_full_width_title_read_column_by_column() -> None:
    boxes = {
        "title": b(50, 40, 560, 70),
        "L1": b(50, 100, 290, 200),
        "R1": b(320, 100, 560, 200),
        "L2": b(50, 210, 290, 300),
        "R2": b(320, 210, 560, 300),
        "L3": b(50, 310, 290, 400),
        "R3": b(320, 310, 560, 400),
    }
    names = list(boxes)
    order = [names[i] for i in reading_order(list(boxes.values()))]
    assert order == ["title", "L1", "L2", "L3", "R1", "R2", "R3"]


def test_full_width_heading_between_column_runs_separates_them() -> None:
    boxes = {
        "L1": b(50, 100, 290, 200),
        "R1": b(320, 100, 560, 200),
        "mid": b(50, 220, 560, 240),
        "L2": b(50, 260, 290, 360),
        "R2": b(320, 260, 560, 360),
    }
    names = list(boxes)
    order = [names[i] for i in reading_order(list(boxes.values()))]
    assert order == ["L1", "R1", "mid", "L2", "R2"]


def test_invoice_header_blocks_then_table_then_totals() -> None:
    boxes = {
        "totals": b(380, 500, 560, 560),
        "table": b(50, 300, 560, 480),
        "meta": b(380, 50, 560, 100),
        "vendor": b(50, 50, 250, 110),
    }
    names = list(boxes)
    order = [names[i] for i in reading_order(list(boxes.values()))]
    assert order == ["vendor", "meta", "table", "totals"]


def test_short_heading_alone_between_column_runs_still_separates_them() -> None:
    from docpipe.parse.layout.reading_order import order_elements

    boxes = {
        "title": (b(50, 40, 560, 70), "title"),
        "L1": (b(50, 100, 290, 200), "text"),
        "R1": (b(320, 100, 560, 210), "text"),
        "mid": (b(50, 230, 260, 245), "section_header"),  # left-aligned, does not cross the gutter
        "L2": (b(50, 260, 290, 360), "text"),
        "R2": (b(320, 260, 560, 340), "text"),
    }
    names = list(boxes)
    order = order_elements([v[0] for v in boxes.values()], [v[1] for v in boxes.values()])
    assert [names[i] for i in order] == ["title", "L1", "R1", "mid", "L2", "R2"]


def test_heading_inside_one_column_stays_in_that_column() -> None:
    from docpipe.parse.layout.reading_order import order_elements

    boxes = {
        "L1": (b(50, 100, 290, 200), "text"),
        "h": (b(50, 210, 200, 225), "section_header"),
        "L2": (b(50, 235, 290, 360), "text"),
        "R1": (b(320, 100, 560, 360), "text"),  # the right column runs beside the heading
    }
    names = list(boxes)
    order = order_elements([v[0] for v in boxes.values()], [v[1] for v in boxes.values()])
    assert [names[i] for i in order] == ["L1", "h", "L2", "R1"]


def test_captions_follow_the_figure_or_table_they_label() -> None:
    from docpipe.parse.layout.reading_order import attach_captions, order_elements

    boxes = {
        "fig": (b(320, 100, 560, 250), "figure"),
        "figcap": (b(320, 256, 520, 268), "caption"),  # under the figure, right column
        "L1": (b(50, 100, 290, 300), "text"),
        "tabcap": (b(50, 320, 300, 332), "caption"),  # over the table
        "table": (b(50, 338, 560, 450), "table"),
        "R2": (b(320, 280, 560, 300), "text"),
    }
    names = list(boxes)
    bx, labels = [v[0] for v in boxes.values()], [v[1] for v in boxes.values()]
    order = attach_captions(bx, labels, order_elements(bx, labels))
    got = [names[i] for i in order]
    assert got.index("figcap") == got.index("fig") + 1
    assert got.index("tabcap") == got.index("table") - 1
    assert got.index("L1") < got.index("fig")  # left column first, as before


def test_right_to_left_lines_read_in_logical_order_with_latin_runs_kept() -> None:
    from docpipe.document import Word
    from docpipe.parse.layout.lines import group_lines

    # As a text layer gives them: left to right as drawn.
    drawn = ["داخلی", "کالای", "PDF", "2.0", "بازار", "در"]
    words = [Word(text=t, bbox=BBox.of(10 + 50 * i, 10, 50 + 50 * i, 20)) for i, t in enumerate(drawn)]
    (line,) = group_lines(words)
    assert line.segments[0].text == "در بازار PDF 2.0 کالای داخلی"


def test_right_to_left_page_reads_its_columns_right_to_left() -> None:
    from docpipe.document import Element, Provenance
    from docpipe.parse.layout.reading_order import rtl_page

    def el(text: str, x0: float) -> Element:
        return Element(id="", label="text", text=text, prov=[Provenance(page=1, bbox=BBox.of(x0, 100, x0 + 200, 300))])

    assert rtl_page([el("شرکت بورس کالای ايران", 300), el("Name 12", 50)])
    assert not rtl_page([el("An English page with one word شرکت", 50)])
