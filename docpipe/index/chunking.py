"""Layout-aware chunks: elements in reading order, headings carried along, tables kept whole
(or split between rows with the header row repeated)."""

from __future__ import annotations

import hashlib

from pydantic import BaseModel

from docpipe.document import Document, Element, TableData
from docpipe.serialize.html import element_html, table_html


class SpanLine(BaseModel):
    text: str
    page: int
    bbox: list[float]


class ChunkSpan(BaseModel):
    """One element a chunk holds, with its lines so a citation can point at the exact line."""

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


def _tokens(text: str) -> int:
    # ~1.3 word-piece tokens per word for English prose and numbers.
    return int(len(text.split()) * 1.3) + 1


def _spans(e: Element) -> list[ChunkSpan]:
    lines_by_page: dict[int, list[SpanLine]] = {}
    page_breaks = _line_pages(e)
    for ln, page in zip(e.lines, page_breaks, strict=True):
        lines_by_page.setdefault(page, []).append(SpanLine(text=ln.text, page=page, bbox=ln.bbox.as_list()))
    return [
        ChunkSpan(element_id=e.id, page=p.page, bbox=p.bbox.as_list(), text=e.text, lines=lines_by_page.get(p.page, []))
        for p in e.prov
    ]


def _line_pages(e: Element) -> list[int]:
    """Page of each line: a new page starts where y jumps back up (joined tables)."""
    pages = [p.page for p in e.prov]
    out: list[int] = []
    idx, prev_y = 0, -1.0
    for ln in e.lines:
        if out and ln.bbox.y0 < prev_y - 1 and idx + 1 < len(pages):
            idx += 1
        out.append(pages[idx])
        prev_y = ln.bbox.y0
    return out


def _split_table(e: Element, t: TableData, budget: int) -> list[tuple[str, str]]:
    """(text, html) parts of a table, each with the header row repeated."""
    grid = t.grid()
    n_head = max(1, t.header_rows())
    head, rows = grid[:n_head], grid[n_head:]
    parts: list[tuple[str, str]] = []
    current: list[list[str]] = []
    for row in [*rows, None]:
        text_rows = head + current + ([row] if row else [])
        if row is None or (_tokens(" ".join(" ".join(r) for r in text_rows)) > budget and current):
            if current or not parts:
                sub = TableData(
                    n_rows=n_head + len(current),
                    n_cols=t.n_cols,
                    cells=[c for c in t.cells if c.row < n_head]
                    + [
                        c.model_copy(update={"row": n_head + i})
                        for i, r in enumerate(current)
                        for c in t.cells
                        if c.row >= n_head and grid[c.row] is r
                    ],
                )
                text = "\n".join(" | ".join(r) for r in head + current)
                parts.append((text, f"<table>{table_html(sub)}</table>"))
            current = []
        if row is not None:
            current.append(row)
    return parts


def chunk_document(doc: Document, budget: int = 200) -> list[Chunk]:
    chunks: list[Chunk] = []
    heading: str | None = None
    buf: list[Element] = []

    def flush() -> None:
        if not buf:
            return
        body = "\n".join(e.text for e in buf)
        text = f"{doc.name}" + (f" — {heading}" if heading else "") + f"\n{body}"
        chunks.append(
            Chunk(
                seq=len(chunks),
                text=text,
                html="\n".join(element_html(e) for e in buf),
                heading=heading,
                spans=[s for e in buf for s in _spans(e)],
            )
        )
        buf.clear()

    for e in doc.body:
        if e.label in ("title", "section_header"):
            flush()
            heading = e.text.replace("\n", " ")
        if e.label == "table" and e.table is not None and _tokens(e.text) > budget:
            flush()
            for text, html in _split_table(e, e.table, budget):
                prefix = f"{doc.name}" + (f" — {heading}" if heading else "")
                chunks.append(
                    Chunk(seq=len(chunks), text=f"{prefix}\n{text}", html=html, heading=heading, spans=_spans(e))
                )
            continue
        if buf and _tokens("\n".join(x.text for x in buf) + e.text) > budget:
            flush()
        buf.append(e)
    flush()
    return chunks
