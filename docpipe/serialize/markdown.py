"""Markdown of the body in reading order (furniture left out: it is noise to readers)."""

from __future__ import annotations

from docpipe.document import Document, Element, TableData


def _cell(text: str) -> str:
    return " <br> ".join(ln.strip() for ln in text.splitlines()).replace("|", "\\|")


def table_markdown(t: TableData) -> str:
    # A pipe would start a new column and a line break a new row (found by fuzzing).
    grid = [[_cell(cell) for cell in row] for row in t.grid()]
    if not grid:
        return ""
    header, rows = grid[0], grid[1:]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


SHORT_LINE = 0.7  # a line ending before this share of its paragraph's width was broken on purpose
PROSE_WORDS = 6


def paragraph_markdown(e: Element) -> str:
    """A paragraph's lines joined with spaces; a hard break only after a line that ends well
    short of the paragraph's right edge or holds few words (an address, a list of labels: lines
    set apart on purpose)."""
    texts = e.text.split("\n")
    lines = [ln for ln in e.lines if ln.text]
    if len(lines) != len(texts) or len(texts) < 2:
        return e.text.replace("\n", "  \n")
    left, width = e.bbox.x0, max(e.bbox.width, 1e-6)
    out = texts[0]
    for prev, text in zip(lines, texts[1:], strict=False):
        # A prose line runs to the edge and holds a sentence's worth of words; an address line does not.
        short = (prev.bbox.x1 - left) / width < SHORT_LINE or len(prev.text.split()) < PROSE_WORDS
        out += ("  \n" if short else " ") + text
    return out


def element_markdown(e: Element) -> str:
    if e.label == "table" and e.table is not None:
        return table_markdown(e.table)
    text = e.text.replace("\n", " ") if e.label != "text" else paragraph_markdown(e)
    prefix = {"title": "# ", "section_header": "## ", "list_item": "- ", "caption": "*"}.get(e.label, "")
    if e.label in ("title", "section_header") and e.level is not None:  # the source's own level (DOCX, HTML)
        prefix = "#" * max(1, min(e.level, 6)) + " "
    suffix = "*" if e.label == "caption" else ""
    return f"{prefix}{text}{suffix}" if e.label != "figure" else "<!-- figure -->"


def to_markdown(doc: Document) -> str:
    return "\n\n".join(element_markdown(e) for e in doc.body) + "\n"
