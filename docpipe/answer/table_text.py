"""A chunk's tables as a small model reads them: every value next to its column header.

A table row as bare cells ("2012_2 | 3.30 | 1.3 | 5.9% | 9.5% | 29.2% | 17.4%") leaves the
reader to count columns back to the header rows, and a 0.5B model miscounts: it answered
"5.9%" (the first percent column) for "eliminating stops" (measured on realdocs). Written
as "Cycle Name: 2012_2 | Improved Speed: 5.9% | ... | Eliminate Stops: 29.2%", the figure
the question asks for is named in the text beside it. The grid is read from the chunk's
stored HTML (header rows, row and column spans), so spanned group headers reach every
column under them.
"""

from __future__ import annotations

import re

from lxml import html as lxml_html
from lxml.etree import ParserError

_DIGIT = re.compile(r"\d")
# Decimals, amounts, percentages, and integers that are not a year.
_VALUE = re.compile(r"\d[.,]\d|[€$£¥%]|\b(?!(?:19|20)\d\d\b)\d{3,}\b")
HEADER_LEVELS = 2  # "Percent Fuel Savings / Eliminate Stops": the two nearest levels name a column


def _grid(table: lxml_html.HtmlElement) -> tuple[list[list[str]], dict[tuple[int, int], int], int]:
    """The table's text grid with spans filled in (a spanned cell's text in every position it
    covers), the positions a span repeats with the row its cell starts in (-1 for a column
    span), and how many leading rows the HTML marks as header (<thead>)."""
    grid: list[list[str]] = []
    taken: dict[tuple[int, int], tuple[str, int]] = {}
    repeats: dict[tuple[int, int], int] = {}
    n_head = 0
    for r, tr in enumerate(table.iter("tr")):
        parent = tr.getparent()
        if parent is not None and parent.tag == "thead":
            n_head = r + 1
        row: list[str] = []

        def fill(r: int = r, row: list[str] = row) -> None:
            while (r, len(row)) in taken:
                text, origin = taken.pop((r, len(row)))
                repeats[(r, len(row))] = origin
                row.append(text)

        for cell in tr:
            if cell.tag not in ("td", "th"):
                continue
            fill()
            text = " ".join(cell.text_content().split())
            rs, cs = _span(cell.get("rowspan")), _span(cell.get("colspan"))
            col = len(row)
            for j in range(cs):
                if j:
                    repeats[(r, col + j)] = -1
                row.append(text)
                for i in range(1, rs):
                    taken[(r + i, col + j)] = (text, -1 if j else r)
        fill()
        grid.append(row)
    width = max((len(r) for r in grid), default=0)
    return [r + [""] * (width - len(r)) for r in grid], repeats, n_head


def _span(value: str | None) -> int:
    try:
        return max(1, min(int(value or 1), 50))
    except ValueError:
        return 1


def _is_value(cell: str) -> bool:
    """A cell that reads as data, not as a column's name: an amount or measure ("624,90 €",
    "120", "4.34"; a year such as 2021 may name a column), or a label with its colon
    ("Währung:", a key-value layout)."""
    return bool(_VALUE.search(cell)) or cell.endswith(":")


def _header_rows(grid: list[list[str]], repeats: dict[tuple[int, int], int], n_head: int) -> int:
    """Header rows: those the HTML marks, unless a cell of them reads as data (the first data
    row of a table taken for its header: "2019 | 120", "Total HT | 624,90 €"); then leading
    rows of labels without figures and without a row label of their own (a second header level
    under spanned group headers: "Improved Speed | Eliminate Stops" under "Percent Fuel Savings")."""
    if any(_is_value(c) for r in grid[:n_head] for c in r):
        return 0
    n = n_head
    while n and n < len(grid) - 1:
        own = [c for j, c in enumerate(grid[n]) if c and not (0 <= repeats.get((n, j), n) < n)]
        if not own or any(_is_value(c) for c in own) or (grid[n][0] and grid[n][0] in own):
            break  # empty, data, or a labelled row (data or a group row)
        n += 1
    return n


def _column_names(grid: list[list[str]], n_head: int) -> list[str]:
    names = []
    for j in range(len(grid[0]) if grid else 0):
        levels: list[str] = []
        for r in range(n_head):
            text = grid[r][j]
            if text and text not in levels:
                levels.append(text)
        names.append(" ".join(levels[-HEADER_LEVELS:]))
    # A name over many columns ("Procedure Completion Knowledge" above nine of them) tells
    # them apart no better than none, and costs its tokens nine times a row.
    return [n if names.count(n) <= 2 else "" for n in names]


Cell = tuple[str, str]  # (column name, value); the name is "" where none applies


Header = list[list[str]]  # a table's header rows as grid rows (spans filled in)


def table_header(table: lxml_html.HtmlElement) -> Header | None:
    """The table's header rows, None when it has none."""
    grid, repeats, marked = _grid(table)
    n_head = _header_rows(grid, repeats, marked) if grid else 0
    return grid[:n_head] or None


def table_rows(table: lxml_html.HtmlElement, header: Header | None = None) -> list[list[Cell]]:
    """The body rows, each as its non-empty cells with their column names; a value repeated
    from a span left out. `header`: the header rows of the table this one continues (a table
    split over chunks: its later pieces have bare rows, "Pooled | 38742 | ... | 86898"), used
    when this one has none of its own and as many columns."""
    grid, repeats, marked = _grid(table)
    if not grid:
        return []
    n_head = _header_rows(grid, repeats, marked)
    if n_head == 0 and header and len(header[0]) == len(grid[0]):
        h = len(header)
        grid = [list(r) for r in header] + grid
        repeats = {(r + h, j): (o + h if o >= 0 else o) for (r, j), o in repeats.items()}
        n_head = h
    names = _column_names(grid, n_head)
    out = []
    for r in range(n_head, len(grid)):
        row = grid[r]
        # A row whose first cell is empty carries its own label further right (" | | Brutto |
        # 104,00 €" under an item table's "Preis | Netto"): the column names would mislabel it.
        # So does a group row ("Alignment-based | F-score" over twelve empty cells).
        own_label = not row[0] or (len(row) >= 4 and sum(bool(c) for c in row) <= 2)
        cells: list[Cell] = []
        for j, value in enumerate(row):
            origin = repeats.get((r, j))
            if not value or origin == -1 or (origin is not None and origin < n_head):
                continue  # a column span's copy, or a header cell spanning down into the body
            name = "" if own_label or names[j] == value else names[j]
            cells.append((name, value))
        if cells:
            out.append(cells)
    return out


def table_lines(table: lxml_html.HtmlElement) -> list[str]:
    """One line per body row, each value after its column's header ("Header: value"); a table
    without header rows keeps its bare cells ("2019 | 120")."""
    return [" | ".join(f"{n}: {v}" if n else v for n, v in row) for row in table_rows(table)]


def _tables(chunk_html: str) -> list[lxml_html.HtmlElement]:
    if "<table" not in chunk_html:
        return []
    try:
        elements = lxml_html.fragments_fromstring(chunk_html)
    except (ParserError, ValueError):
        return []
    return [el for el in elements if not isinstance(el, str) and el.tag == "table"]


def chunk_tables(chunk_html: str, header: Header | None = None) -> list[list[list[Cell]]]:
    """Every table of a chunk's stored HTML as table_rows() (`header`: see there)."""
    return [table_rows(el, header) for el in _tables(chunk_html)]


def chunk_header(chunk_html: str) -> Header | None:
    """The header rows of the chunk's last table that has any: what a next piece of it lacks."""
    found = None
    for el in _tables(chunk_html):
        found = table_header(el) or found
    return found


def _element_lines(el: lxml_html.HtmlElement) -> list[str]:
    if el.tag == "table":
        return table_lines(el)
    if el.tag == "figure":
        return []
    if el.tag in ("ul", "ol"):
        return [ln for li in el if isinstance(li.tag, str) for ln in _element_lines(li)]
    for br in el.iter("br"):
        br.tail = "\n" + (br.tail or "")
    return [ln.strip() for ln in el.text_content().split("\n") if ln.strip()]


def html_lines(chunk_html: str) -> list[str] | None:
    """The chunk's lines in reading order from its stored HTML, tables linearised; None when
    the HTML holds no table or nothing readable (the chunk's text is used as it is)."""
    if "<table" not in chunk_html:
        return None
    try:
        elements = lxml_html.fragments_fromstring(chunk_html)
    except (ParserError, ValueError):
        return None
    lines: list[str] = []
    for el in elements:
        if isinstance(el, str):  # text outside any element
            lines += [ln.strip() for ln in el.split("\n") if ln.strip()]
        elif isinstance(el.tag, str):
            lines += _element_lines(el)
    return lines or None
