"""Per page: would the layout model change the result? Decided from what the text layer proves.

The layout model's regions name blocks that geometry already built (blocks.py): they can add
figures, call a block a caption, a one-line block at the top a page header, a block of one or
two lines a section header; and its table regions are where the table engine looks for tables
(tables/geometry.py). Lines, blocks and reading order never use them. So on a born-digital
page with no images or drawings (no figure to find), every line one run of text (one column,
no aligned cells: no table to find) and no short block that could be a heading or header (in
bold, or at the top of the page), the model cannot change anything, and it is the most
expensive step of such a page. Body-type short lines (a paragraph's last line, a list item)
are not headings; the model calling one a section header would be a mistake not worth paying for.
"""

from __future__ import annotations

from docpipe.document import Element, Origin, Word
from docpipe.parse.layout.blocks import FURNITURE_BAND, assemble_page
from docpipe.parse.layout.lines import group_lines
from docpipe.parse.load import SourcePage

GRAPHICS = 0.01  # share of the page under drawings above which a figure may be there
SHORT_LINES = 2  # blocks of up to this many lines can become section headers by region


MAX_SPLIT_LINES = 1  # lines of more than one run of text (columns, cells) a plain page may have


def _bold(e: Element) -> bool:
    return any(w.bold for ln in e.lines for w in ln.words)


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
    lines = group_lines(words)
    split = sum(
        1 for ln in lines if len(ln.segments) > 1 and FURNITURE_BAND * h < ln.bbox.y0 < (1 - FURNITURE_BAND) * h
    )
    if split > MAX_SPLIT_LINES:
        return f"{split} lines in more than one run (columns or a table)"
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
