"""Pages of one document over several workers, and documents side by side
(docpipe.parse.parallel): the same Document as one converter makes, in the same order, and a
page that crashes its worker's child costs only that page."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from docpipe.document import ConversionStatus, Document
from docpipe.options import ConvertOptions, EngineOptions
from docpipe.parse.converter import Converter
from docpipe.parse.isolated import IsolatedConverter
from docpipe.parse.parallel import ParallelConverter, with_thread_share
from tests.test_isolation import PAGE_TIMEOUT


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Seven pages with a running header and page numbers (furniture is found across pages)
    and a table on page 3."""
    f = tmp_path_factory.mktemp("parallel") / "report.pdf"
    c = canvas.Canvas(str(f), pagesize=A4)
    for n in range(1, 8):
        c.setFont("Helvetica", 8)
        c.drawString(72, 810, "Quarterly report of the harbour authority")
        c.drawString(500, 30, f"Page {n} of 7")
        c.setFont("Helvetica", 11)
        y = 760
        for line in range(8):
            c.drawString(72, y, f"Section {n} line {line}: the berth {n * 10 + line} handled cargo on schedule.")
            y -= 14
        if n in (3, 4):
            rows = [["Berth", "Ships", "Tonnes", "Hours"]] if n == 3 else []
            rows += [[f"B{n}{i}", str(i + 2), f"{1000 + 10 * i}", f"{i + 4}"] for i in range(6)]
            y -= 20
            for row in rows:
                for k, cell in enumerate(row):
                    c.drawString(72 + 110 * k, y, cell)
                y -= 16
        c.showPage()
    c.save()
    return f


def _shape(doc: Document) -> list[tuple[str, str, str, int]]:
    return [(e.id, e.label, e.text, e.prov[0].page) for e in doc.body]


def test_pages_over_workers_make_the_same_document(report: Path, converter: Converter) -> None:
    single = converter.convert(report)
    par = ParallelConverter(lambda: IsolatedConverter(with_thread_share(ConvertOptions(), 3), PAGE_TIMEOUT), 3)
    try:
        split = par.convert(report)
    finally:
        par.close()
    assert single.document is not None and split.document is not None
    assert split.status is ConversionStatus.SUCCESS and split.pages == 7
    assert [p.number for p in split.document.pages] == list(range(1, 8))
    assert _shape(split.document) == _shape(single.document)
    assert [e.text for e in split.document.furniture] == [e.text for e in single.document.furniture]
    assert "Quarterly report of the harbour authority" in {e.text for e in split.document.furniture}
    tables = [e for e in split.document.body if e.label == "table"]
    assert tables and tables[0].prov[0].page == 3 and tables[0].text.startswith("Berth | Ships | Tonnes | Hours")


@pytest.mark.slow
def test_documents_side_by_side_come_back_in_order(report: Path, tmp_path: Path) -> None:
    samples = Path(__file__).resolve().parent.parent / "samples"
    files = [samples / "invoice_acme.pdf", report, samples / "two_column.pdf", samples / "invoice_multipage.pdf"]
    par = ParallelConverter(lambda: IsolatedConverter(with_thread_share(ConvertOptions(), 2), PAGE_TIMEOUT), 2)
    try:
        got = list(par.convert_many((f, tmp_path / f"{i}.spool") for i, f in enumerate(files)))
    finally:
        par.close()
    assert [p for p, _, _ in got] == files
    assert [r.pages for _, _, r in got] == [1, 7, 1, 2]
    assert all(r.status is ConversionStatus.SUCCESS for _, _, r in got)


def test_thread_share() -> None:
    opts = with_thread_share(ConvertOptions(), 64)
    assert opts.ocr.threads == 1 and opts.layout.threads == 1  # type: ignore[union-attr]
    assert opts.tables.threads == 1  # type: ignore[union-attr]  # SLANet's session too


@pytest.mark.slow
def test_a_crashing_page_costs_only_itself_when_split(tmp_path: Path) -> None:
    """Three scanned pages over two isolated workers; page 2 (worker 2's) crashes its child."""
    from tests.test_isolation import _page

    f = tmp_path / "three.pdf"
    pages = [_page("Invoice ALPHA-1 Total 11.00"), _page(None), _page("Invoice GAMMA-3 Total 33.00")]
    pages[0].save(f, save_all=True, append_images=pages[1:], resolution=150)
    options = ConvertOptions(ocr=EngineOptions(kind="tests.faulty_engines:CrashOnRed"))
    par = ParallelConverter(lambda: IsolatedConverter(with_thread_share(options, 2), PAGE_TIMEOUT), 2)
    try:
        result = par.convert(f)
    finally:
        par.close()
    assert result.status is ConversionStatus.PARTIAL
    [err] = result.errors
    assert str(err) == f"{f}: page 2 abandoned (the converter crashed (SIGSEGV))"
    assert result.document is not None and [p.number for p in result.document.pages] == [1, 3]
    text = result.document.text()
    assert text.index("ALPHA-1") < text.index("GAMMA-3")


@pytest.mark.slow
def test_ingest_converts_documents_side_by_side_and_stores_what_one_worker_stores(tmp_path: Path) -> None:
    """Ingest over 2 workers (documents converted side by side while the one before is
    embedded and stored) keeps the input order, skips a copy of an earlier file, reports the
    empty one, and stores each document exactly as ingest with one worker does."""
    from docpipe.api import Docpipe
    from docpipe.config import Settings

    folder = tmp_path / "docs"
    folder.mkdir()
    samples = Path(__file__).resolve().parent.parent / "samples"
    names = ["invoice_acme.pdf", "two_column.pdf", "receipt_cafe.png", "invoice_multipage.pdf"]
    for name in names:
        (folder / name).write_bytes((samples / name).read_bytes())
    (folder / "copy_of_acme.pdf").write_bytes((samples / "invoice_acme.pdf").read_bytes())
    (folder / "empty.pdf").write_bytes(b"")
    files = [folder / n for n in [*names[:2], "copy_of_acme.pdf", "empty.pdf", *names[2:]]]

    stored = {}
    for workers in (1, 2):
        dp = Docpipe(Settings.load(tmp_path / f"home{workers}", workers=workers))
        outcomes = dp.ingestor().ingest(files)
        assert [Path(o.path).name for o in outcomes] == [f.name for f in files]
        assert [o.status for o in outcomes] == ["ingested", "ingested", "skipped", "failed", "ingested", "ingested"]
        assert "empty" in (outcomes[3].error or "")
        store = dp.store()
        try:
            rows = dp.documents()
            stored[workers] = {Path(r.path).name: _row(store, r) for r in rows}
        finally:
            store.close()
    assert stored[1] == stored[2]
    assert stored[2]["invoice_multipage.pdf"][1] == 2


def _body(store: Any, sha256: str) -> list[tuple[str, str, int]]:
    doc = store.documents.get(sha256)
    return [] if doc is None else [(e.label, e.text, e.prov[0].page) for e in doc.body]


def _row(store: Any, r: Any) -> tuple[str, int, int, list[tuple[str, str, int]]]:
    return r.status, r.n_pages, r.n_chunks, _body(store, r.sha256)


class _Counting:
    """A converter lane that records how many lanes convert at once."""

    def __init__(self, inner: IsolatedConverter, state: dict[str, int], lock: Any) -> None:
        self.inner, self.state, self.lock = inner, state, lock

    def warm_up(self) -> None:
        self.inner.warm_up()

    def close(self) -> None:
        self.inner.close()

    def convert_to(self, path: Path, spool: Path, **kw: Any) -> Any:
        with self.lock:
            self.state["now"] += 1
            self.state["most"] = max(self.state["most"], self.state["now"])
        try:
            return self.inner.convert_to(path, spool, **kw)
        finally:
            with self.lock:
                self.state["now"] -= 1


def test_ingest_keeps_two_workers_converting_at_once(tmp_path: Path) -> None:
    import threading

    from docpipe.api import Docpipe
    from docpipe.config import Settings
    from docpipe.index.ingest import Ingestor

    samples = Path(__file__).resolve().parent.parent / "samples"
    # One page each: two lanes at once can only be two documents side by side.
    files = [samples / n for n in ("invoice_acme.pdf", "two_column.pdf", "receipt_market.jpg", "receipt_cafe.png")]
    state, lock = {"now": 0, "most": 0}, threading.Lock()
    # Each lane its own child process, as in ingest: PDFium is not thread-safe, so two in-process
    # converters at once (even over separate documents) crash the process.
    options = with_thread_share(ConvertOptions(), 2)
    par = ParallelConverter(lambda: _Counting(IsolatedConverter(options, PAGE_TIMEOUT), state, lock), 2)
    try:
        dp = Docpipe(Settings.load(tmp_path / "home"))
        outcomes = Ingestor(dp.home, par, dp.embedder).ingest(files)
    finally:
        par.close()
    assert [o.status for o in outcomes] == ["ingested"] * 4
    assert [Path(o.path).name for o in outcomes] == [f.name for f in files]
    assert state["most"] == 2


def test_a_copy_of_a_file_that_failed_in_the_same_run_fails_too_and_says_why(tmp_path: Path) -> None:
    from docpipe.api import Docpipe
    from docpipe.config import Settings

    broken = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer garbage"
    (tmp_path / "a.pdf").write_bytes(broken)
    (tmp_path / "b.pdf").write_bytes(broken)
    dp = Docpipe(Settings.load(tmp_path / "home", workers=1, page_timeout_s=0))
    first, copy = dp.ingestor().ingest([tmp_path / "a.pdf", tmp_path / "b.pdf"])
    assert first.status == "failed" and copy.status == "failed"
    assert "same content as" in (copy.error or "") and "a.pdf" in (copy.error or "")


@pytest.mark.skipif(not hasattr(os, "sched_getaffinity") or not shutil.which("taskset"), reason="Linux taskset")
def test_workers_and_threads_follow_the_cores_the_process_may_use() -> None:
    """Confined to one core (taskset, a container's cpuset), docpipe starts one worker with one
    thread per model, not one per core of the machine."""
    code = (
        "from docpipe.parse.parallel import default_workers; from docpipe.runtime import default_threads; "
        "print(default_workers(), default_threads())"
    )
    out = subprocess.run(
        ["taskset", "-c", "0", sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    ).stdout.split()
    assert out == ["1", "1"]
