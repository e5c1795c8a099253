"""Borderless tables in a layout table region (columns from white space no row crosses, stacked
header labels, wrapped cells, spanning headers), ruled grids missing their body rules, the SLANet
engine on a real rendered table, its pinned model file, and sparse tables in HTML."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from docpipe.document import BBox, TableCell, TableData, Word
from docpipe.errors import ModelPinError
from docpipe.options import GeometryTableOptions, SlanetTableOptions
from docpipe.parse.tables import TABLES, TablePage
from docpipe.parse.tables.aligned import aligned_table
from docpipe.parse.tables.auto import choose
from docpipe.parse.tables.slanet import SlanetTableEngine, check_model, shipped_model_path
from docpipe.serialize.html import table_html

CHAR = 5.0  # points per character of the fake text layer
LINE = 10.0
SPACE = 2.5


def line(y: float, *cells: tuple[float, str]) -> list[Word]:
    """Words of one text line: each (x, phrase) laid out word by word, a space (a quarter of the
    line height, as in print) apart."""
    out = []
    for x, phrase in cells:
        for word in phrase.split():
            out.append(Word(text=word, bbox=BBox.of(x, y, x + CHAR * len(word), y + LINE)))
            x += CHAR * len(word) + SPACE
    return out


REPORT = [
    *line(100, (50, "Country"), (150, "Sample"), (250, "Total")),
    *line(111, (150, "size")),  # the header label wraps inside its column
    *line(130, (50, "Austria"), (160, "25"), (250, "109")),
    *line(141, (50, "Germany"), (160, "123"), (250, "290")),
    *line(152, (50, "Bosnia and"), (160, "12"), (250, "40")),
    *line(163, (50, "Herzegovina")),  # the label wraps: the row goes on
    *line(174, (50, "Total"), (160, "160"), (250, "439")),
]


def test_columns_come_from_white_space_and_wrapped_text_stays_in_its_cell() -> None:
    t = aligned_table(REPORT, page=1)
    assert t is not None
    assert t.grid() == [
        ["Country", "Sample size", "Total"],
        ["Austria", "25", "109"],
        ["Germany", "123", "290"],
        ["Bosnia and Herzegovina", "12", "40"],
        ["Total", "160", "439"],
    ]
    assert t.header_rows() == 1


def test_a_group_label_over_two_columns_spans_them() -> None:
    words = [
        *line(100, (40, "Country"), (128, "Survey 2007"), (238, "Survey 2006")),
        *line(111, (130, "n"), (180, "pos"), (240, "n"), (290, "pos")),
        *line(130, (40, "Austria"), (125, "109"), (180, "0.9"), (235, "93"), (290, "1.1")),
        *line(141, (40, "Spain"), (125, "36"), (180, "0"), (235, "40"), (290, "0")),
        *line(152, (40, "Italy"), (125, "334"), (180, "2.4"), (235, "241"), (290, "0.4")),
    ]
    t = aligned_table(words, page=1)
    assert t is not None
    cells = {c.text: (c.row, c.col, c.col_span) for c in t.cells}
    assert cells["Survey 2007"] == (0, 1, 2) and cells["Survey 2006"] == (0, 3, 2)
    assert cells["pos"] in {(1, 2, 1), (1, 4, 1)}
    assert t.grid()[2] == ["Austria", "109", "0.9", "93", "1.1"]
    assert t.grid()[0][0] == "Country" and t.n_rows == 5


def test_prose_in_a_region_is_no_table() -> None:
    words = [*line(100, (50, "One sentence runs across the whole width")), *line(111, (50, "and the next line too"))]
    assert aligned_table(words, page=1) is None


def test_a_ruled_grid_without_rules_in_its_body_gets_its_columns_from_the_words() -> None:
    # Rules under the header and at the bottom; vertical rules only beside the header cells.
    rules = [(40, 95, 300, 95), (40, 123, 300, 123), (40, 187, 300, 187)]
    rules += [(40, 95, 40, 187), (140, 95, 140, 123), (240, 95, 240, 123), (300, 95, 300, 187)]
    page = TablePage(REPORT, rules, 1, regions=[])
    (found,) = TABLES.create(GeometryTableOptions()).find(page)
    assert found.table.grid()[1:] == [
        ["Austria", "25", "109"],
        ["Germany", "123", "290"],
        ["Bosnia and Herzegovina", "12", "40"],
        ["Total", "160", "439"],
    ]


def test_the_model_is_dropped_where_it_merges_value_rows() -> None:
    merged = TableData(
        n_rows=2,
        n_cols=2,
        cells=[
            TableCell(row=0, col=0, text="Country"),
            TableCell(row=0, col=1, text="Total"),
            TableCell(row=1, col=0, text="Austria Germany"),
            TableCell(row=1, col=1, text="109 290"),
        ],
    )
    aligned = aligned_table(REPORT, page=1)
    assert choose(merged, aligned, REPORT) is aligned  # 1 value row for 4 lines holding values
    assert choose(None, aligned, REPORT) is aligned
    assert choose(aligned, None, REPORT) is aligned


def test_sparse_rows_keep_their_columns_in_html() -> None:
    t = TableData(
        n_rows=2,
        n_cols=3,
        cells=[
            TableCell(row=0, col=0, text="Year", is_header=True),
            TableCell(row=0, col=1, text="Q1", is_header=True, col_span=2),
            TableCell(row=1, col=0, text="2008"),
            TableCell(row=1, col=2, text="226.8"),
        ],
    )
    html = table_html(t)
    assert '<tr><th>Year</th><th colspan="2">Q1</th></tr>' in html
    assert "<tr><td>2008</td><td></td><td>226.8</td></tr>" in html


def test_a_model_file_that_is_not_the_pinned_one_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "slanet-plus.onnx"
    fake.write_bytes(b"not the model")
    with pytest.raises(ModelPinError, match="does not match the pin of the SLANet-plus table model"):
        check_model(fake)
    check_model(shipped_model_path())  # the wheel's file is


@pytest.mark.slow
def test_slanet_reads_a_rendered_table_and_fills_it_with_the_page_words() -> None:
    rows = [["Item", "Qty", "Price"], ["Bolts", "4", "1.20"], ["Nuts", "6", "0.80"], ["Washers", "10", "0.15"]]
    font = ImageFont.load_default(size=20)
    img = Image.new("RGB", (420, 200), "white")
    draw = ImageDraw.Draw(img)
    words = []
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            x, y = 20 + c * 140, 20 + r * 40
            draw.text((x, y), text, fill="black", font=font)
            x0, y0, x1, y1 = draw.textbbox((x, y), text, font=font)
            words.append(Word(text=text, bbox=BBox.of(x0, y0, x1, y1)))
    page = TablePage(words, None, 1, regions=[BBox.of(10, 10, 410, 190)], image=img, px_per_pt=1.0)
    # every core (rapid-table's session as it comes) and a worker's one-thread share: the same table
    for engine in (SlanetTableEngine(), SlanetTableEngine(SlanetTableOptions(threads=1))):
        (found,) = engine.find(page)
        assert found.table.grid() == rows


def test_the_model_is_not_run_where_its_table_would_be_dropped() -> None:
    """A region without a value line keeps the alignment's table whatever the model reads
    (choose()), so the auto engine does not run the model there; with values it does."""
    from docpipe.parse.tables.auto import AutoTableEngine

    words_only = [
        *line(100, (50, "Option"), (200, "Meaning")),
        *line(111, (50, "Draft"), (200, "No figures")),
        *line(122, (50, "Review"), (200, "Line numbers")),
        *line(133, (50, "Final"), (200, "Camera ready")),
    ]
    engine = AutoTableEngine()
    asked: list[int] = []

    def structure(image: object, words: list[Word], region: BBox, px: float, page: int) -> TableData | None:
        asked.append(len(words))
        return None

    engine.model.structure = structure  # type: ignore[method-assign]
    image = Image.new("RGB", (400, 300), "white")
    region = BBox.of(40, 95, 330, 190)
    found = engine.find(TablePage(words_only, None, 1, [region], image, 1.0))
    assert not asked
    assert found[0].table.grid() == [
        ["Option", "Meaning"],
        ["Draft", "No figures"],
        ["Review", "Line numbers"],
        ["Final", "Camera ready"],
    ]
    assert found[0].table == choose(None, aligned_table(words_only, 1), words_only)
    engine.find(TablePage(REPORT, None, 1, [region], image, 1.0))
    assert asked == [len(REPORT)]
