"""The built-in table engine: ruled tables from a PDF's stroked lines first (ruled.py), then
borderless tables from aligned columns of the remaining words (columns.py). No model."""

from __future__ import annotations

from docpipe.document import BBox, Word
from docpipe.options import GeometryTableOptions
from docpipe.parse.layout.lines import group_lines
from docpipe.parse.tables.base import FoundTable, Rule
from docpipe.parse.tables.columns import build_table, find_tables
from docpipe.parse.tables.ruled import find_ruled_tables


class GeometryTableEngine:
    name = "geometry"
    options_type = GeometryTableOptions

    def __init__(self, options: GeometryTableOptions | None = None) -> None:
        self.options = options or GeometryTableOptions()

    def warm_up(self) -> None:
        """Nothing to load: geometry only."""

    def find(self, words: list[Word], rules: list[Rule] | None, page: int) -> list[FoundTable]:
        found: list[FoundTable] = []
        for rt in find_ruled_tables(rules or [], words, page):
            taken = {id(w) for w in rt.words}
            words = [w for w in words if id(w) not in taken]
            found.append(FoundTable(rt.table, rt.bbox, rt.words, group_lines(rt.words), body_text=False))
        lines = group_lines(words)
        for span in find_tables(lines):
            tlines = lines[span.start : span.end]
            segs = [s for ln in tlines for s in ln.segments]
            found.append(
                FoundTable(
                    build_table(tlines, span.columns, page),
                    BBox.union_all([s.bbox for s in segs]),
                    [w for s in segs for w in s.words],
                    tlines,
                )
            )
        return found
