"""Borderless tables inside a known table region: columns from the alignment of words across rows.

Inside a region the layout model calls a table, a column boundary is a vertical strip of
white space that (almost) no row crosses; only spanning headers and titles may cross it. Rows
are the region's text lines; a line that only continues the text of the row above (wrapped
cell text, starting in lower case or after a line-end hyphen/comma) joins that row. A cell
that crosses a boundary spans those columns. Works on text-layer and OCR words alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from statistics import median

from docpipe.document import BBox, TableCell, TableData, Word
from docpipe.parse.layout.lines import group_lines

_NUMERIC = re.compile(r"^[\s(\-+−–$€£¥%]*\d[\d\s.,:%/()\-−–*]*[a-zA-Z%*]{0,3}$")
_CONTINUES = re.compile(r"([-,/&(]|\b(and|or|of|the|in|for|to|on|with|by|a|an))$", re.I)
MIN_GAP = 0.55  # of the median word height: narrower white space is a word space
CROSSING = 0.2  # share of rows that may cross a column boundary (spanning headers, titles)


@dataclass
class _Cell:
    words: list[Word]
    c0: int
    c1: int  # inclusive

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    @property
    def bbox(self) -> BBox:
        return BBox.union_all([w.bbox for w in self.words])


def words_in(words: list[Word], region: BBox) -> list[Word]:
    """The words mostly inside a region."""
    return [w for w in words if w.bbox.intersection(region) >= 0.5 * max(w.bbox.area, 1e-6)]


def column_gaps(rows: list[list[Word]], height: float, crossing: float = CROSSING) -> list[tuple[float, float]]:
    """White strips between columns: x ranges that at most `crossing` of the rows put ink on."""
    x0 = min(w.bbox.x0 for r in rows for w in r)
    x1 = max(w.bbox.x1 for r in rows for w in r)
    step = 0.5
    n = int((x1 - x0) / step) + 1
    count = [0] * n
    for r in rows:
        hit = [False] * n
        for w in r:
            for b in range(int((w.bbox.x0 - x0) / step), min(n, int((w.bbox.x1 - x0) / step) + 1)):
                hit[b] = True
        for b, h in enumerate(hit):
            count[b] += h
    allowed = int(crossing * len(rows))
    gaps: list[tuple[float, float]] = []
    start = None
    for b in range(n + 1):
        free = b < n and count[b] <= allowed
        if free and start is None:
            start = b
        elif not free and start is not None:
            if start > 0 and b < n and (b - start) * step >= MIN_GAP * height:
                a, z = _clearest(count, start, b)
                gaps.append((x0 + a * step, x0 + z * step))
            start = None
    return gaps


def _clearest(count: list[int], start: int, end: int) -> tuple[int, int]:
    """The widest run of [start, end) that the fewest rows cross: a long label reaching into the
    white between two columns moves the boundary past its end, not through it."""
    low = min(count[start:end])
    best, run = (start, start), None
    for b in range(start, end + 1):
        if b < end and count[b] == low:
            run = b if run is None else run
        elif run is not None:
            if b - run > best[1] - best[0]:
                best = (run, b)
            run = None
    return best


def _col(x: float, bounds: list[float]) -> int:
    """Column index of an x position given the boundaries between columns."""
    return sum(1 for b in bounds if x > b)


def _cells(row: list[Word], bounds: list[float], height: float) -> list[_Cell]:
    cells: list[_Cell] = []
    for w in sorted(row, key=lambda w: w.bbox.x0):
        c0, c1 = _col(w.bbox.x0 + 0.5, bounds), _col(w.bbox.x1 - 0.5, bounds)
        if cells:
            last = cells[-1]
            near = w.bbox.x0 - last.bbox.x1 < 0.4 * height
            if c0 <= last.c1 or near:  # same column, or one phrase running across a boundary
                last.words.append(w)
                last.c1 = max(last.c1, c1)
                continue
        cells.append(_Cell([w], c0, c1))
    return cells


def _header_cells(row: list[Word], extents: list[tuple[float, float]], height: float) -> list[_Cell]:
    """A header line's phrases placed on the columns whose values they stand over (labels are
    centred or wrapped over their column, so the white space between values does not bound them)."""
    phrases: list[list[Word]] = []
    for w in sorted(row, key=lambda w: w.bbox.x0):
        if phrases and w.bbox.x0 - phrases[-1][-1].bbox.x1 < 0.4 * height:
            phrases[-1].append(w)
        else:
            phrases.append([w])
    cells: list[_Cell] = []
    for ph in phrases:
        x0, x1 = ph[0].bbox.x0, ph[-1].bbox.x1
        over = [i for i, (a, b) in enumerate(extents) if min(b, x1) - max(a, x0) > 0]
        if not over:
            cx = (x0 + x1) / 2
            over = [min(range(len(extents)), key=lambda i: abs((extents[i][0] + extents[i][1]) / 2 - cx))]
        c0, c1 = min(over), max(over)
        if cells and c0 <= cells[-1].c1:
            cells[-1].words.extend(ph)
            cells[-1].c1 = max(cells[-1].c1, c1)
        else:
            cells.append(_Cell(ph, c0, c1))
    return cells


def _extents(body: list[list[Word]], bounds: list[float]) -> list[tuple[float, float]]:
    """Each column's ink from left to right over the value rows (the boundaries where empty)."""
    edges = [-1e9, *bounds, 1e9]
    ext = [[edges[i + 1], edges[i]] for i in range(len(bounds) + 1)]
    for r in body:
        for w in r:
            if _col(w.bbox.x0 + 0.5, bounds) == _col(w.bbox.x1 - 0.5, bounds):
                e = ext[_col(w.bbox.cx, bounds)]
                e[0], e[1] = min(e[0], w.bbox.x0), max(e[1], w.bbox.x1)
    return [(a, b) if a <= b else (edges[i], edges[i + 1]) for i, (a, b) in enumerate(ext)]


def is_value(text: str) -> bool:
    """A number, amount, percentage or code: what fills a table's body rows."""
    return bool(_NUMERIC.match(text))


_numeric = is_value


_YEAR = re.compile(r"^\(?(19|20)\d\d([-–/](\d\d){1,2})?\)?[.,:;]?$")


def _value_line(row: list[Word]) -> bool:
    """A line holding a value that is not a year: header lines often name years or periods."""
    return any(is_value(w.text) and not _YEAR.match(w.text) for w in row)


def _continues(prev: list[_Cell], cur: list[_Cell], gap: float, height: float) -> bool:
    """Whether a line only carries on the text of the row above (a wrapped cell)."""
    if gap > 0.6 * height or any(_numeric(c.text) for c in cur):
        return False
    above = {c.c0: c for c in prev}
    if any(above.get(c.c0) is None or _numeric(above[c.c0].text) for c in cur):
        return False
    # Wrapped text reads on (lower case, or the line above breaks after a hyphen, comma, 'and'…).
    if all(c.text[:1].islower() or _CONTINUES.search(above[c.c0].text.rstrip()) for c in cur):
        return True
    # A description wrapping under its row: only text, in fewer columns, none the first while
    # the row above has one (a label alone in the first column is a section row of its own),
    # each under one cell of that row (a phrase across several is a group row of its own).
    return (
        len(cur) < len(prev)
        and all(c.c0 > 0 and c.c1 <= above[c.c0].c1 for c in cur)
        and any(p.c0 == 0 for p in prev)
    )


def _label_runs_on(prev: list[_Cell], cur: list[_Cell], gap: float, height: float) -> bool:
    """Whether the row above is only the first line of this row's first-column label (the
    values set level with the label's last line): 'StarCoder' over 'filtered version | Code | 83.0B'."""
    if len(prev) != 1 or prev[0].c0 != 0 or _numeric(prev[0].text) or len(cur) < 2 or cur[0].c0 != 0:
        return False
    first = cur[0].text
    return gap <= 0.6 * height and (first[:1].islower() or bool(_CONTINUES.search(prev[0].text.rstrip())))


def _stacks(prev: list[_Cell], cur: list[_Cell], gap: float, height: float) -> bool:
    """Whether a header line stacks onto the header row above: tight below it, and each of its
    cells under a cell of the same columns or under nothing (a wrapped column label)."""
    if gap > 0.6 * height:
        return False
    for c in cur:
        over = [p for p in prev if p.c0 <= c.c1 and c.c0 <= p.c1]
        if over and (len(over) > 1 or (over[0].c0, over[0].c1) != (c.c0, c.c1)):
            return False
    return True


def _join(row: list[_Cell], cells: list[_Cell]) -> None:
    by_cols = {(c.c0, c.c1): c for c in row}
    for c in cells:
        if (c.c0, c.c1) in by_cols:
            words = by_cols[(c.c0, c.c1)].words
            last, first = words[-1], c.words[0]
            if last.text.endswith("-") and len(last.text) > 2 and first.text[:1].islower():
                # a word hyphenated at the cell's line end: 'hyper-' + 'links'
                joined = Word(
                    text=last.text[:-1] + first.text,
                    bbox=BBox.union_all([last.bbox, first.bbox]),
                    confidence=last.confidence,
                )
                words[-1:] = [joined, *c.words[1:]]
            else:
                words.extend(c.words)
        else:
            row.append(c)
    row.sort(key=lambda c: c.c0)


def aligned_table(words: list[Word], page: int, header_until: float | None = None) -> TableData | None:
    """The table the words of one table region form, or None when they show no columns.
    header_until: where the header ends (a ruled header's bottom rule), when it is known."""
    lines = group_lines(words)
    rows = [[w for s in ln.segments for w in s.words] for ln in lines]
    if len(rows) < 2:
        return None
    height = median(w.bbox.height for r in rows for w in r)
    # Columns from the rows holding values: wrapped header labels above them do not line up.
    if header_until is not None:
        first_data = next((i for i, r in enumerate(rows) if min(w.bbox.cy for w in r) > header_until), 0)
    else:
        first_data = next((i for i, r in enumerate(rows) if _value_line(r)), 0)
    body = rows[first_data:] if len(rows) - first_data >= 2 else rows
    gaps = column_gaps(body, height)
    if not gaps:
        return None
    bounds = [(a + b) / 2 for a, b in gaps]
    extents = _extents(body, bounds)
    merged: list[list[_Cell]] = []
    last_y1 = None
    for i, r in enumerate(rows):
        cells = _header_cells(r, extents, height) if i < first_data else _cells(r, bounds, height)
        y0 = min(w.bbox.y0 for w in r)
        gap = y0 - last_y1 if last_y1 is not None else 0.0
        if (merged and i < first_data and _stacks(merged[-1], cells, gap, height)) or (
            merged and i >= first_data and _continues(merged[-1], cells, gap, height)
        ):
            _join(merged[-1], cells)
        elif merged and i > first_data and _label_runs_on(merged[-1], cells, gap, height):
            # The first line of a wrapped label held nothing else: its row is this line's.
            label = merged.pop()[0]
            cells[0].words[:0] = label.words
            merged.append(cells)
        else:
            merged.append(cells)
        last_y1 = max(w.bbox.y1 for w in r)
    n_cols = len(bounds) + 1
    first_data = next((i for i, cs in enumerate(merged) if any(_numeric(c.text) for c in cs)), 1)  # rows now
    header_rows = max(1, first_data) if first_data < len(merged) else 1
    out: list[TableCell] = []
    for i, cs in enumerate(merged):
        for c in cs:
            out.append(
                TableCell(
                    row=i,
                    col=c.c0,
                    col_span=c.c1 - c.c0 + 1,
                    text=c.text,
                    is_header=i < header_rows,
                    bbox=c.bbox,
                    page=page,
                )
            )
    return TableData(n_rows=len(merged), n_cols=n_cols, cells=out)
