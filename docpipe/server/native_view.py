"""A native page (DOCX, PPTX slide, XLSX sheet, HTML, mail) for the viewer: it has no image, so
the viewer shows its elements as HTML instead, each element and each table row carrying its
data-bbox, and highlights the one a citation's box falls in."""

from __future__ import annotations

from html import escape

from docpipe.document import Document, Element
from docpipe.serialize.html import element_html, table_html, with_lists


def _box(values: list[float]) -> str:
    return " ".join(f"{v:g}" for v in values)


def _table(e: Element) -> str:
    """The table with each row's box (one line per row, in order), so a cited row is found."""
    assert e.table is not None
    html = table_html(e.table)
    rows = iter(e.lines)
    out, rest = [], html
    while (at := rest.find("<tr>")) >= 0:
        line = next(rows, None)
        attr = f' data-bbox="{_box(line.bbox.as_list())}"' if line is not None else ""
        out += [rest[:at], f"<tr{attr}>"]
        rest = rest[at + 4 :]
    out.append(rest)
    return f'<table data-bbox="{_box(e.bbox.as_list())}" data-label="table">{"".join(out)}</table>'


def page_html(doc: Document, number: int) -> str:
    """The page's elements in reading order as an HTML fragment (text escaped by the serializer)."""
    parts = [f'<div class="native-page" data-page="{number}" data-document="{escape(doc.name)}">']
    parts += with_lists(doc.elements_on(number), lambda e: _table(e) if e.table is not None else element_html(e))
    parts.append("</div>")
    return "\n".join(parts)
