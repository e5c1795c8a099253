"""The table-structure role: an engine finds a page's tables among its words (and, for PDFs,
its stroked lines) and says which words each one used; the rest become text blocks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from docpipe.document import BBox, TableData, Word
from docpipe.parse.layout.lines import TextLine

Rule = tuple[float, float, float, float]  # a stroked line's box, points


@dataclass
class FoundTable:
    table: TableData
    bbox: BBox  # points
    words: list[Word]  # the words placed in its cells, taken out of the page's text
    lines: list[TextLine]  # those words as lines: the element's lines
    # Whether its lines count toward the page's median body line height (a table set in
    # running text type does; a ruled grid is measured apart from the text, as it always was).
    body_text: bool = True


class TableEngine(Protocol):
    name: str

    def warm_up(self) -> None:
        """Load models; called once before the first page, never in __init__."""

    def find(self, words: list[Word], rules: list[Rule] | None, page: int) -> list[FoundTable]:
        """Tables of one page; words and rules in points, page 1-based."""
        ...
