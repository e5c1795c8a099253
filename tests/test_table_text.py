"""Tables as the model reads them: each value after its column header, from the chunk's stored HTML."""

from __future__ import annotations

from docpipe.answer.prompt import build_messages
from docpipe.answer.table_text import html_lines
from docpipe.document import TableCell, TableData
from docpipe.index.chunking import ChunkSpan, SpanLine
from docpipe.index.records import StoredChunk
from docpipe.serialize.html import table_html

# The shape of realdocs' us-030 table as the parser stores it: a spanned group header over a
# second header level that the HTML leaves in the body, then data rows.
FUEL = (
    '<table><thead><tr><th rowspan="2">Cycle Name</th><th rowspan="2">Distance (mi)</th>'
    '<th colspan="3">Percent Fuel Savings</th></tr></thead><tbody>'
    "<tr><td>Improved Speed</td><td>Eliminate Stops</td><td>Decreased Idle</td></tr>"
    "<tr><td>2012_2</td><td>1.3</td><td>5.9%</td><td>29.2%</td><td>17.4%</td></tr>"
    "<tr><td>2145_1</td><td>11.2</td><td>2.4%</td><td>9.5%</td><td>2.7%</td></tr></tbody></table>"
)


def _table(rows: list[list[str]], header_rows: int = 1) -> str:
    cells = [
        TableCell(row=r, col=c, text=t, is_header=r < header_rows)
        for r, row in enumerate(rows)
        for c, t in enumerate(row)
        if t
    ]
    grid = TableData(n_rows=len(rows), n_cols=len(rows[0]), cells=cells)
    return f'<table id="e1" data-label="table">{table_html(grid)}</table>'


def test_each_value_is_named_by_its_column_header_and_its_group() -> None:
    assert html_lines(FUEL) == [
        "Cycle Name: 2012_2 | Distance (mi): 1.3 | Percent Fuel Savings Improved Speed: 5.9% | "
        "Percent Fuel Savings Eliminate Stops: 29.2% | Percent Fuel Savings Decreased Idle: 17.4%",
        "Cycle Name: 2145_1 | Distance (mi): 11.2 | Percent Fuel Savings Improved Speed: 2.4% | "
        "Percent Fuel Savings Eliminate Stops: 9.5% | Percent Fuel Savings Decreased Idle: 2.7%",
    ]


def test_years_name_columns_but_a_data_row_taken_for_a_header_does_not() -> None:
    ducks = _table([["Species", "2021", "2022"], ["Freshwater ducks", "160", "170"]])
    assert html_lines(ducks) == ["Species: Freshwater ducks | 2021: 160 | 2022: 170"]
    # The parser marked the first data row as header: values never name a column.
    counted = _table([["2019", "120"], ["2020", "135"]])
    assert html_lines(counted) == ["2019 | 120", "2020 | 135"]
    totals = _table([["Total HT", "624,90 €"], ["Total TTC", "671,15 €"]])
    assert html_lines(totals) == ["Total HT | 624,90 €", "Total TTC | 671,15 €"]


def test_a_row_that_carries_its_own_label_is_not_named_by_the_columns_above() -> None:
    # An invoice's totals under its item table: "Brutto" is the label of 104,00 €, not "Netto".
    bill = _table(
        [
            ["Pos", "Produkt", "Preis", "Netto"],
            ["1", "Server EQ4", "41,18 €", "41,18 €"],
            ["", "", "Brutto", "104,00 €"],
        ]
    )
    assert html_lines(bill) == ["Pos: 1 | Produkt: Server EQ4 | Preis: 41,18 € | Netto: 41,18 €", "Brutto | 104,00 €"]


def test_text_around_the_table_stays_in_reading_order_and_a_chunk_without_a_table_is_left_alone() -> None:
    html = (
        '<h2 id="e0">Table 3</h2>\n<p id="e1">Times in<br>seconds.</p>\n'
        + _table([["Metric", "AMU", "AMU-S"], ["M2", "4.34", "196.60"], ["PT-M2", "109.82", "> 1 hour"]])
        + '\n<figure id="e9"></figure>'
    )
    assert html_lines(html) == [
        "Table 3",
        "Times in",
        "seconds.",
        "Metric: M2 | AMU: 4.34 | AMU-S: 196.60",
        "Metric: PT-M2 | AMU: 109.82 | AMU-S: > 1 hour",
    ]
    assert html_lines('<p id="e0">Total 9.00</p>') is None


def test_the_prompt_reads_a_tables_values_with_their_headers() -> None:
    html = _table([["Metric", "AMU", "AMU-S"], ["M2", "4.34", "196.60"]])
    text = "paper.pdf — Results\nMetric | AMU | AMU-S\nM2 | 4.34 | 196.60"
    line = SpanLine(text="M2 | 4.34 | 196.60", page=2, bbox=[1.0, 2.0, 3.0, 4.0])
    chunk = StoredChunk(
        1,
        "paper.pdf",
        "/d/paper.pdf",
        text,
        html,
        [ChunkSpan(element_id="e1", page=2, bbox=line.bbox, text=text, lines=[line])],
    )
    user = build_messages("How many seconds does M2 take on AMU-S?", [chunk])[0][1]["content"]
    assert (
        '<passage n="1" page="2" section="Results">\n'
        "Metric: M2 | AMU: 4.34 | AMU-S: 196.60\n</passage>" in user
    )


def _table_chunk(i: int, html: str, document: str = "t.pdf") -> StoredChunk:
    line = SpanLine(text="x", page=1, bbox=[1.0, 2.0, 3.0, 4.0])
    return StoredChunk(
        i,
        document,
        f"/d/{document}",
        "x",
        html,
        [ChunkSpan(element_id="e1", page=1, bbox=line.bbox, text="x", lines=[line])],
    )


def test_the_cell_a_question_names_replaces_the_neighbour_the_model_read() -> None:
    from docpipe.answer.table_lookup import table_answer

    times = _table([["Metric", "AMU", "AMU-S"], ["M2", "4.34", "196.60"], ["PT-M2", "109.82", "> 1 hour"]])
    chunks = [_table_chunk(1, "<p>Introduction</p>"), _table_chunk(2, times)]
    q = "How many seconds does M2 take to evaluate the slow AMU-S system output?"
    found = table_answer(q, "109.82", chunks)
    assert found is not None and (found.value, found.chunk) == ("196.60", 1)
    assert table_answer(q, "196.60", chunks) is None  # the model read the right cell
    assert table_answer(q, "1842", chunks) is None  # a figure of no table here
    # A row with one value needs no column; a group header and its level name a column.
    ducks = _table_chunk(1, _table([["2021", "150"], ["2022", "170"], ["2023", "160"]]))
    assert table_answer("How many freshwater ducks were counted in 2022?", "160", [ducks]).value == "170"  # type: ignore[union-attr]
    fuel = table_answer(
        "What percent fuel savings does eliminating stops give for cycle 2012_2?", "5.9%", [_table_chunk(1, FUEL)]
    )
    assert fuel is not None and fuel.value == "29.2%"


def test_a_question_that_names_no_single_cell_leaves_the_models_reading() -> None:
    from docpipe.answer.table_lookup import table_answer

    funds = _table_chunk(
        1,
        _table(
            [
                ["Country", "Cohesion Fund EURbn", "ERDF Convergence EURbn", "Total EURbn"],
                ["Czech Republic", "8.8", "13.4", "22.2"],
                ["Estonia", "1.1", "1.9", "3.0"],
            ]
        ),
    )
    q = "What is the total EU funding in EURbn for the Czech Republic from the Cohesion Fund and ERDF Convergence?"
    assert table_answer(q, "22.2", [funds]) is None and table_answer(q, "8.8", [funds]) is None
    assert table_answer("What was issuance in the fourth quarter of 2007?", "148.8", [funds]) is None
