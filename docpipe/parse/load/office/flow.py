"""Elements of a native page placed one under another: the nominal boxes of sources that
have no geometry of their own (DOCX, HTML, mail, sheets), and the real frames of those that do
(slide shapes). Lines and words get boxes too, so chunking, citations and extraction read
these pages as they read a scanned one.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field

from docpipe.document import BBox, Element, Label, Line, Page, Provenance, TableCell, TableData, Word

PAGE_WIDTH = 612.0  # points: US Letter, as a nominal page
MARGIN = 36.0
LINE_HEIGHT = 14.0
CHAR_WIDTH = 5.5  # points per character of a ~10 pt font
ROW_HEIGHT = 15.0  # a spreadsheet's default row
COL_WIDTH = 64.0  # ... and column, roughly
GAP = 6.0  # between elements
NATIVE_DECISION = "read from the file's own structure (no page image: no OCR or layout)"


@dataclass
class Cell:
    """A table cell as a reader finds it: grid position, spans, text."""

    row: int
    col: int
    text: str
    row_span: int = 1
    col_span: int = 1
    is_header: bool = False


def _words(text: str, x0: float, y0: float) -> list[Word]:
    out, pos = [], 0
    for w in text.split():
        pos = text.index(w, pos)
        x = x0 + pos * CHAR_WIDTH
        out.append(Word(text=w, bbox=BBox(x0=x, y0=y0, x1=x + len(w) * CHAR_WIDTH, y1=y0 + LINE_HEIGHT - 2)))
        pos += len(w)
    return out


def _line(text: str, x0: float, y0: float, height: float = LINE_HEIGHT) -> Line:
    box = BBox(x0=x0, y0=y0, x1=x0 + max(len(text), 1) * CHAR_WIDTH, y1=y0 + height - 2)
    return Line(text=text, bbox=box, words=_words(text, x0, y0))


@dataclass
class Flow:
    """One native page: add elements in reading order, then page() gives its size."""

    number: int
    label: str = ""
    width: float = PAGE_WIDTH
    height: float = 0.0  # a slide's own size; else grows with the content
    elements: list[Element] = field(default_factory=list)
    y: float = MARGIN

    def _add(self, label: Label, text: str, lines: list[Line], box: BBox, ref: str | None, **kw: object) -> Element:
        prov = Provenance(page=self.number, bbox=box, position=len(self.elements), ref=ref)
        e = Element(id="", label=label, text=text, prov=[prov], origin="native", lines=lines, **kw)  # type: ignore[arg-type]
        self.elements.append(e)
        return e

    def text(
        self, label: Label, text: str, *, ref: str | None = None, level: int | None = None, box: BBox | None = None
    ) -> Element | None:
        """A paragraph, heading or list item, wrapped to the page (or to its own frame)."""
        text = "\n".join(ln.strip() for ln in text.strip().splitlines() if ln.strip())
        if not text:
            return None
        x0 = box.x0 if box else MARGIN
        chars = max(10, int((box.width if box else self.width - 2 * MARGIN) / CHAR_WIDTH))
        y = box.y0 if box else self.y
        lines: list[Line] = []
        for para in text.split("\n"):
            for piece in textwrap.wrap(para, chars) or [para]:
                lines.append(_line(piece, x0, y))
                y += LINE_HEIGHT
        own = BBox.union_all([ln.bbox for ln in lines])
        if box is not None:  # the frame's width, the lines' height: paragraphs of one frame stay apart
            own = BBox(x0=box.x0, y0=own.y0, x1=max(box.x1, own.x1), y1=own.y1)
        if box is None:
            self.y = y + GAP
        return self._add(label, text, lines, own, ref, level=level)

    def table(self, cells: list[Cell], *, ref: str | None = None) -> Element | None:
        """A grid of cells (spans kept); one line per row, so a citation can name a row."""
        cells = [c for c in cells if c.row >= 0 and c.col >= 0]
        if not cells:
            return None
        n_rows = max(c.row + c.row_span for c in cells)
        n_cols = max(c.col + c.col_span for c in cells)
        col_w = max(COL_WIDTH, min(200.0, (self.width - 2 * MARGIN) / n_cols))
        self.width = max(self.width, 2 * MARGIN + n_cols * col_w)
        top = self.y
        placed = [
            TableCell(
                row=c.row,
                col=c.col,
                row_span=c.row_span,
                col_span=c.col_span,
                text=c.text,
                is_header=c.is_header,
                page=self.number,
                bbox=BBox(
                    x0=MARGIN + c.col * col_w,
                    y0=top + c.row * ROW_HEIGHT,
                    x1=MARGIN + (c.col + c.col_span) * col_w,
                    y1=top + (c.row + c.row_span) * ROW_HEIGHT,
                ),
            )
            for c in cells
        ]
        data = TableData(n_rows=n_rows, n_cols=n_cols, cells=placed)
        lines = []
        for r, row in enumerate(data.grid()):
            text = " | ".join(row)
            line = _line(text, MARGIN, top + r * ROW_HEIGHT + 1, ROW_HEIGHT)
            lines.append(
                line.model_copy(
                    update={
                        "bbox": BBox(
                            x0=MARGIN,
                            y0=top + r * ROW_HEIGHT,
                            x1=MARGIN + n_cols * col_w,
                            y1=top + (r + 1) * ROW_HEIGHT,
                        )
                    }
                )
            )
        box = BBox(x0=MARGIN, y0=top, x1=MARGIN + n_cols * col_w, y1=top + n_rows * ROW_HEIGHT)
        self.y = box.y1 + GAP
        return self._add("table", data.text(), lines, box, ref, table=data)

    def figure(self, text: str = "", *, ref: str | None = None, box: BBox | None = None) -> Element:
        """An image: its alt text or description, if any, is its text."""
        own = box or BBox(x0=MARGIN, y0=self.y, x1=MARGIN + 144, y1=self.y + 72)
        if box is None:
            self.y = own.y1 + GAP
        lines = [_line(text, own.x0, own.y0)] if text else []
        return self._add("figure", text, lines, own, ref)

    def page(self) -> Page:
        height = max(self.height, self.y + MARGIN - GAP)
        return Page(
            number=self.number,
            width=self.width,
            height=height,
            origin="native",
            text_decision=NATIVE_DECISION,
            label=self.label,
        )
