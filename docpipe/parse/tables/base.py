"""The table-structure role: an engine finds a page's tables among its words (and, for PDFs,
its stroked lines) and says which words each one used; the rest become text blocks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from PIL import Image

from docpipe.document import BBox, TableData, Word
from docpipe.parse.layout.lines import TextLine

Rule = tuple[float, float, float, float]  # a stroked line's box, points


@dataclass
class TablePage:
    """What a table engine sees of one page (boxes in points)."""

    words: list[Word]
    rules: list[Rule] | None  # the PDF's stroked lines, when the words came from its text layer
    number: int  # 1-based
    regions: list[BBox]  # where the layout model saw tables
    image: Image.Image | None = None  # the page as the words lie on it (upright), for image models
    px_per_pt: float = 1.0
    ocr: bool = False  # the words came from OCR


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

    def find(self, page: TablePage) -> list[FoundTable]:
        """Tables of one page."""
        ...
