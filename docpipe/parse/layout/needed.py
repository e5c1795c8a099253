"""Per page: would the layout model change the result? Decided from what the text layer proves.

The layout model's regions only name blocks that geometry already built (blocks.py): they can
add figures, call a block a caption, a one-line block at the top a page header, and a block of
one or two lines a section header. Reading order, tables, lines and blocks never use them. So
on a born-digital page with no images or drawings (no figure to find), no table (no caption to
find) and no short block that could be a heading (set in bold, or at the top of the page), the
model cannot change anything, and it is the most expensive step of such a page. Body-type
short lines (a paragraph's stray line, a list item) are not headings; the model calling one a
section header would be a mistake we do not pay to make.
"""

from __future__ import annotations

from docpipe.document import BBox, Element, Origin, Word
from docpipe.parse.layout.blocks import FURNITURE_BAND, assemble_page
from docpipe.parse.layout.lines import group_lines
from docpipe.parse.load import SourcePage
from docpipe.parse.tables.columns import find_tables
from docpipe.parse.tables.ruled import find_ruled_tables

GRAPHICS = 0.01  # share of the page under drawings above which a figure may be there
SHORT_LINES = 2  # blocks of up to this many lines can become section headers by region


def _bold(e: Element, bold: list[BBox]) -> bool:
    return any(e.bbox.intersection(b) > 0.5 * b.area for b in bold)


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
    if find_ruled_tables(source.rules, words, source.number) or find_tables(group_lines(words)):
        return "a table (captions)"
    h = source.height
    for e in assemble_page(words, [], [], source.number, h, origin):
        if e.label == "page_footer" or len(e.lines) > SHORT_LINES:
            continue
        if e.bbox.y1 < FURNITURE_BAND * h:
            return "a short block at the top of the page (a running header?)"
        if e.label == "text" and _bold(e, source.bold):
            return f"a short bold block (a heading?): {e.text[:40]!r}"
    return None
