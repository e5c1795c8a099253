"""The default table engine: per table, SLANet-plus's structure or the words' alignment, by which
measured better on realdocs' tables (bench/eval_real.md, docs in notes).

SLANet reads spanning, stacked and wrapped headers and multi-line cells that white space alone
does not separate, and wins on those tables; on long value tables it squeezes the page into its
488-px input and merges value rows, where the alignment of the words is exact. So: SLANet's
table, unless it has fewer rows holding a value than the region has text lines holding one
(rows merged), or more cells stacking two values than the alignment's, or the region holds no
value at all, or it finds nothing; then the alignment's.
"""

from __future__ import annotations

from docpipe.document import BBox, TableData, Word
from docpipe.options import AutoTableOptions, SlanetTableOptions
from docpipe.parse.layout.lines import group_lines
from docpipe.parse.tables.aligned import aligned_table, is_value
from docpipe.parse.tables.base import FoundTable, TablePage
from docpipe.parse.tables.geometry import find_all
from docpipe.parse.tables.slanet import SlanetTableEngine


def value_rows(table: TableData) -> int:
    return len({c.row for c in table.cells if is_value(c.text)})


def value_lines(words: list[Word]) -> int:
    return sum(1 for ln in group_lines(words) if any(is_value(w.text) for s in ln.segments for w in s.words))


def stacked_values(table: TableData) -> int:
    """Cells holding two or more separate values ('0.88 0.88'): rows the structure merged."""
    return sum(1 for c in table.cells if sum(1 for t in c.text.split() if is_value(t)) >= 2)


def choose(model: TableData | None, aligned: TableData | None, words: list[Word]) -> TableData | None:
    lines = value_lines(words)
    # A table of words only gives no value rows to check the model by: keep the alignment's.
    if model is None or lines == 0 or value_rows(model) < lines:
        return aligned or model
    # Rows merged in places and split elsewhere keep the count of value rows but stack values
    # in cells where the alignment has one per cell (discoveryworld's 50-row tables).
    if aligned is not None and stacked_values(model) > max(1, stacked_values(aligned)):
        return aligned
    return model


class AutoTableEngine:
    name = "auto"
    options_type = AutoTableOptions

    def __init__(self, options: AutoTableOptions | None = None) -> None:
        self.options = options or AutoTableOptions()
        o = self.options
        self.model = SlanetTableEngine(SlanetTableOptions(model_path=o.model_path, sha256=o.sha256, threads=o.threads))

    def warm_up(self) -> None:
        self.model.warm_up()

    def find(self, page: TablePage) -> list[FoundTable]:
        def build(words: list[Word], region: BBox) -> TableData | None:
            aligned = aligned_table(words, page.number)
            # No image, or no value line: choose() would keep the alignment's table whatever
            # the model read, so the model is not run.
            if page.image is None or (aligned is not None and value_lines(words) == 0):
                return aligned
            return choose(self.model.structure(page.image, words, region, page.px_per_pt, page.number), aligned, words)

        return find_all(page, build)
