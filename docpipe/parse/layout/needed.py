"""Per page: would the layout model change the result? Decided from what the text layer proves.

The layout model's regions name blocks that geometry already built (blocks.py): they can add
figures, call a block a caption, a one-line block at the top a page header, a block of one or
two lines a section header; and its table regions are where the table engine looks for tables
(tables/geometry.py). Lines, blocks and reading order never use them. So on a born-digital
page with no images or drawings (no figure to find), no aligned cells (no table to find) and no
short block that could be a heading or header (in bold, or at the top of the page), the model
cannot change anything, and it is the most expensive step of such a page. Body-type short lines
(a paragraph's last line, a list item) are not headings; the model calling one a section header
would be a mistake not worth paying for.

Lines split into several runs are either columns of running text (a two- or three-column
paper: every run on the line is a long stretch of words) or cells (short runs stacked over
short runs: a table, a form). Only the second kind needs the model: its table regions decide
where the table engine looks. A short run on a line of columns that nothing short sits right
above or below (a paragraph's last line, a heading beside the other column's text) is prose.
"""

from __future__ import annotations

from docpipe.document import Element, Origin, Word
from docpipe.parse.layout.blocks import FURNITURE_BAND, assemble_page
from docpipe.parse.layout.lines import Segment, TextLine, group_lines
from docpipe.parse.load import SourcePage

GRAPHICS = 0.01  # share of the page under drawings above which a figure may be there
SHORT_LINES = 2  # blocks of up to this many lines can become section headers by region
PROSE_WORDS = 4  # a run of at least this many words on a split line is running text, not a cell
STACK = 1.6  # line heights between the middles of two runs one right under the other
MAX_CELLS = 2  # stacked short runs a page of columns may have (a heading over a short line)


def _bold(e: Element) -> bool:
    return any(w.bold for ln in e.lines for w in ln.words)


def _body(lines: list[TextLine], page_h: float) -> list[TextLine]:
    return [ln for ln in lines if FURNITURE_BAND * page_h < ln.bbox.y0 < (1 - FURNITURE_BAND) * page_h]


def stacked_cells(lines: list[TextLine]) -> int:
    """Short runs of split lines with another short run of a split line right above or below,
    overlapping it: the cells of a table column (or a form's labels)."""
    short: list[Segment] = [
        s for ln in lines if len(ln.segments) > 1 for s in ln.segments if len(s.words) < PROSE_WORDS
    ]
    return sum(
        1
        for s in short
        if any(
            o is not s
            and o.bbox.x_overlap(s.bbox) > 0
            and 0 < abs(o.bbox.cy - s.bbox.cy) < STACK * max(o.height, s.height)
            for o in short
        )
    )


def layout_needed(words: list[Word], source: SourcePage, origin: Origin) -> str | None:
    """Why the layout model must run on this page, or None when its regions cannot change it."""
    if origin != "text_layer":
        return "OCR page: no text-layer geometry to go by"
    if source.image_coverage > 0.0:
        return "images on the page (figures)"
    if source.graphics_coverage > GRAPHICS:
        return f"vector drawings cover {100 * source.graphics_coverage:.0f}% of the page (figures)"
    if not words:
        return None  # nothing to label
    h = source.height
    body = _body(group_lines(words), h)
    cells = stacked_cells(body)
    if cells > MAX_CELLS:
        return f"{cells} short runs stacked in columns (a table?)"
    if source.rules and len(source.rules) >= 4:
        return "ruled lines (a table?)"
    for e in assemble_page(words, [], [], source.number, h, origin):
        if e.label == "page_footer" or len(e.lines) > SHORT_LINES:
            continue
        if e.bbox.y1 < FURNITURE_BAND * h:
            return "a short block at the top of the page (a running header?)"
        if e.label == "text" and _bold(e):
            return f"a short bold block (a heading?): {e.text[:40]!r}"
    return None
