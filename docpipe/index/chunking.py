"""Layout-aware chunks, sized in the embedding model's tokens.

Elements are never cut mid-line: a chunk packs whole elements in reading order, a new
heading starts a new chunk and is carried into every chunk under it, key-value blocks stay
in one piece, and a table too long for one chunk is split between rows with its header row
repeated. Each chunk keeps the pages, boxes and lines it came from, so a citation can point
at the exact line.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import BaseModel

from docpipe.document import BBox, Document, Element, Line, TableData
from docpipe.serialize.html import element_html, table_html

TokenCounter = Callable[[str], int]


class SpanLine(BaseModel):
    text: str
    page: int
    bbox: list[float]


class ChunkSpan(BaseModel):
    """One element (or the part of it) a chunk holds, with its lines."""

    element_id: str
    page: int
    bbox: list[float]
    text: str
    lines: list[SpanLine] = []


class Chunk(BaseModel):
    seq: int
    text: str
    html: str
    heading: str | None
    spans: list[ChunkSpan]

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()


def approx_tokens(text: str) -> int:
    """~1.3 word pieces per word: the fallback when no tokenizer is at hand."""
    return int(len(text.split()) * 1.3) + 1


@dataclass
class _Piece:
    text: str
    html: str
    spans: list[ChunkSpan]


def _spans_of(e: Element, lines: list[tuple[Line, int]], text: str) -> list[ChunkSpan]:
    """Spans for some lines of an element, one per page they sit on."""
    by_page: dict[int, list[Line]] = {}
    for ln, page in lines:
        by_page.setdefault(page, []).append(ln)
    if not by_page:  # an element without lines (a figure): its own boxes
        return [ChunkSpan(element_id=e.id, page=p.page, bbox=p.bbox.as_list(), text=text) for p in e.prov]
    return [
        ChunkSpan(
            element_id=e.id,
            page=page,
            bbox=BBox.union_all([ln.bbox for ln in lns]).as_list(),
            text=text,
            lines=[SpanLine(text=ln.text, page=page, bbox=ln.bbox.as_list()) for ln in lns],
        )
        for page, lns in by_page.items()
    ]


def _text_pieces(e: Element, budget: int, count: TokenCounter) -> list[_Piece]:
    placed = list(zip(e.lines, e.line_pages(), strict=True))
    if count(e.text) <= budget or len(placed) < 2:
        return [_Piece(e.text, element_html(e), _spans_of(e, placed, e.text))]
    pieces: list[_Piece] = []
    group: list[tuple[Line, int]] = []
    for item in [*placed, None]:
        candidate = [*group, item] if item else group
        if item is None or (group and count("\n".join(ln.text for ln, _ in candidate)) > budget):
            text = "\n".join(ln.text for ln, _ in group)
            part = e.model_copy(update={"text": text, "lines": [ln for ln, _ in group]})
            pieces.append(_Piece(text, element_html(part), _spans_of(e, group, text)))
            group = []
        if item is not None:
            group.append(item)
    return pieces


def _row_lines(e: Element, t: TableData, rows: list[int]) -> list[tuple[Line, int]]:
    """The element's lines that hold the given grid rows (by page and vertical position)."""
    wanted = [c for c in t.cells if c.row in rows and c.bbox is not None]
    out = []
    for ln, page in zip(e.lines, e.line_pages(), strict=True):
        if any(c.page == page and c.bbox is not None and c.bbox.y0 - 1 <= ln.bbox.cy <= c.bbox.y1 + 1 for c in wanted):
            out.append((ln, page))
    return out


def _table_pieces(e: Element, t: TableData, budget: int, count: TokenCounter) -> list[_Piece]:
    if count(e.text) <= budget:
        return [_Piece(e.text, element_html(e), _spans_of(e, list(zip(e.lines, e.line_pages(), strict=True)), e.text))]
    grid = t.grid()
    n_head = max(1, t.header_rows())
    head_text = [" | ".join(r) for r in grid[:n_head]]
    pieces: list[_Piece] = []
    group: list[int] = []
    for r in [*range(n_head, t.n_rows), None]:
        candidate = [*group, r] if r is not None else group
        text_of = "\n".join(head_text + [" | ".join(grid[i]) for i in candidate])
        if r is None or (group and count(text_of) > budget):
            rows = list(range(n_head)) + group
            sub = TableData(
                n_rows=len(rows),
                n_cols=t.n_cols,
                cells=[c.model_copy(update={"row": rows.index(c.row)}) for c in t.cells if c.row in rows],
            )
            text = "\n".join(head_text + [" | ".join(grid[i]) for i in group])
            pieces.append(_Piece(text, f"<table>{table_html(sub)}</table>", _spans_of(e, _row_lines(e, t, rows), text)))
            group = []
        if r is not None:
            group.append(r)
    return pieces


def chunk_document(doc: Document, budget: int = 200, count: TokenCounter = approx_tokens) -> list[Chunk]:
    chunks: list[Chunk] = []
    heading: str | None = None
    buf: list[_Piece] = []

    # Every chunk names its document and the document's title (an invoice's vendor, a report's
    # name): "the total on the Nordlicht invoice" must match the total's chunk, not only the first.
    title = next((e.text.replace("\n", " ") for e in doc.body if e.label == "title"), None)
    context = doc.name + (f" — {title}" if title else "")

    def prefix() -> str:
        return context + (f" — {heading}" if heading and heading != title else "")

    def flush() -> None:
        if buf:
            chunks.append(
                Chunk(
                    seq=len(chunks),
                    text=prefix() + "\n" + "\n".join(p.text for p in buf),
                    html="\n".join(p.html for p in buf),
                    heading=heading,
                    spans=[s for p in buf for s in p.spans],
                )
            )
            buf.clear()

    for e in doc.body:
        if e.label in ("title", "section_header"):
            flush()
            heading = e.text.replace("\n", " ")
        room = budget - count(prefix())
        if e.label == "table" and e.table is not None:
            pieces = _table_pieces(e, e.table, room, count)
        else:
            pieces = _text_pieces(e, room, count)
        for piece in pieces:
            if buf and count("\n".join([*(p.text for p in buf), piece.text])) > room:
                flush()
            buf.append(piece)
    flush()
    return chunks
