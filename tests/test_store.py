import json
import sqlite3
from pathlib import Path

import numpy as np

from docpipe.document import BBox, Document, Element, Line, Page, Provenance
from docpipe.index.chunking import chunk_document
from docpipe.index.store import MIGRATIONS, Store
from docpipe.index.vectors import VectorIndex


def _doc(sha: str, text: str) -> Document:
    box = BBox(x0=10, y0=20, x1=200, y1=40)
    el = Element(
        id="e0", label="text", text=text, prov=[Provenance(page=1, bbox=box)], lines=[Line(text=text, bbox=box)]
    )
    return Document(
        id=sha,
        name="x.pdf",
        source="x.pdf",
        mime="application/pdf",
        pages=[Page(number=1, width=612, height=792, origin="text_layer")],
        body=[el],
    )


def _put(store: Store, sha: str, text: str, path: str = "/a/x.pdf") -> None:
    doc = _doc(sha, text)
    chunks = chunk_document(doc)
    store.documents.put(doc, path, chunks, np.ones((len(chunks), 4), dtype=np.float32), "m")


def test_migrations_set_user_version_and_are_idempotent(tmp_path: Path) -> None:
    Store(tmp_path / "s.db").close()
    Store(tmp_path / "s.db").close()
    db = sqlite3.connect(tmp_path / "s.db")
    assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_changed_file_replaces_its_chunks_and_keyword_search_finds_exact_strings(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    _put(store, "a" * 64, "Invoice INV-2024-0117 total 1,234.56")
    _put(store, "b" * 64, "Invoice INV-2024-0999 total 99.00")  # same path, new content
    rows = store.documents.rows()
    assert [(r.sha256[0], r.n_chunks) for r in rows] == [("b", 1)]
    hits = store.keyword.search("INV-2024-0999", 5)
    assert len(hits) == 1 and "99.00" in store.documents.chunks(hits)[hits[0]].text
    assert store.keyword.search("INV-2024-0117", 5) == []


def test_failure_never_replaces_a_good_document(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    _put(store, "a" * 64, "good text")
    store.documents.put_failure("c" * 64, "/a/x.pdf", "x.pdf", "x.pdf: corrupt")
    rows = store.documents.rows()
    assert [(r.status, r.n_chunks) for r in rows] == [("ok", 1)]


def test_faiss_index_is_rebuilt_when_it_does_not_match_the_store(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    _put(store, "a" * 64, "first", path="/a/1.pdf")
    idx = VectorIndex(tmp_path, "m", 4)
    idx.load(store)
    assert idx.index.ntotal == 1
    _put(store, "b" * 64, "second", path="/a/2.pdf")  # store moves on, file on disk is stale
    again = VectorIndex(tmp_path, "m", 4)
    again.load(store)
    assert again.index.ntotal == 2
    (tmp_path / "index.faiss").write_bytes(b"garbage")  # corrupt file, matching manifest
    third = VectorIndex(tmp_path, "m", 4)
    third.load(store)
    assert third.index.ntotal == 2


def test_index_kind_grows_with_the_corpus_and_hnsw_search_works(tmp_path: Path) -> None:
    from docpipe.index.vectors import index_kind

    assert index_kind(10) == "flat" and index_kind(10_000_000) == "hnsw"
    store = Store(tmp_path / "s.db")
    for i in range(30):
        _put(store, f"{i:064d}", f"doc {i}", path=f"/a/{i}.pdf")
    idx = VectorIndex(tmp_path, "m", 4, hnsw_from=20)
    idx.rebuild(store)
    assert idx.kind == "hnsw" and idx.index.ntotal == 30
    assert json.loads((tmp_path / "index.json").read_text())["kind"] == "hnsw"
    assert len(idx.search(np.ones(4, dtype=np.float32), 5)) == 5


def test_readers_rebuild_in_memory_and_leave_the_file_alone(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    _put(store, "a" * 64, "first")
    VectorIndex(tmp_path, "m", 4).load(store)
    assert not (tmp_path / "index.faiss").exists()
    VectorIndex(tmp_path, "m", 4).load(store, persist=True)
    assert (tmp_path / "index.faiss").exists()


def test_faiss_backend_choice_without_a_gpu() -> None:
    import types

    from docpipe.runtime import choose_faiss_backend

    assert choose_faiss_backend(types.SimpleNamespace()) == "cpu"  # faiss-cpu: no get_num_gpus
    no_gpu = types.SimpleNamespace(get_num_gpus=lambda: 0, StandardGpuResources=object)
    two_gpus = types.SimpleNamespace(get_num_gpus=lambda: 2, StandardGpuResources=object)
    assert choose_faiss_backend(no_gpu) == "cpu"
    assert choose_faiss_backend(two_gpus) == "gpu"
    assert choose_faiss_backend(two_gpus, prefer_gpu=False) == "cpu"
    import faiss

    assert choose_faiss_backend(faiss) == "cpu"  # this machine


def test_another_embedding_model_is_refused_then_reembedded(tmp_path: Path) -> None:
    import pytest

    from docpipe.api import Docpipe
    from docpipe.config import Settings
    from docpipe.index.vectors import EmbeddingModelMismatch

    store = Store(tmp_path / "store.db")
    _put(store, "a" * 64, "Invoice INV-9 total 12.00")  # vectors from a model called "m"
    with pytest.raises(EmbeddingModelMismatch, match="index rebuild --reembed"):
        VectorIndex(tmp_path, "all-MiniLM-L6-v2", 384).load(store)
    store.close()
    n, kind = Docpipe(Settings.load(tmp_path)).rebuild_index(reembed=True)
    assert (n, kind) == (1, "flat")
    store = Store(tmp_path / "store.db")
    assert store.embeddings.state()[2] == {"all-MiniLM-L6-v2"}
    assert len(next(store.embeddings.each("all-MiniLM-L6-v2"))[1]) == 384
