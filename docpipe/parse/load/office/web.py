"""HTML through lxml's HTML parser (libxml2): headings h1-h6 with their levels, paragraphs,
lists, tables with rowspan/colspan, images as figures, on one flowed page. Scripts, styles,
forms and navigation are left out; the network is never touched and entities are not
expanded. libxml2 stops building the tree at 256 levels of nesting and says so; that is
refused, not read as a silently cut document."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lxml import etree, html

from docpipe.errors import LoadError
from docpipe.options import Limits
from docpipe.parse.load.office.flow import Cell, Flow

SKIP = frozenset(
    {"script", "style", "noscript", "template", "head", "nav", "form", "button", "select", "svg", "iframe", "object"}
)
BLOCKS = frozenset(
    {
        "p",
        "div",
        "section",
        "article",
        "main",
        "aside",
        "header",
        "footer",
        "blockquote",
        "pre",
        "address",
        "dd",
        "dt",
        "figcaption",
        "caption",
        "td",
        "th",
        "body",
    }
)
HEADINGS = {f"h{i}": i for i in range(1, 7)}
BR = "\x00"  # a <br> inside a block: a line break, where the source's own newlines are only spaces


def _collapsed(text: str) -> str:
    return "\n".join(" ".join(seg.split()) for seg in text.split(BR))


def parse_html(data: bytes, path: Path, limits: Limits) -> Any:
    parser = html.HTMLParser(
        no_network=True, remove_comments=True, remove_pis=True, huge_tree=False, default_doctype=False
    )
    try:
        root = html.document_fromstring(data, parser=parser)
    except (etree.ParserError, ValueError) as e:
        raise LoadError(path, f"unreadable HTML ({e})") from e
    for err in parser.error_log:
        if "depth" in err.message.lower():
            raise LoadError(path, f"HTML nested deeper than {limits.max_html_depth} elements (refused)")
    return root


def _spans(el: Any) -> tuple[int, int]:
    def num(name: str) -> int:
        try:
            return max(1, min(int(str(el.get(name, "1")).strip() or 1), 1000))
        except ValueError:
            return 1

    return num("rowspan"), num("colspan")


def table_cells(table: Any) -> list[Cell]:
    """Rows and cells of one table (not of tables nested in it), with spans placed on a grid."""
    cells: list[Cell] = []
    taken: set[tuple[int, int]] = set()
    rows = [tr for tr in table.iter("tr") if _owner(tr) is table]
    for r, tr in enumerate(rows):
        col = 0
        for td in tr:
            if not isinstance(td.tag, str) or td.tag not in ("td", "th"):
                continue
            while (r, col) in taken:
                col += 1
            rs, cs = _spans(td)
            text = " ".join(td.text_content().split())
            is_header = td.tag == "th" or (tr.getparent() is not None and tr.getparent().tag == "thead")
            cells.append(Cell(row=r, col=col, text=text, row_span=rs, col_span=cs, is_header=is_header))
            for dr in range(rs):
                for dc in range(cs):
                    taken.add((r + dr, col + dc))
            col += cs
    n_rows = len(rows)
    for c in cells:  # a rowspan past the last row is cut where the table ends
        c.row_span = max(1, min(c.row_span, n_rows - c.row))
    return cells


def _owner(tr: Any) -> Any:
    p = tr.getparent()
    while p is not None and p.tag != "table":
        p = p.getparent()
    return p


def _own_text(el: Any) -> str:
    """The text of a block without the text of blocks inside it (those are elements of their own)."""
    parts = [el.text or ""]
    for child in el:
        if not isinstance(child.tag, str):
            parts.append(child.tail or "")
            continue
        if (
            child.tag in BLOCKS
            or child.tag in HEADINGS
            or child.tag in ("ul", "ol", "li", "table", "img", "br")
            or child.tag in SKIP
        ):
            parts.append(BR if child.tag == "br" else " ")
        else:
            parts.append(_own_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def read_html(path: Path, data: bytes, limits: Limits) -> list[Flow]:
    root = parse_html(data, path, limits)
    flow = Flow(number=1)
    title = root.find(".//title")
    flow.label = " ".join((title.text_content() if title is not None else "").split())
    body = root.find("body")
    walk(flow, body if body is not None else root)
    return [flow]


def walk(flow: Flow, top: Any) -> None:
    """Every element in document order, iteratively (no recursion limit on deep trees)."""
    counter = 0
    stack: list[Any] = [top]
    while stack:
        el = stack.pop()
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag in SKIP or not tag:
            continue
        counter += 1
        ref = f"<{tag}> {counter}"
        if tag in HEADINGS:
            level = HEADINGS[tag]
            flow.text(
                "title" if level == 1 else "section_header", " ".join(el.text_content().split()), ref=ref, level=level
            )
            continue
        if tag == "table":
            flow.table(table_cells(el), ref=ref)
            continue
        if tag == "img":
            flow.figure(" ".join((el.get("alt") or "").split()), ref=ref)
            continue
        if tag == "li":
            flow.text("list_item", _collapsed(_own_text(el)).replace("\n", " "), ref=ref)
        elif tag in BLOCKS:
            flow.text("text", el.text_content() if tag == "pre" else _collapsed(_own_text(el)), ref=ref)
        stack.extend(reversed([c for c in el if isinstance(c.tag, str)]))
