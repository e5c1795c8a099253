"""Ingest over several workers chunks and embeds each document in the worker that converted it
(docpipe.index.prepare through IsolatedConverter.convert_then): the store must hold exactly what
the one-process path stores, vectors bit for bit; stored vectors are reused, never recomputed;
and a step that fails or kills its worker costs nothing but the time to do it in the ingest."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from docpipe.api import Docpipe
from docpipe.config import Home, Settings
from docpipe.document import ConversionStatus
from docpipe.options import ConvertOptions
from docpipe.parse.isolated import IsolatedConverter
from tests.test_isolation import PAGE_TIMEOUT, _page

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
NAMES = ["invoice_acme.pdf", "two_column.pdf", "receipt_cafe.png", "invoice_multipage.pdf", "receipt_market.jpg"]


def _stored(home: Path) -> list[tuple[Any, ...]]:
    con = sqlite3.connect(Home(home).store)
    try:
        return con.execute(
            "SELECT d.name, c.seq, c.text, c.html, c.heading, c.spans, c.content_hash, e.model, e.vector "
            "FROM chunks c JOIN documents d ON d.id = c.document_id JOIN embeddings e ON e.chunk_id = c.id "
            "ORDER BY d.name, c.seq"
        ).fetchall()
    finally:
        con.close()


@pytest.mark.slow
def test_workers_store_the_same_chunks_and_vectors_as_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import docpipe.index.ingest as ingest

    files = [SAMPLES / n for n in NAMES]
    in_main: list[Path] = []
    real = ingest.prepare

    def spy(doc_spool: Path, *a: Any, **kw: Any) -> Any:
        in_main.append(doc_spool)
        return real(doc_spool, *a, **kw)

    monkeypatch.setattr(ingest, "prepare", spy)
    stored = {}
    for label, workers, in_workers in (("serial", 1, True), ("main", 2, False), ("workers", 2, True)):
        in_main.clear()
        dp = Docpipe(Settings.load(tmp_path / label, workers=workers, embed_in_workers=in_workers))
        outcomes = dp.ingestor().ingest(files)
        assert [o.status for o in outcomes] == ["ingested"] * len(files)
        # The worker path leaves nothing to this process; the others prepare every document here.
        assert len(in_main) == (0 if label == "workers" else len(files))
        stored[label] = _stored(tmp_path / label)
    assert len(stored["serial"]) >= 10
    assert {r[0] for r in stored["serial"]} == set(NAMES)
    assert stored["workers"] == stored["serial"]
    assert stored["main"] == stored["serial"]


class _Counting:
    """The ingest's embedder, counting the texts it is asked to embed."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.texts: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def embed(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        self.texts += texts
        return np.asarray(self.inner.embed(texts), dtype=np.float32)


def test_a_worker_takes_stored_vectors_from_the_store_not_the_model(tmp_path: Path) -> None:
    """The read-only cache a worker uses: chunks stored already are not embedded again, and the
    vectors written are the stored ones."""
    from docpipe.index.ingest import _read_chunks
    from docpipe.index.prepare import _ReadOnlyCache, chunk_spool_for, prepare
    from docpipe.parse.converter import Converter

    dp = Docpipe(Settings.load(tmp_path / "home", workers=1, page_timeout_s=0))
    assert [o.status for o in dp.ingestor().ingest([SAMPLES / "invoice_multipage.pdf"])] == ["ingested"]
    spool = tmp_path / "again.document"
    Converter(dp.convert_options).convert_to(SAMPLES / "invoice_multipage.pdf", spool)
    counting = _Counting(dp.embedder)
    prepared = prepare(spool, counting, dp.settings.chunk_tokens, _ReadOnlyCache(dp.home.store))  # type: ignore[arg-type]
    assert prepared.has_text and prepared.chunks >= 2
    assert counting.texts == []  # every chunk was in the store
    again = {c.content_hash: v.tobytes() for c, v in _read_chunks(chunk_spool_for(spool))}
    stored = {r[6]: r[8] for r in _stored(dp.home.root)}
    assert again == {h: stored[h] for h in again}
    # A store that does not exist yet (the first ingest into a home) holds nothing to reuse.
    assert _ReadOnlyCache(tmp_path / "nowhere.db").cached(list(again), dp.embedder.name) == {}


def _die(spool: Path, tick: Callable[[], None]) -> Any:
    os._exit(3)  # as a native crash in the step would


def _raise(spool: Path, tick: Callable[[], None]) -> Any:
    raise ValueError("the step failed")


def _size(spool: Path, tick: Callable[[], None]) -> int:
    tick()
    return spool.stat().st_size


@pytest.mark.slow
def test_a_step_that_kills_or_fails_its_worker_leaves_the_conversion_and_the_next_document(tmp_path: Path) -> None:
    conv = IsolatedConverter(ConvertOptions(), PAGE_TIMEOUT)
    try:
        for step in (_die, _raise):
            spool = tmp_path / f"{step.__name__}.spool"
            result, value = conv.convert_then(SAMPLES / "invoice_acme.pdf", spool, step)
            assert result.status is ConversionStatus.SUCCESS and value is None  # the caller does the step
            assert spool.stat().st_size > 0
        result, value = conv.convert_then(SAMPLES / "invoice_multipage.pdf", tmp_path / "next.spool", _size)
        assert result.status is ConversionStatus.SUCCESS and result.pages == 2
        assert value == (tmp_path / "next.spool").stat().st_size
    finally:
        conv.close()


@pytest.mark.slow
def test_a_crashing_page_costs_only_itself_when_workers_embed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two documents over two workers; page 2 of the scan kills its worker's child. The scan is
    stored without that page, the other document whole, both chunked and embedded."""
    scan = tmp_path / "three.pdf"
    pages = [_page("Invoice ALPHA-1 Total 11.00"), _page(None), _page("Invoice GAMMA-3 Total 33.00")]
    pages[0].save(scan, save_all=True, append_images=pages[1:], resolution=150)
    monkeypatch.setenv("DOCPIPE_OCR_ENGINE", "tests.faulty_engines:CrashOnRed")
    dp = Docpipe(Settings.load(tmp_path / "home", workers=2, page_timeout_s=PAGE_TIMEOUT))
    first, second = dp.ingestor().ingest([scan, SAMPLES / "invoice_multipage.pdf"])
    assert first.status == "ingested" and first.pages == 2 and "page 2 abandoned" in (first.error or "")
    assert second.status == "ingested" and second.pages == 2 and second.error is None
    texts: dict[str, str] = {}
    for r in _stored(dp.home.root):
        texts[r[0]] = texts.get(r[0], "") + r[2]
    assert "ALPHA-1" in texts["three.pdf"] and "GAMMA-3" in texts["three.pdf"]
    assert "invoice_multipage.pdf" in texts
