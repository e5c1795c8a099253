"""The index never loses or duplicates data: kill -9 mid-ingest, changed files, rebuilds,
readers during a write, two writers. Real subprocesses, a real SQLite file, real FAISS."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, SAMPLES, expected, run_cli

pytestmark = pytest.mark.slow
TEXT_SAMPLES = ["invoice_acme.pdf", "two_column.pdf", "invoice_multipage.pdf"]


def _variants(folder: Path, n: int) -> list[Path]:
    """n distinct PDFs: samples with a unique trailing comment (new bytes, same content)."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(n):
        src = SAMPLES / TEXT_SAMPLES[i % len(TEXT_SAMPLES)]
        dst = folder / f"{i:02d}_{src.name}"
        dst.write_bytes(src.read_bytes() + f"\n%docpipe-test-{i}\n".encode())
        out.append(dst)
    return out


def _ok_docs(home: Path) -> int:
    db = home / "store.db"
    if not db.exists():
        return 0
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
        n = con.execute("SELECT COUNT(*) FROM documents WHERE status='ok'").fetchone()[0]
        con.close()
        return int(n)
    except sqlite3.OperationalError:
        return 0


def _ingest_proc(folder: Path, home: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "docpipe.cli", "ingest", str(folder), "--home", str(home)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _store_counts(home: Path) -> tuple[int, int, int, int]:
    con = sqlite3.connect(home / "store.db")
    docs = con.execute("SELECT COUNT(*), COUNT(DISTINCT path) FROM documents WHERE status='ok'").fetchone()
    chunks = con.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
    emb = con.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0]
    con.close()
    return int(docs[0]), int(docs[1]), int(chunks), int(emb)


def _chunk_texts(home: Path) -> set[str]:
    con = sqlite3.connect(home / "store.db")
    texts = {r[0] for r in con.execute("SELECT text FROM chunks")}
    con.close()
    return texts


def test_kill_9_mid_ingest_then_resume_ingests_every_file_once(tmp_path: Path) -> None:
    files = _variants(tmp_path / "docs", 9)
    home = tmp_path / "home"
    proc = _ingest_proc(tmp_path / "docs", home)
    deadline = time.monotonic() + 300
    while _ok_docs(home) < 2 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert proc.poll() is None, "ingest finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    killed_at = _ok_docs(home)
    assert 2 <= killed_at < len(files)
    again = run_cli("ingest", str(tmp_path / "docs"), home=home)
    assert again.returncode == 0, again.stderr
    assert f"{killed_at} unchanged" in again.stdout
    docs, paths, chunks, emb = _store_counts(home)
    assert docs == paths == len(files) and chunks == emb
    # The FAISS file written after the resume holds exactly the stored vectors.
    manifest = json.loads((home / "index.json").read_text())
    assert manifest["count"] == emb


def test_changed_file_replaces_its_old_chunks(tmp_path: Path) -> None:
    docs, home = tmp_path / "docs", tmp_path / "home"
    docs.mkdir()
    target = docs / "invoice.pdf"
    target.write_bytes((SAMPLES / "invoice_acme.pdf").read_bytes())
    run_cli("ingest", str(docs), home=home, check=True)
    before = _chunk_texts(home)
    target.write_bytes((SAMPLES / "two_column.pdf").read_bytes())  # same path, other content
    out = run_cli("ingest", str(docs), home=home, check=True)
    assert "1 ingested" in out.stdout
    after = _store_counts(home)
    assert after[0] == 1 and after[2] == after[3]
    assert not before & _chunk_texts(home)  # none of the old chunks is left
    hits = json.loads(
        run_cli(
            "ask", "When was the old harbour built?", "--json", "--mode", "extractive", home=home, check=True
        ).stdout
    )
    assert "1842" in hits["answer"]
    total = expected("invoice_acme")["data"]["total"]
    gone = json.loads(
        run_cli("ask", "What is the total due?", "--json", "--mode", "extractive", home=home, check=True).stdout
    )
    assert f"{total:,.2f}" not in gone["answer"]


def test_index_rebuild_and_a_deleted_index_give_the_same_answers(ingested_home: Path) -> None:
    q = ["ask", "What is the invoice number of the ACME invoice?", "--json", "--mode", "extractive"]
    before = json.loads(run_cli(*q, home=ingested_home, check=True).stdout)
    rebuilt = run_cli("index", "rebuild", home=ingested_home, check=True)
    assert "flat index with" in rebuilt.stdout
    assert json.loads(run_cli(*q, home=ingested_home, check=True).stdout) == before
    (ingested_home / "index.faiss").unlink()
    assert json.loads(run_cli(*q, home=ingested_home, check=True).stdout) == before
    assert "INV-2024-0117" in before["answer"]


def test_corrupt_index_file_is_rebuilt_not_trusted(tmp_path: Path, unseen_docs: Path) -> None:
    home = tmp_path / "home"
    run_cli("ingest", str(unseen_docs), home=home, check=True)
    (home / "index.faiss").write_bytes(b"\x00" * 100)
    out = json.loads(
        run_cli(
            "ask", "What is the total due on the ACME invoice?", "--json", "--mode", "extractive", home=home, check=True
        ).stdout
    )
    assert f"{expected('invoice_acme')['data']['total']:,.2f}" in out["answer"]


def test_readers_see_whole_documents_while_an_ingest_writes(tmp_path: Path) -> None:
    from docpipe.api import Docpipe
    from docpipe.config import Settings

    _variants(tmp_path / "docs", 9)
    home = tmp_path / "home"
    run_cli("ingest", str(SAMPLES / "invoice_acme.pdf"), home=home, check=True)
    dp = Docpipe(Settings.load(home))
    proc = _ingest_proc(tmp_path / "docs", home)
    answers = 0
    try:
        while proc.poll() is None:
            store = dp.store()
            try:
                hits = dp.retriever(store).search("total due invoice", k=5)
                for h in hits:
                    # every chunk seen belongs to a document stored whole: all its chunks embedded
                    doc_chunks = store.db.con.execute(
                        "SELECT COUNT(*), SUM(e.chunk_id IS NOT NULL) FROM chunks c LEFT JOIN embeddings e"
                        " ON e.chunk_id=c.id JOIN documents d ON d.id=c.document_id WHERE d.path=?",
                        (h.chunk.document_path,),
                    ).fetchone()
                    assert doc_chunks[0] == doc_chunks[1] and doc_chunks[0] > 0
                answers += 1
            finally:
                store.close()
    finally:
        proc.wait(timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert answers >= 2
    assert not (home / "index.faiss.tmp").exists()


def test_a_second_ingest_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    _variants(tmp_path / "docs", 6)
    home = tmp_path / "home"
    first = _ingest_proc(tmp_path / "docs", home)
    deadline = time.monotonic() + 120
    while not (home / "ingest.lock").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    second = run_cli("ingest", str(tmp_path / "docs"), home=home)
    first.wait(timeout=300)
    if second.returncode != 0:  # it ran while the first held the lock
        assert second.returncode == 3 and "another docpipe ingest" in second.stderr
    assert first.returncode == 0
    docs, paths, chunks, emb = _store_counts(home)
    assert docs == paths == 6 and chunks == emb


def test_filters_restrict_retrieval(ingested_home: Path) -> None:
    q = ["ask", "What is the total due?", "--json", "--mode", "extractive"]
    scan = json.loads(run_cli(*q, "--type", "image", home=ingested_home, check=True).stdout)
    assert scan["citations"][0]["document"] == "blue_harbor_scan.png"
    pdf = json.loads(run_cli(*q, "--document", "acme.pdf", home=ingested_home, check=True).stdout)
    assert pdf["citations"][0]["document"] == "acme.pdf"
    future = json.loads(run_cli(*q, "--since", "2999-01-01", home=ingested_home, check=True).stdout)
    assert future["citations"] == [] and future["grounded"] is False


def test_rm_removes_a_document_and_its_vectors(tmp_path: Path, unseen_docs: Path) -> None:
    home = tmp_path / "home"
    run_cli("ingest", str(unseen_docs), home=home, check=True)
    out = run_cli("rm", "acme.pdf", home=home, check=True)
    assert "acme.pdf" in out.stdout
    rows = json.loads(run_cli("ls", "--json", home=home, check=True).stdout)
    assert [Path(r["path"]).name for r in rows] == ["blue_harbor_scan.png"]
    assert json.loads((home / "index.json").read_text())["count"] == rows[0]["n_chunks"]
    assert run_cli("rm", "nothing-like-this", home=home).returncode == 1
