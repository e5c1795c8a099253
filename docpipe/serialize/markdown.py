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


def element_markdown(e: Element) -> str:
    if e.label == "table" and e.table is not None:
        return table_markdown(e.table)
    text = e.text.replace("\n", " ") if e.label != "text" else e.text.replace("\n", "  \n")
    prefix = {"title": "# ", "section_header": "## ", "list_item": "- ", "caption": "*"}.get(e.label, "")
    if e.label in ("title", "section_header") and e.level is not None:  # the source's own level (DOCX, HTML)
        prefix = "#" * max(1, min(e.level, 6)) + " "
    suffix = "*" if e.label == "caption" else ""
    return f"{prefix}{text}{suffix}" if e.label != "figure" else "<!-- figure -->"


def to_markdown(doc: Document) -> str:
    return "\n\n".join(element_markdown(e) for e in doc.body) + "\n"
