"""The built-in table engine, no model of its own: ruled tables from a PDF's stroked lines first
(ruled.py), then the layout model's table regions with columns from the alignment of their
words (aligned.py), then borderless tables headed by a row of labels among the remaining
words (columns.py: line items on invoices, where the layout model sees no table)."""

from __future__ import annotations

from collections.abc import Callable

from docpipe.document import BBox, TableData, Word
from docpipe.options import GeometryTableOptions
from docpipe.parse.layout.lines import group_lines
from docpipe.parse.tables.aligned import aligned_table, words_in
from docpipe.parse.tables.base import FoundTable, TablePage
from docpipe.parse.tables.columns import build_table, find_tables
from docpipe.parse.tables.prose import label_value_form, prose_region, running_text
from docpipe.parse.tables.ruled import find_ruled_tables
from docpipe.parse.tables.values import value_blocks


def _take(words: list[Word], taken: list[Word]) -> list[Word]:
    ids = {id(w) for w in taken}
    return [w for w in words if id(w) not in ids]


def rules_missing(table: TableData, words: list[Word]) -> bool:
    """Whether a spanning cell of a ruled grid holds words on both sides of a grid line with white
    space at that line: the rules there are missing (booktabs-style: only horizontal rules in the
    body), so the grid's spans are not the table's."""
    xs = {c.bbox.x0 for c in table.cells if c.bbox is not None}
    for c in table.cells:
        if c.col_span < 2 or c.bbox is None:
            continue
        box = c.bbox
        inside = [w for w in words if box.x0 <= w.bbox.cx <= box.x1 and box.y0 <= w.bbox.cy <= box.y1]
        for x in xs:
            if not box.x0 + 1 < x < box.x1 - 1:
                continue
            left = any(w.bbox.x1 <= x for w in inside)
            right = any(w.bbox.x0 >= x for w in inside)
            if left and right and not any(w.bbox.x0 < x < w.bbox.x1 for w in inside):
                return True
    return False


def ruled_tables(page: TablePage, words: list[Word]) -> tuple[list[FoundTable], list[Word]]:
    found: list[FoundTable] = []
    for rt in find_ruled_tables(page.rules or [], words, page.number):
        words = _take(words, rt.words)
        table = rt.table
        head = [c.bbox.y1 for c in table.cells if c.is_header and c.bbox is not None]
        aligned = aligned_table(rt.words, page.number, max(head) if head else None)
        # Rules drawn only round the header (a ruled head over an unruled body): the grid's
        # cells then hold whole columns, where the words' alignment sees the rows.
        partial = aligned is not None and aligned.n_rows >= 2 * table.n_rows and aligned.n_cols >= table.n_cols
        if aligned is not None and (partial or rules_missing(table, rt.words)):
            table = aligned
        found.append(FoundTable(table, rt.bbox, rt.words, group_lines(rt.words), body_text=False))
    return found, words


Structure = Callable[[list[Word], BBox], TableData | None]  # a region's words -> its table


def region_tables(page: TablePage, words: list[Word], build: Structure) -> tuple[list[FoundTable], list[Word]]:
    """One table per layout table region (not already a ruled table) that `build` makes a table
    of; the largest first, so overlapping regions are used once. A region over running text in
    columns or over a label/value form (prose.py) is no table, whatever the model saw."""
    found: list[FoundTable] = []
    for region in sorted(page.regions, key=lambda b: -b.area):
        inside = words_in(words, region)
        if len(inside) < 4 or prose_region(inside, words) or label_value_form(inside):
            continue
        table = build(inside, region)
        if table is None:
            continue
        words = _take(words, inside)
        found.append(FoundTable(table, BBox.union_all([w.bbox for w in inside]), inside, group_lines(inside)))
    return found, words


def header_tables(page: TablePage, words: list[Word]) -> list[FoundTable]:
    found: list[FoundTable] = []
    lines = group_lines(words)
    for span in find_tables(lines):
        tlines = lines[span.start : span.end]
        segs = [s for ln in tlines for s in ln.segments]
        found_words = [w for s in segs for w in s.words]
        if running_text(found_words) or label_value_form(found_words):  # prose columns and forms line up too
            continue
        found.append(
            FoundTable(
                build_table(tlines, span.columns, page.number),
                BBox.union_all([s.bbox for s in segs]),
                [w for s in segs for w in s.words],
                tlines,
            )
        )
    return found


class GeometryTableEngine:
    name = "geometry"
    options_type = GeometryTableOptions

    def __init__(self, options: GeometryTableOptions | None = None) -> None:
        self.options = options or GeometryTableOptions()

    def warm_up(self) -> None:
        """Nothing to load: geometry only."""

    def find(self, page: TablePage) -> list[FoundTable]:
        return find_all(page, lambda words, region: aligned_table(words, page.number))


def find_all(page: TablePage, build: Structure) -> list[FoundTable]:
    """Ruled tables, then the layout regions' tables as `build` structures them, then tables
    headed by a row of labels among the words left, then runs of value lines."""
    ruled, words = ruled_tables(page, page.words)
    regions = [r for r in page.regions if not any(t.bbox.intersection(r) > 0.5 * r.area for t in ruled)]
    in_regions, words = region_tables(TablePage(words, None, page.number, regions), words, build)
    headed = header_tables(page, words)
    words = _take(words, [w for t in headed for w in t.words])
    # Not on OCR pages: every item line of a receipt holds values, and OCR splits lines unevenly.
    return ruled + in_regions + headed + ([] if page.ocr else value_tables(page, words))


def value_tables(page: TablePage, words: list[Word]) -> list[FoundTable]:
    """Runs of value lines outside any table region (values.py), structured by their alignment."""
    found: list[FoundTable] = []
    for block in value_blocks(words):
        if running_text(block):
            continue
        table = aligned_table(block, page.number)
        if table is not None and table.n_cols >= 2:
            found.append(FoundTable(table, BBox.union_all([w.bbox for w in block]), block, group_lines(block)))
    return found
