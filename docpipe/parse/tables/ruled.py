"""Ruled tables from a PDF's stroked lines: the grid the rules draw, with row and column spans.

Rules are snapped to grid lines; two neighbouring grid cells belong to one table cell where
no rule separates them (a header spanning two columns, a label spanning two rows). Words are
placed by their centres. Tables without rules are left to docpipe.parse.tables.columns (text geometry).
"""

from __future__ import annotations

from dataclasses import dataclass

from docpipe.document import BBox, TableCell, TableData, Word
from docpipe.parse.layout.lines import group_lines

Rule = tuple[float, float, float, float]
SNAP = 2.0  # points: rules this close are one grid line
MIN_RULE = 8.0  # points: shorter strokes are not rules


@dataclass
class RuledTable:
    table: TableData
    bbox: BBox
    words: list[Word]  # the words placed in its cells


def _snap(values: list[float]) -> list[float]:
    out: list[float] = []
    for v in sorted(values):
        if out and v - out[-1] <= SNAP:
            out[-1] = (out[-1] + v) / 2
        else:
            out.append(v)
    return out


def _groups(horiz: list[Rule], vert: list[Rule]) -> list[tuple[list[Rule], list[Rule]]]:
    """Rules that touch each other, as separate tables."""
    rules = [(r, True) for r in horiz] + [(r, False) for r in vert]
    parent = list(range(len(rules)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, (a, _) in enumerate(rules):
        for j in range(i + 1, len(rules)):
            b = rules[j][0]
            if a[0] - SNAP <= b[2] and b[0] - SNAP <= a[2] and a[1] - SNAP <= b[3] and b[1] - SNAP <= a[3]:
                parent[find(i)] = find(j)
    comps: dict[int, tuple[list[Rule], list[Rule]]] = {}
    for i, (r, is_h) in enumerate(rules):
        h, v = comps.setdefault(find(i), ([], []))
        (h if is_h else v).append(r)
    return list(comps.values())


def _covers(rules: list[Rule], at: float, lo: float, hi: float, horizontal: bool) -> bool:
    """Whether some rule on grid line `at` runs along most of [lo, hi]."""
    for x0, y0, x1, y1 in rules:
        pos, a, b = ((y0 + y1) / 2, x0, x1) if horizontal else ((x0 + x1) / 2, y0, y1)
        if abs(pos - at) <= SNAP and min(b, hi) - max(a, lo) >= 0.6 * (hi - lo):
            return True
    return False


def _grid_table(horiz: list[Rule], vert: list[Rule], words: list[Word], page: int) -> RuledTable | None:
    ys = _snap([(r[1] + r[3]) / 2 for r in horiz])
    xs = _snap([(r[0] + r[2]) / 2 for r in vert])
    if len(ys) < 3 or len(xs) < 3:
        return None
    n_rows, n_cols = len(ys) - 1, len(xs) - 1
    owner = [[(r, c) for c in range(n_cols)] for r in range(n_rows)]  # top-left grid cell of each cell
    for r in range(n_rows):
        for c in range(n_cols):
            # No rule to the left: this grid cell continues the one on its left (column span).
            if c > 0 and not _covers(vert, xs[c], ys[r], ys[r + 1], horizontal=False):
                owner[r][c] = owner[r][c - 1]
            # No rule above: it continues the one above (row span).
            elif r > 0 and not _covers(horiz, ys[r], xs[c], xs[c + 1], horizontal=True):
                owner[r][c] = owner[r - 1][c]
    extent: dict[tuple[int, int], list[int]] = {}
    for r in range(n_rows):
        for c in range(n_cols):
            e = extent.setdefault(owner[r][c], [r, c, r, c])
            e[2], e[3] = max(e[2], r), max(e[3], c)
    placed: dict[tuple[int, int], list[Word]] = {k: [] for k in extent}
    inside: list[Word] = []
    for w in words:
        if xs[0] <= w.bbox.cx <= xs[-1] and ys[0] <= w.bbox.cy <= ys[-1]:
            r = max(i for i in range(n_rows) if ys[i] <= w.bbox.cy)
            c = max(i for i in range(n_cols) if xs[i] <= w.bbox.cx)
            placed[owner[r][c]].append(w)
            inside.append(w)
    if not inside:
        return None
    header_rows = 1 + max(e[2] for e in extent.values() if e[0] == 0)  # row 0 and what its cells span
    cells: list[TableCell] = []
    for (r, c), (r0, c0, r1, c1) in sorted(extent.items()):
        ws = placed[(r, c)]
        text = " ".join(s.text for ln in group_lines(ws) for s in ln.segments) if ws else ""
        cells.append(
            TableCell(
                row=r0,
                col=c0,
                row_span=r1 - r0 + 1,
                col_span=c1 - c0 + 1,
                text=text.replace("\n", " "),
                is_header=r0 < header_rows,
                bbox=BBox.of(xs[c0], ys[r0], xs[c1 + 1], ys[r1 + 1]),
                page=page,
            )
        )
    return RuledTable(
        TableData(n_rows=n_rows, n_cols=n_cols, cells=cells),
        BBox.of(xs[0], ys[0], xs[-1], ys[-1]),
        inside,
    )


def find_ruled_tables(rules: list[Rule], words: list[Word], page: int) -> list[RuledTable]:
    horiz = [r for r in rules if r[2] - r[0] >= MIN_RULE and r[3] - r[1] <= SNAP * 1.5]
    vert = [r for r in rules if r[3] - r[1] >= MIN_RULE and r[2] - r[0] <= SNAP * 1.5]
    tables = []
    for h, v in _groups(horiz, vert):
        t = _grid_table(h, v, words, page)
        if t is not None:
            tables.append(t)
    return tables
