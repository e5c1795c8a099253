"""Document stages over a stream of pages: furniture, tables across pages, title, element ids.

Pages come in one at a time and leave in parts, so a 1,000-page document is never held whole
(memory stays flat). What needs other pages looks only at a window of them:
- a running header or footer is short text repeated near the same edge within WINDOW pages
  either side (for documents of up to WINDOW + 1 pages, that is the whole document);
- a table continuing on the next page is joined to it, so the last body element of a page is
  held back until the next page has been seen;
- the first title is the document's title; later ones become section headers.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Protocol

from docpipe.document import FURNITURE_LABELS, Document, DocumentPart, Element, Page
from docpipe.parse.tables.columns import join_tables, same_columns

WINDOW = 10  # pages either side in which a running header must repeat; pages held back ~ WINDOW


class DocumentSink(Protocol):
    """Where a converter puts a document: its header first, then its parts in order."""

    def begin(self, header: Document) -> None: ...

    def add(self, part: DocumentPart) -> None: ...


class DocumentBuilder:
    """The in-memory sink: the whole Document (for parse, extract and the tests)."""

    def __init__(self) -> None:
        self.document: Document | None = None

    def begin(self, header: Document) -> None:
        self.document = header

    def add(self, part: DocumentPart) -> None:
        assert self.document is not None
        self.document.extend(part)


EdgeKey = tuple[str, bool]  # (text without digits, at the top)


@dataclass
class _PendingPage:
    index: int
    page: Page
    elements: list[Element]
    keys: dict[int, EdgeKey] = field(default_factory=dict)  # element position -> its edge key


def _edge_keys(page: Page, elements: list[Element]) -> dict[int, EdgeKey]:
    keys: dict[int, EdgeKey] = {}
    for i, e in enumerate(elements):
        top, bottom = e.bbox.y1 < 0.12 * page.height, e.bbox.y0 > 0.88 * page.height
        if (top or bottom) and len(e.lines) <= 2 and e.label != "table":
            keys[i] = ("".join(ch for ch in e.text.lower() if not ch.isdigit()), top)
    return keys


class DocumentFinisher:
    """add_page() each page in order, then close(); both return the parts that are finished."""

    def __init__(self, window: int = WINDOW) -> None:
        self.window = window
        self._recent: deque[_PendingPage] = deque()  # the last 2*window+1 pages, for edge keys
        self._n_pages = 0
        self._next_index = 0  # of the next page to finalize
        self._held: Element | None = None  # a page's last body element, until the next page is seen
        self._has_title = False
        self._n_body = 0
        self._n_furniture = 0
        self.has_text = False

    def add_page(self, page: Page, elements: list[Element]) -> list[DocumentPart]:
        p = _PendingPage(index=self._n_pages, page=page, elements=elements, keys=_edge_keys(page, elements))
        self._n_pages += 1
        self._recent.append(p)
        parts = []
        while self._next_index <= p.index - self.window:
            parts.append(self._finalize(self._next_index, more_pages=True))
        return parts

    def close(self) -> list[DocumentPart]:
        parts = []
        while self._next_index < self._n_pages:
            parts.append(self._finalize(self._next_index, more_pages=self._next_index < self._n_pages - 1))
        if self._held is not None:
            held, self._held = self._held, None
            parts.append(DocumentPart(body=[self._numbered_body(held)]))
        return parts

    def _page(self, index: int) -> _PendingPage:
        return self._recent[index - self._recent[0].index]

    def _finalize(self, index: int, *, more_pages: bool) -> DocumentPart:
        p = self._page(index)
        near = [q for q in self._recent if abs(q.index - index) <= self.window]
        if len(near) >= 2:  # a one-page document has no running headers
            counts: dict[EdgeKey, int] = {}
            for q in near:
                for key in q.keys.values():
                    counts[key] = counts.get(key, 0) + 1
            for i, key in p.keys.items():
                if counts[key] >= 2:
                    p.elements[i].label = "page_header" if key[1] else "page_footer"
        body = [e for e in p.elements if e.label not in FURNITURE_LABELS]
        furniture = [e for e in p.elements if e.label in FURNITURE_LABELS]
        if self._held is not None and body and _continues(self._held, body[0]):
            body[0] = _joined(self._held, body[0])
            self._held = None
        out = [] if self._held is None else [self._held]
        out.extend(body)
        self._held = out.pop() if out and out[-1].table is not None and more_pages else None
        self._next_index += 1
        while self._recent and self._recent[0].index < self._next_index - self.window:
            self._recent.popleft()  # older than any window still to be finalized
        p.elements = []
        for e in furniture:
            e.id = f"f{self._n_furniture}"
            self._n_furniture += 1
        return DocumentPart(pages=[p.page], body=[self._numbered_body(e) for e in out], furniture=furniture)

    def _numbered_body(self, e: Element) -> Element:
        if e.label == "title":
            if self._has_title:  # one title per document; later big text is a heading
                e.label = "section_header"
                e.level = 2 if e.level == 1 else e.level
            self._has_title = True
        e.id = f"e{self._n_body}"
        self._n_body += 1
        self.has_text = self.has_text or bool(e.text.strip())
        return e


def _continues(prev: Element, nxt: Element) -> bool:
    return (
        prev.table is not None
        and nxt.table is not None
        and nxt.page == prev.prov[-1].page + 1
        and same_columns(prev.table, nxt.table)
    )


def _joined(prev: Element, nxt: Element) -> Element:
    assert prev.table is not None and nxt.table is not None
    table = join_tables(prev.table, nxt.table)
    return prev.model_copy(
        update={
            "table": table,
            "text": table.text(),
            "prov": prev.prov + nxt.prov,
            "lines": prev.lines + nxt.lines,
            "confidence": min(prev.confidence, nxt.confidence),
        }
    )
