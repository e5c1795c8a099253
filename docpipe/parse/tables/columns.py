"""Tables: find row/column structure in lines of segments and build the cell grid.

Works the same on text-layer words and OCR words, so scans and born-digital PDFs share it.
A table is a run of lines whose segments fall into shared columns, headed by a row of
labels (no digits). Wrapped cell text (a line with only a first-column segment) joins the
row above it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from docpipe.document import BBox, TableCell, TableData
from docpipe.parse.layout.lines import Segment, TextLine

_DIGIT = re.compile(r"\d")
MIN_COLS = 3
MIN_ROWS = 2  # data rows after the header


@dataclass
class TableSpan:
    """Lines [start, end) of a page that form one table, with its column intervals."""

    start: int
    end: int
    columns: list[tuple[float, float]]


def _column_of(seg: Segment, columns: list[tuple[float, float]]) -> int | None:
    best, best_score = None, 0.0
    for i, (x0, x1) in enumerate(columns):
        overlap = min(seg.bbox.x1, x1) - max(seg.bbox.x0, x0)
        # Right-aligned numbers may sit under a header wider or narrower than them.
        score = overlap if overlap > 0 else -min(abs(seg.bbox.x1 - x1), abs(seg.bbox.x0 - x0))
        if best is None or score > best_score:
            best, best_score = i, score
    if best is None:
        return None
    x0, x1 = columns[best]
    tol = max(seg.height * 3, 12.0)
    if best_score <= 0 and -best_score > tol:
        return None
    return best


def _is_header(line: TextLine) -> bool:
    return len(line.segments) >= MIN_COLS and not any(_DIGIT.search(s.text) for s in line.segments)


def find_tables(lines: list[TextLine]) -> list[TableSpan]:
    spans: list[TableSpan] = []
    i = 0
    while i < len(lines):
        head = lines[i]
        if not _is_header(head):
            i += 1
            continue
        columns = [(s.bbox.x0, s.bbox.x1) for s in head.segments]
        height = max(s.height for s in head.segments)
        j, data_rows, last_y = i + 1, 0, head.bbox.y1
        while j < len(lines):
            ln = lines[j]
            if ln.bbox.y0 - last_y > 2.5 * height:
                break
            cols = [_column_of(s, columns) for s in ln.segments]
            if any(c is None for c in cols) or len(set(cols)) != len(cols):
                break
            if len(ln.segments) >= 2:
                data_rows += 1
            elif cols != [0] or data_rows == 0:
                break
            last_y = ln.bbox.y1
            j += 1
        if data_rows >= MIN_ROWS:
            spans.append(TableSpan(i, j, columns))
            i = j
        else:
            i += 1
    return spans


def build_table(lines: list[TextLine], columns: list[tuple[float, float]], page: int) -> TableData:
    rows: list[dict[int, list[Segment]]] = []
    for k, ln in enumerate(lines):
        placed: dict[int, list[Segment]] = {}
        for s in ln.segments:
            c = _column_of(s, columns)
            placed.setdefault(c if c is not None else 0, []).append(s)
        if k > 0 and list(placed) == [0] and rows:
            rows[-1].setdefault(0, []).extend(placed[0])  # wrapped first-column text
        else:
            rows.append(placed)
    cells: list[TableCell] = []
    for r, placed in enumerate(rows):
        for c, segs in placed.items():
            cells.append(
                TableCell(
                    row=r,
                    col=c,
                    text=" ".join(s.text for s in segs),
                    is_header=r == 0,
                    bbox=BBox.union_all([s.bbox for s in segs]),
                    page=page,
                )
            )
    return TableData(n_rows=len(rows), n_cols=len(columns), cells=cells)


def same_columns(a: TableData, b: TableData) -> bool:
    """Whether table b continues table a (same width and, if b has one, the same header)."""
    if a.n_cols != b.n_cols:
        return False
    head_a = [c.text.lower() for c in a.cells if c.row == 0]
    head_b = [c.text.lower() for c in b.cells if c.row == 0]
    return head_a == head_b or not any(c.is_header for c in b.cells)


def join_tables(a: TableData, b: TableData) -> TableData:
    """Append b's rows to a, dropping b's repeated header row."""
    skip = 1 if [c.text for c in a.cells if c.row == 0] == [c.text for c in b.cells if c.row == 0] else 0
    offset = a.n_rows - skip
    moved = [c.model_copy(update={"row": c.row + offset, "is_header": False}) for c in b.cells if c.row >= skip]
    return TableData(n_rows=a.n_rows + b.n_rows - skip, n_cols=a.n_cols, cells=a.cells + moved)
