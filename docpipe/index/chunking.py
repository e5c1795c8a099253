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

from pydantic import BaseModel, Field, field_serializer

from docpipe.document import BBox, Document, Element, Line, Provenance, TableData
from docpipe.serialize.html import element_html, table_html

TokenCounter = Callable[[str], int]


class SpanLine(Provenance):
    """One line of a chunk, where it sits: what a citation points at."""

    text: str

    @field_serializer("bbox")
    def _compact_box(self, box: BBox) -> list[float]:  # stored with every chunk: keep it short
        return box.as_list()


class ChunkSpan(Provenance):
    """One element (or the part of it) a chunk holds, with its lines."""

    element_id: str
    text: str
    lines: list[SpanLine] = Field(default_factory=list)

    @field_serializer("bbox")
    def _compact_box(self, box: BBox) -> list[float]:
        return box.as_list()

    def lines_or_whole(self) -> list[SpanLine]:
        """Its lines; a span stored without them (older homes, one-line elements) as one line."""
        return self.lines or [SpanLine(text=self.text, page=self.page, bbox=self.bbox)]


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
        return [ChunkSpan(element_id=e.id, page=p.page, bbox=p.bbox, text=text) for p in e.prov]
    return [
        ChunkSpan(
            element_id=e.id,
            page=page,
            bbox=BBox.union_all([ln.bbox for ln in lns]),
            text=text,
            lines=[SpanLine(text=ln.text, page=page, bbox=ln.bbox) for ln in lns],
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


HEAD_MAX_ROWS = 3  # a table's header repeated in each of its pieces is a short row or two of labels
HEAD_MAX_SHARE = 0.25  # of the chunk budget, at most


def _table_pieces(e: Element, t: TableData, budget: int, count: TokenCounter) -> list[_Piece]:
    if count(e.text) <= budget:
        return [_Piece(e.text, element_html(e), _spans_of(e, list(zip(e.lines, e.line_pages(), strict=True)), e.text))]
    grid = t.grid()
    n_head = max(1, t.header_rows())
    if n_head > HEAD_MAX_ROWS or count(TableData.rows_text(grid[:n_head])) > budget * HEAD_MAX_SHARE:
        # Not a row of column labels but a letterhead the layout took for one (an invoice's 17
        # address lines): repeated in every piece it would crowd the rows, the totals, out of them.
        n_head = 0
    head = grid[:n_head]
    pieces: list[_Piece] = []
    group: list[int] = []
    for r in [*range(n_head, t.n_rows), None]:
        candidate = [*group, r] if r is not None else group
        text_of = TableData.rows_text([*head, *(grid[i] for i in candidate)])
        if r is None or (group and count(text_of) > budget):
            rows = list(range(n_head)) + group
            sub = TableData(
                n_rows=len(rows),
                n_cols=t.n_cols,
                cells=[c.model_copy(update={"row": rows.index(c.row)}) for c in t.cells if c.row in rows],
            )
            text = TableData.rows_text([*head, *(grid[i] for i in group)])
            pieces.append(_Piece(text, f"<table>{table_html(sub)}</table>", _spans_of(e, _row_lines(e, t, rows), text)))
            group = []
        if r is not None:
            group.append(r)
    return pieces


TITLE_LOOKAHEAD = 3  # parts (pages) in which to find the document's title before chunks are cut


class Chunker:
    """Chunks as a document streams in: feed() each part's body elements in order, then finish().

    Every chunk names its document and the document's title (an invoice's vendor, a report's
    name): "the total on the Nordlicht invoice" must match the total's chunk, not only the
    first. So elements wait until the title is seen, or TITLE_LOOKAHEAD parts went by without one.
    """

    def __init__(self, name: str, budget: int = 200, count: TokenCounter = approx_tokens) -> None:
        self.name = name
        self.budget = budget
        self.count = count
        self._waiting: list[Element] | None = []  # None once the title question is settled
        self._parts_seen = 0
        self._title: str | None = None
        self._heading: str | None = None
        self._buf: list[_Piece] = []
        self._seq = 0

    def feed(self, elements: list[Element]) -> list[Chunk]:
        if self._waiting is None:
            return self._chunk(elements)
        self._waiting.extend(elements)
        self._parts_seen += 1
        if self._parts_seen < TITLE_LOOKAHEAD and not any(e.label == "title" for e in self._waiting):
            return []
        return self._settle()

    def finish(self) -> list[Chunk]:
        return (self._settle() if self._waiting is not None else []) + self._flush()

    def _settle(self) -> list[Chunk]:
        waiting, self._waiting = self._waiting or [], None
        title = next((e for e in waiting if e.label == "title"), None)
        self._title = title.text.replace("\n", " ") if title is not None else None
        return self._chunk(waiting)

    def _prefix(self) -> str:
        context = self.name + (f" — {self._title}" if self._title else "")
        h = self._heading
        return context + (f" — {h}" if h and h != self._title else "")

    def _flush(self) -> list[Chunk]:
        if not self._buf:
            return []
        buf, self._buf = self._buf, []
        chunk = Chunk(
            seq=self._seq,
            text=self._prefix() + "\n" + "\n".join(p.text for p in buf),
            html="\n".join(p.html for p in buf),
            heading=self._heading,
            spans=[s for p in buf for s in p.spans],
        )
        self._seq += 1
        return [chunk]

    def _chunk(self, elements: list[Element]) -> list[Chunk]:
        out: list[Chunk] = []
        count = self.count
        for e in elements:
            if e.label in ("title", "section_header"):
                out += self._flush()
                self._heading = e.text.replace("\n", " ")
            room = self.budget - count(self._prefix())
            if e.label == "table" and e.table is not None:
                pieces = _table_pieces(e, e.table, room, count)
            else:
                pieces = _text_pieces(e, room, count)
            for piece in pieces:
                if self._buf and count("\n".join([*(p.text for p in self._buf), piece.text])) > room:
                    out += self._flush()
                self._buf.append(piece)
        return out


def chunk_body(text: str) -> str:
    """A stored chunk's own text: without the context line (name — title — heading) put first."""
    return text.partition("\n")[2]


def chunk_document(doc: Document, budget: int = 200, count: TokenCounter = approx_tokens) -> list[Chunk]:
    chunker = Chunker(doc.name, budget, count)
    return chunker.feed(doc.body) + chunker.finish()
