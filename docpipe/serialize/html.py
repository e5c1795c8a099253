"""HTML with provenance: every element carries data-page and data-bbox (PDF points)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from html import escape

from docpipe.document import Document, Element, TableData

_TAGS = {
    "title": "h1",
    "section_header": "h2",
    "text": "p",
    "list_item": "li",
    "caption": "figcaption",
    "formula": "pre",
    "page_header": "header",
    "page_footer": "footer",
}


def _attrs(e: Element) -> str:
    box = " ".join(f"{v:g}" for v in e.bbox.as_list())
    attrs = f'id="{escape(e.id)}" data-page="{e.page}" data-bbox="{box}" data-label="{e.label}"'
    if len(e.prov) > 1:
        pages = " ".join(str(p.page) for p in e.prov)
        attrs += f' data-pages="{pages}"'
    if e.prov[0].ref is not None:
        attrs += f' data-ref="{escape(e.prov[0].ref)}"'
    if e.origin == "ocr":
        attrs += f' data-origin="ocr" data-confidence="{e.confidence:.3f}"'
    return attrs


def table_html(t: TableData) -> str:
    # Every grid position gets a cell (empty where the table has none) so columns stay aligned
    # in a sparse table; positions a span covers get none.
    start = {(c.row, c.col): c for c in t.cells}
    covered = {(c.row + i, c.col + j) for c in t.cells for i in range(c.row_span) for j in range(c.col_span) if i or j}
    n_head = t.header_rows()
    rows: list[list[str]] = [[] for _ in range(t.n_rows)]
    for r in range(t.n_rows):
        for col in range(t.n_cols):
            c = start.get((r, col))
            if c is None:
                if (r, col) not in covered:
                    rows[r].append("<th></th>" if r < n_head else "<td></td>")
                continue
            tag = "th" if c.is_header else "td"
            span = (f' rowspan="{c.row_span}"' if c.row_span > 1 else "") + (
                f' colspan="{c.col_span}"' if c.col_span > 1 else ""
            )
            rows[r].append(f"<{tag}{span}>{escape(c.text)}</{tag}>")
    head = [r for i, r in enumerate(rows) if i < t.header_rows()]
    body = [r for i, r in enumerate(rows) if i >= t.header_rows()]
    out = []
    if head:
        out.append("<thead>" + "".join(f"<tr>{''.join(r)}</tr>" for r in head) + "</thead>")
    out.append("<tbody>" + "".join(f"<tr>{''.join(r)}</tr>" for r in body) + "</tbody>")
    return "".join(out)


def element_html(e: Element) -> str:
    if e.label == "table" and e.table is not None:
        return f"<table {_attrs(e)}>{table_html(e.table)}</table>"
    if e.label == "figure":
        return f"<figure {_attrs(e)}></figure>"
    tag = _TAGS.get(e.label, "p")
    if e.label in ("title", "section_header") and e.level is not None:
        tag = f"h{max(1, min(e.level, 6))}"
    inner = "<br>".join(escape(ln) for ln in e.text.split("\n"))
    return f"<{tag} {_attrs(e)}>{inner}</{tag}>"


def with_lists(elements: Iterable[Element], render: Callable[[Element], str] = element_html) -> list[str]:
    """Each element's HTML, a run of list items inside one <ul> (an <li> needs a list around it)."""
    out: list[str] = []
    in_list = False
    for e in elements:
        if (e.label == "list_item") != in_list:
            in_list = not in_list
            out.append("<ul>" if in_list else "</ul>")
        out.append(render(e))
    if in_list:
        out.append("</ul>")
    return out


def to_html(doc: Document, *, include_furniture: bool = True) -> str:
    parts = [
        "<!DOCTYPE html>",
        f'<html><head><meta charset="utf-8"><title>{escape(doc.name)}</title>'
        f'<meta name="docpipe-schema" content="{doc.schema_version}"></head><body>',
    ]
    # Grouped once, not filtered per page: a 5,000-page document would otherwise take minutes.
    body_on: dict[int, list[Element]] = {}
    for e in doc.body:
        body_on.setdefault(e.page, []).append(e)
    furniture_on: dict[int, list[Element]] = {}
    for f in doc.furniture if include_furniture else []:
        furniture_on.setdefault(f.page, []).append(f)
    for page in doc.pages:
        parts.append(
            f'<section class="page" data-page="{page.number}" '
            f'data-size="{page.width:g} {page.height:g}" data-origin="{page.origin}">'
        )
        furniture = furniture_on.get(page.number, [])
        parts.extend(element_html(f) for f in furniture if f.label == "page_header")
        parts.extend(with_lists(body_on.get(page.number, [])))
        parts.extend(element_html(f) for f in furniture if f.label == "page_footer")
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
