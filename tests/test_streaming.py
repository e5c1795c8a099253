"""A long document streams: the finisher holds a window of pages, the chunker and the store take
parts, and what comes out is the document the whole-document path gave."""

from __future__ import annotations

import sqlite3
import zlib
from pathlib import Path

import numpy as np
import pytest

from docpipe.document import BBox, Document, DocumentPart, Element, Line, Page, Provenance, TableCell, TableData
from docpipe.index.chunking import Chunker, chunk_document
from docpipe.index.store import Store
from docpipe.parse.finishing import DocumentFinisher
from docpipe.parse.spool import DocumentSpool, SpoolError, read_document

W, H = 612.0, 792.0


def _el(text: str, page: int, y0: float, label: str = "text", table: TableData | None = None) -> Element:
    box = BBox(x0=72, y0=y0, x1=400, y1=y0 + 12)
    return Element(
        id="",
        label=label,  # type: ignore[arg-type]
        text=text,
        prov=[Provenance(page=page, bbox=box)],
        lines=[Line(text=text, bbox=box)],
        table=table,
    )


def _table(rows: list[list[str]], page: int, header: bool) -> TableData:
    cells = [
        TableCell(row=r, col=c, text=t, is_header=header and r == 0, page=page)
        for r, row in enumerate(rows)
        for c, t in enumerate(row)
    ]
    return TableData(n_rows=len(rows), n_cols=len(rows[0]), cells=cells)


def _page(n: int) -> Page:
    return Page(number=n, width=W, height=H, origin="text_layer")


def _stream(pages: list[tuple[Page, list[Element]]], window: int) -> tuple[list[DocumentPart], list[int]]:
    """Run the finisher; also return how many pages it held unfinished after each add."""
    fin = DocumentFinisher(window)
    parts: list[DocumentPart] = []
    held: list[int] = []
    for i, (page, elements) in enumerate(pages):
        parts += fin.add_page(page, elements)
        held.append(i + 1 - sum(len(p.pages) for p in parts))
    return parts + fin.close(), held


def test_running_header_repeating_through_a_long_document_is_furniture_with_a_few_pages_held() -> None:
    pages = []
    for n in range(1, 61):
        elements = [_el(f"Annual report 2026 — page {n}", n, 20), _el(f"Paragraph {n} of the body.", n, 300)]
        if n == 1:
            elements.insert(1, _el("Annual Report", n, 60, "title"))
        if n == 30:
            elements.insert(0, _el("Appendix", n, 40, "title"))  # a second title: a heading
        pages.append((_page(n), elements))
    parts, held = _stream(pages, window=4)
    assert max(held) == 4  # the window, never the document
    doc = Document(id="x", name="r.pdf", source="r.pdf", mime="application/pdf", pages=[], body=[])
    for part in parts:
        doc.extend(part)
    assert [p.number for p in doc.pages] == list(range(1, 61))
    assert len(doc.furniture) == 60 and all(e.label == "page_header" for e in doc.furniture)
    assert [e.text for e in doc.body if e.label == "title"] == ["Annual Report"]
    assert [e.text for e in doc.body if e.label == "section_header"] == ["Appendix"]
    assert [e.id for e in doc.body] == [f"e{i}" for i in range(len(doc.body))]
    assert [e.id for e in doc.furniture] == [f"f{i}" for i in range(60)]
    assert [e.text for e in doc.body if e.text.startswith("Paragraph")] == [
        f"Paragraph {n} of the body." for n in range(1, 61)
    ]


def test_text_at_the_edge_of_pages_far_apart_is_body() -> None:
    pages = [(_page(n), [_el("Summary", n, 20)] if n in (1, 40) else [_el(f"Text {n}", n, 300)]) for n in range(1, 41)]
    parts, _ = _stream(pages, window=4)
    assert not any(p.furniture for p in parts)  # 39 pages apart: not a running header
    short, _ = _stream([*pages[:5], (_page(6), [_el("Summary", 6, 20)])], window=10)
    assert sum(len(p.furniture) for p in short) == 2  # a short document: the whole of it is the window


@pytest.mark.parametrize("window", [0, 1, 3])
def test_a_table_continuing_over_three_pages_is_joined_across_parts(window: int) -> None:
    head = ["Description", "Qty", "Amount"]
    pages = [
        (_page(1), [_el("Items", 1, 100), _el("t", 1, 600, "table", _table([head, ["Bolts", "2", "4.00"]], 1, True))]),
        (_page(2), [_el("t", 2, 80, "table", _table([head, ["Nuts", "5", "1.50"]], 2, True))]),
        (_page(3), [_el("t", 3, 80, "table", _table([["Washers", "9", "0.90"]], 3, False)), _el("Total 6.40", 3, 200)]),
    ]
    parts, _ = _stream(pages, window)
    body = [e for p in parts for e in p.body]
    assert [e.label for e in body] == ["text", "table", "text"]
    table = body[1].table
    assert table is not None
    assert [r[0] for r in table.grid()] == ["Description", "Bolts", "Nuts", "Washers"]
    assert [p.page for p in body[1].prov] == [1, 2, 3]
    assert [e.id for e in body] == ["e0", "e1", "e2"]


def _long_doc(n_pages: int) -> Document:
    body = [_el("Nordlicht GmbH", 1, 40, "title")]
    for n in range(1, n_pages + 1):
        body += [_el(f"Section {n}", n, 100, "section_header")]
        body += [_el(f"Line {n}.{i} amount {n * 10 + i}.00 due on delivery", n, 120 + 14 * i) for i in range(25)]
    pages = [_page(n) for n in range(1, n_pages + 1)]
    return Document(id="d" * 64, name="long.pdf", source="long.pdf", mime="application/pdf", pages=pages, body=body)


def test_chunks_fed_part_by_part_are_the_chunks_of_the_whole_document() -> None:
    doc = _long_doc(12)
    chunker = Chunker(doc.name, 80)
    streamed = []
    for n in range(1, 13):
        streamed += chunker.feed([e for e in doc.body if e.page == n])
    streamed += chunker.finish()
    whole = chunk_document(doc, 80)
    assert [c.model_dump() for c in streamed] == [c.model_dump() for c in whole]
    assert all(c.text.startswith("long.pdf — Nordlicht GmbH") for c in streamed)


def test_store_keeps_a_document_as_parts_and_reads_old_whole_rows(tmp_path: Path) -> None:
    doc = _long_doc(6)
    store = Store(tmp_path / "s.db")
    chunks = chunk_document(doc)
    parts = [DocumentPart(pages=[p], body=[e for e in doc.body if e.page == p.number]) for p in doc.pages]
    vecs = np.ones((len(chunks), 4), dtype=np.float32)
    parts_json = [p.model_dump_json().encode() for p in parts]
    store.documents.put_stream(doc.header(), "/a/long.pdf", 6, parts_json, zip(chunks, vecs, strict=True), "m")
    assert store.documents.get(doc.id) == doc
    assert [(r.n_pages, r.n_chunks) for r in store.documents.rows()] == [(6, len(chunks))]
    # A row written before parts existed: the whole document in doc_json.
    old = _long_doc(2).model_copy(update={"id": "e" * 64})
    db = sqlite3.connect(tmp_path / "s.db")
    db.execute(
        "INSERT INTO documents(sha256, path, name, status, n_pages, doc_json, updated_at) VALUES (?,?,?,?,?,?,0)",
        (old.id, "/a/old.pdf", "old.pdf", "ok", 2, zlib.compress(old.model_dump_json().encode())),
    )
    db.commit()
    assert store.documents.get(old.id) == old
    store.documents.remove("/a/long.pdf")  # parts go with their document
    assert db.execute("SELECT COUNT(*) FROM document_parts").fetchone()[0] == 0


def test_a_spool_its_writer_did_not_finish_reads_as_an_error(tmp_path: Path) -> None:
    doc = _long_doc(3)
    spool = DocumentSpool(tmp_path / "d.spool")
    spool.begin(doc.header())
    for p in doc.pages:
        spool.add(DocumentPart(pages=[p], body=[e for e in doc.body if e.page == p.number]))
    spool.abandon()
    with pytest.raises(SpoolError, match="end mark"):
        read_document(tmp_path / "d.spool")
    spool = DocumentSpool(tmp_path / "d.spool")
    spool.begin(doc.header())  # a second attempt starts the file again
    spool.add(DocumentPart(pages=doc.pages, body=doc.body))
    spool.close()
    assert read_document(tmp_path / "d.spool") == doc
