"""kill -9 at random moments, many times, and a full disk: the store stays whole and the next
run completes. Real subprocesses, a real SQLite file, real FAISS; only the moments are random
(seeded, so a failing round can be replayed)."""

from __future__ import annotations

import json
import os
import random
import resource
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import DOCPIPE, ROOT, SAMPLES, run_cli

pytestmark = pytest.mark.slow
ROUNDS = 8
SOURCES = ["invoice_acme.pdf", "two_column.pdf", "receipt_cafe.png"]


def _variants(folder: Path, n: int, start: int = 0) -> dict[Path, str]:
    """n distinct files (new bytes, same content as a sample): file -> its sample."""
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for i in range(start, start + n):
        src = SAMPLES / SOURCES[i % len(SOURCES)]
        dst = folder / f"{i:02d}_{src.name}"
        # Bytes after a PDF's %%EOF or a PNG's IEND are ignored by readers but change the hash.
        dst.write_bytes(src.read_bytes() + f"\n%docpipe-crash-{i}\n".encode())
        out[dst] = src.name
    return out


def _check_store(home: Path) -> dict[str, int]:
    """The invariants a reader relies on; returns chunks per stored document path."""
    db = home / "store.db"
    if not db.exists():
        return {}
    con = sqlite3.connect(db)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = con.execute(
            "SELECT d.path, d.status, COUNT(c.id), COUNT(e.chunk_id) FROM documents d "
            "LEFT JOIN chunks c ON c.document_id = d.id LEFT JOIN embeddings e ON e.chunk_id = c.id "
            "GROUP BY d.id"
        ).fetchall()
        paths = [r[0] for r in rows]
        assert len(paths) == len(set(paths)), "a document stored twice"
        for path, status, n_chunks, n_emb in rows:
            if status == "ok":  # whole or absent: never a document without its chunks and vectors
                assert n_chunks > 0 and n_emb == n_chunks, (path, n_chunks, n_emb)
        return {r[0]: r[2] for r in rows if r[1] == "ok"}
    finally:
        con.close()


def test_kill_9_at_random_moments_never_leaves_a_partial_document(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    files = _variants(docs, 6)
    home = tmp_path / "home"
    rng = random.Random(9)
    cmd = [*DOCPIPE, "ingest", str(docs), "--home", str(home)]
    kills, finishes, progress = 0, 0, []
    latest = 25.0  # seconds: the latest moment a kill may land
    # A fast machine may finish the folder before the kill; then new files give the next round
    # work, and a slow (or loaded) one may not have stored anything yet; then the next rounds
    # may kill later. So kills land mid-ingest whatever the machine's speed (up to 2 * ROUNDS tries).
    for _ in range(2 * ROUNDS):
        if kills == ROUNDS:
            break
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.5, latest))  # startup, conversion, embedding, commit or index write
        if proc.poll() is not None:
            assert proc.returncode == 0, f"an uninterrupted ingest failed: {proc.returncode}"
            finishes += 1
            files.update(_variants(docs, 3, start=len(files)))
            continue
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        stored = _check_store(home)
        if progress and len(stored) == progress[-1][0] == 0:
            latest = min(latest * 1.5, 180.0)  # nothing stored in two rounds: this machine is slower
        progress.append((len(stored), len(files)))
        kills += 1
        if len(stored) == len(files):  # killed after the last commit: give the next round work
            files.update(_variants(docs, 3, start=len(files)))
        # While the store is in whatever state the kill left, ask answers from whole documents.
        if stored:
            ask = run_cli("ask", "What is the total due?", "--json", home=home)
            assert ask.returncode == 0, ask.stderr
            assert all(c["document"].split("_", 1)[1] in SOURCES for c in json.loads(ask.stdout)["citations"])
    assert kills >= ROUNDS // 2, f"only {kills} kills landed in {kills + finishes} rounds"
    assert any(0 < n_stored < n_files for n_stored, n_files in progress), f"no kill landed mid-ingest: {progress}"
    final = run_cli("ingest", str(docs), home=home)
    assert final.returncode == 0, final.stderr
    assert not list((home / "spool").glob("*"))  # spools of killed runs are gone
    stored = _check_store(home)
    assert sorted(stored) == sorted(str(f.resolve()) for f in files)
    # Same content, same chunks, whichever run (or killed run) stored it.
    by_sample: dict[str, set[int]] = {}
    for f, sample in files.items():
        by_sample.setdefault(sample, set()).add(stored[str(f.resolve())])
    assert all(len(v) == 1 for v in by_sample.values()), by_sample
    manifest = json.loads((home / "index.json").read_text())
    assert manifest["count"] == sum(stored.values())
    print(f"kill -9 rounds: {kills} kills, {finishes} finished; (stored, files) after each kill: {progress}")


def _limit_file_size(limit: int) -> None:
    # As on a full disk: writes past `limit` bytes fail (EFBIG) instead of killing the process.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


def test_a_full_disk_fails_cleanly_and_the_next_run_completes(tmp_path: Path) -> None:
    home, first, more = tmp_path / "home", tmp_path / "first", tmp_path / "more"
    _variants(first, 1)
    run_cli("ingest", str(first), home=home, check=True)
    before = _check_store(home)
    for i, name in enumerate(["invoice_multipage.pdf", "scanned_invoice.pdf", "two_column.pdf"]):
        more.mkdir(exist_ok=True)
        (more / f"m{i}_{name}").write_bytes((SAMPLES / name).read_bytes())
    limit = (home / "store.db").stat().st_size + 4096  # the store cannot grow by more than a page
    proc = subprocess.run(
        [*DOCPIPE, "ingest", str(more), "--home", str(home)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        preexec_fn=lambda: _limit_file_size(limit),
    )
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("docpipe:")]
    assert lines and "disk full" in lines[-1] and str(home) in lines[-1], proc.stderr
    after = _check_store(home)
    assert set(before) <= set(after)  # what was stored is still there
    ask = run_cli("ask", "What is the total due on the ACME invoice?", "--json", home=home, check=True)
    assert "926.64" in json.loads(ask.stdout)["answer"]
    run_cli("ingest", str(more), home=home, check=True)
    assert len(_check_store(home)) == 4
