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


def test_a_store_from_before_migration_5_is_upgraded_and_its_rows_have_no_structured_errors(tmp_path: Path) -> None:
    from docpipe.index.store.migrations import statements

    db = sqlite3.connect(tmp_path / "s.db", isolation_level=None)
    for i, sql in enumerate(MIGRATIONS[:4], start=1):
        for statement in statements(sql):
            db.execute(statement)
        db.execute(f"PRAGMA user_version={i}")
    db.execute(
        "INSERT INTO documents(sha256, path, name, status, error, updated_at)"
        " VALUES ('c', '/srv/x.pdf', 'x.pdf', 'error', '/srv/x.pdf: corrupt', 0)"
    )
    db.close()
    with Store(tmp_path / "s.db") as store:
        (row,) = store.documents.rows()
    assert (row.error, row.errors) == ("/srv/x.pdf: corrupt", [])
    assert sqlite3.connect(tmp_path / "s.db").execute("PRAGMA user_version").fetchone()[0] == 5


def test_structured_errors_are_stored_beside_the_one_line_message(tmp_path: Path) -> None:
    from docpipe.errors import ConversionError

    lost = [ConversionError(source="/srv/x.pdf", page=2, stage="layout", message="layout model failed")]
    store = Store(tmp_path / "s.db")
    doc = _doc("a" * 64, "Invoice INV-1 total 3.00")
    chunks = chunk_document(doc)
    vecs = np.ones((len(chunks), 4), dtype=np.float32)
    store.documents.put(doc, "/srv/x.pdf", chunks, vecs, "m", "/srv/x.pdf: page 2 layout model failed", lost)
    gone = [ConversionError(source="/srv/y.pdf", stage="load", message="not a PDF")]
    store.documents.put_failure("b" * 64, "/srv/y.pdf", "y.pdf", "/srv/y.pdf: not a PDF", gone)
    ok, failed = store.documents.rows()
    assert (ok.error, ok.errors) == ("/srv/x.pdf: page 2 layout model failed", lost)
    assert (failed.error, failed.errors) == ("/srv/y.pdf: not a PDF", gone)
    assert "errors" not in ok.listing()  # `docpipe ls --json` keeps its shape


def test_the_server_names_uploads_in_structured_errors_and_falls_back_to_replacing_the_path() -> None:
    from docpipe.errors import ConversionError
    from docpipe.index.records import DocumentRow
    from docpipe.server.state import _from_row

    err = ConversionError(source="/srv/uploads/ab/scan.png", page=1, stage="text", message="OCR failed")
    new = DocumentRow(1, "a" * 64, "/srv/uploads/ab/scan.png", "scan.png", "ok", str(err), 1, 1, [err])
    assert _from_row(new).info.error == "scan.png: page 1 OCR failed"
    old = DocumentRow(2, "b" * 64, "/srv/u/old.png", "old.png", "error", "/srv/u/old.png: corrupt", 0, 0)
    assert _from_row(old).info.error == "old.png: corrupt"


def test_a_failed_write_rolls_back_even_when_sqlite_already_ended_the_transaction(tmp_path: Path) -> None:
    import pytest

    store = Store(tmp_path / "s.db")
    with pytest.raises(RuntimeError, match="midway"), store.db.write() as con:
        con.execute(
            "INSERT INTO asks(at, question, answer, mode, model, route, grounded, chunk_ids, latency_s)"
            " VALUES (0, 'q', 'a', 'm', 'm', 'r', 0, '[]', 0)"
        )
        raise RuntimeError("midway")
    assert store.asks.recent() == [] and not store.db.in_transaction
    # As after SQLITE_FULL: the transaction is already gone, and the real error must surface.
    with pytest.raises(RuntimeError, match="disk full"), store.db.write() as con:
        con.execute("ROLLBACK")
        raise RuntimeError("disk full")
    _put(store, "a" * 64, "still writable")
    assert len(store.documents.rows()) == 1


def _raw_row(store: Store, doc_json: dict[str, object]) -> None:
    import zlib

    with store.db.write() as con:
        con.execute(
            "INSERT INTO documents(sha256, path, name, status, n_pages, doc_json, updated_at) VALUES (?,?,?,?,?,?,0)",
            (
                doc_json["id"],
                "/a/" + str(doc_json["name"]),
                doc_json["name"],
                "ok",
                1,
                zlib.compress(json.dumps(doc_json).encode()),
            ),
        )


def test_a_document_stored_with_schema_1_0_reads_back_upgraded(tmp_path: Path) -> None:
    from docpipe.document import SCHEMA_VERSION

    old = json.loads(_doc("a" * 64, "Total 9.00").model_dump_json())
    old["schema_version"] = "1.0"
    old["name"] = "old.pdf"
    for page in old["pages"]:  # what 1.1 added
        for added in ("text_decision", "orientation", "skew"):
            del page[added]
    store = Store(tmp_path / "s.db")
    _raw_row(store, old)
    doc = store.documents.get("old.pdf")
    assert doc is not None and doc.schema_version == SCHEMA_VERSION == "1.2"
    assert (doc.pages[0].text_decision, doc.pages[0].orientation, doc.pages[0].skew) == ("", 0, 0.0)
    assert doc.body[0].text == "Total 9.00"


def test_a_document_from_a_newer_docpipe_is_refused_with_one_line(tmp_path: Path) -> None:
    import pytest

    from docpipe.errors import SchemaVersionError

    new = json.loads(_doc("f" * 64, "Total 9.00").model_dump_json())
    new |= {"schema_version": "9.0", "name": "new.pdf", "a_field_from_the_future": 1}
    store = Store(tmp_path / "s.db")
    _raw_row(store, new)
    with pytest.raises(SchemaVersionError) as e:
        store.documents.get("new.pdf")
    assert str(e.value) == (
        f"new.pdf in {tmp_path / 's.db'} was written by a newer docpipe "
        "(document schema 9.0, this docpipe reads up to 1.2): upgrade docpipe"
    )
    assert e.value.found == "9.0" and e.value.exit_code == 1


def test_versions_compare_as_numbers_and_a_spooled_newer_document_is_refused(tmp_path: Path) -> None:
    import pytest

    from docpipe.document import Document
    from docpipe.errors import SchemaVersionError
    from docpipe.parse.spool import DocumentSpool, read_document

    doc = _doc("a" * 64, "x")
    data = json.loads(doc.model_dump_json())
    assert Document.model_validate(data | {"schema_version": "1.2"}).schema_version == "1.2"
    with pytest.raises(SchemaVersionError, match=r"document schema 1\.10,"):  # 1.10 > 1.1, not equal
        Document.model_validate(data | {"schema_version": "1.10"})
    # What `docpipe parse` reads from its conversion child: the same check, the same one line.
    spool = DocumentSpool(tmp_path / "d.spool")
    spool.begin(doc.header().model_copy(update={"schema_version": "2.0"}))
    spool.close()
    with pytest.raises(SchemaVersionError) as e:
        read_document(tmp_path / "d.spool")
    assert str(e.value) == (
        "x.pdf was written by a newer docpipe (document schema 2.0, this docpipe reads up to 1.2): upgrade docpipe"
    )
