"""Batch extraction jobs: append-only results, resume after kill -9, errors, --force."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from docpipe.jobs.results import MANIFEST, RESULTS, ResultsLog
from tests.conftest import DOCPIPE, ROOT, SAMPLES, expected


def _record(source: str, status: str = "ok") -> str:
    return json.dumps(
        {"source": source, "schema": "invoice", "status": status, "data": {}, "provenance": {}, "errors": []}
    )


def _lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_resume_drops_a_torn_line_and_error_records_and_restores_lost_manifest_lines(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    docs = []
    for i in range(3):
        f = tmp_path / f"doc{i}.pdf"
        f.write_bytes(b"%%PDF-1.4 doc %d" % i)
        docs.append(f)
    from docpipe.parse.load import file_sha256

    # doc0 done with its manifest line; doc1 done but killed before its manifest line;
    # doc2 failed; then a write torn by the kill.
    (out / RESULTS).write_text(
        _record(str(docs[0])) + "\n" + _record(str(docs[1])) + "\n" + _record(str(docs[2]), "error") + "\n"
        '{"source": "' + str(docs[2])[:5],
        encoding="utf-8",
    )
    (out / MANIFEST).write_text(json.dumps({"sha256": file_sha256(docs[0]), "source": str(docs[0])}) + "\n")
    with ResultsLog(out) as log:
        assert log.kept == 2
        assert log.is_done(file_sha256(docs[0])) and log.is_done(file_sha256(docs[1]))
        assert not log.is_done(file_sha256(docs[2]))  # the failed one is retried
        log.append(_record(str(docs[2])), file_sha256(docs[2]), str(docs[2]))
    results = _lines(out / RESULTS)
    assert [r["source"] for r in results] == [str(d) for d in docs]
    assert all(r["status"] == "ok" for r in results)
    assert {m["sha256"] for m in _lines(out / MANIFEST)} == {file_sha256(d) for d in docs}


def test_a_second_job_on_the_same_folder_is_refused(tmp_path: Path) -> None:
    from docpipe.jobs.results import JobLockedError

    with ResultsLog(tmp_path), pytest.raises(JobLockedError, match="another extract job"):
        ResultsLog(tmp_path)


def _corpus(folder: Path, n: int) -> list[Path]:
    """n distinct invoices (the ACME PDF with a different trailing comment each, so each has
    its own sha256) and one broken file."""
    folder.mkdir()
    acme = (SAMPLES / "invoice_acme.pdf").read_bytes()
    files = []
    for i in range(n):
        f = folder / f"invoice_{i:02d}.pdf"
        f.write_bytes(acme + b"\n%%%% copy %d\n" % i)
        files.append(f)
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4\nthis is not a PDF body\n")
    return files


def _start(docs: Path, out: Path, *extra: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [*DOCPIPE, "extract", str(docs), "--out", str(out), "--workers", "2", *extra],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group: the kill takes the workers too
    )


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def test_csv_has_scalar_columns_a_sheet_per_item_table_and_json_for_objects(tmp_path: Path) -> None:
    from docpipe.extract.schemas import load_schema
    from docpipe.jobs.csv_out import write_csv

    rec = json.loads(_record("a.pdf"))
    rec["data"] = {
        "vendor_name": "Müller GmbH",
        "total": 1234.56,
        "line_items": [{"description": "Bolts, M4", "quantity": 2, "unit_price": 1.5, "amount": 3.0}],
    }
    rec["errors"] = ["subtotal + tax is not the total", "date implausible"]
    write_csv([rec, json.loads(_record("b.pdf", "error"))], load_schema("invoice"), tmp_path)
    rows = _csv(tmp_path / "results.csv")
    assert rows[0]["vendor_name"] == "Müller GmbH" and rows[0]["total"] == "1234.56" and rows[0]["tax"] == ""
    assert rows[0]["errors"] == "subtotal + tax is not the total; date implausible"
    assert "line_items" not in rows[0] and rows[1]["status"] == "error"
    assert _csv(tmp_path / "line_items.csv") == [
        {
            "source": "a.pdf",
            "line": "1",
            "description": "Bolts, M4",
            "quantity": "2",
            "unit_price": "1.5",
            "amount": "3.0",
        }
    ]
    schema_file = tmp_path / "po.json"
    schema_file.write_text(
        json.dumps({"properties": {"po": {"type": "string"}, "buyer": {"type": "object"}, "tags": {"type": "array"}}})
    )
    rec = json.loads(_record("c.pdf"))
    rec["data"] = {"po": "PO-7", "buyer": {"name": "Ann"}, "tags": ["x"]}
    write_csv([rec], load_schema(str(schema_file)), tmp_path)
    row = _csv(tmp_path / "results.csv")[0]
    assert row["po"] == "PO-7" and json.loads(row["buyer"]) == {"name": "Ann"} and json.loads(row["tags"]) == ["x"]


def _count_lines(path: Path) -> int:
    return path.read_bytes().count(b"\n") if path.exists() else 0


@pytest.mark.slow
def test_kill_9_rounds_then_resume_gives_every_document_exactly_once(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    files = _corpus(docs, 8)
    out = tmp_path / "out"
    results = out / RESULTS
    rounds = 0
    for round_ in range(3):
        before = _count_lines(results)
        proc = _start(docs, out)
        deadline = time.monotonic() + 300
        while _count_lines(results) <= before and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        if proc.poll() is not None:
            break  # the job finished before the kill: nothing left to interrupt
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        rounds += 1
        if round_ == 1:  # a write torn by the kill (rarely caught in the act, so make one)
            with results.open("ab") as f:
                f.write(b'{"source": "' + str(files[0]).encode()[:10])
    assert rounds >= 2, "the job finished before it could be killed twice"
    proc = _start(docs, out)
    _, err = proc.communicate(timeout=600)
    assert proc.returncode == 1, err.decode()  # broken.pdf failed, everything else is done
    records = _lines(results)  # every line parses
    sources = [r["source"] for r in records]
    assert sorted(sources) == sorted([*map(str, files), str(docs / "broken.pdf")])
    by_source = {r["source"]: r for r in records}
    broken = by_source[str(docs / "broken.pdf")]
    assert broken["status"] == "error" and "broken.pdf" in broken["errors"][0]
    assert len(broken["errors"]) == 1 and "\n" not in broken["errors"][0]
    total = expected("invoice_acme")["data"]["total"]
    for f in files:
        rec = by_source[str(f)]
        assert rec["status"] == "ok" and rec["data"]["total"] == total
        assert json.loads((out / f"{f.stem}.json").read_text())["data"]["total"] == total
    assert len(_lines(out / MANIFEST)) == len(files)

    # Nothing is redone on a re-run; --force redoes everything, still once each.
    again = subprocess.run(
        [*DOCPIPE, "extract", str(docs), "--out", str(out), "--workers", "1", "--format", "csv"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert f"{len(files)} already done" in again.stderr and again.returncode == 1  # broken.pdf retried
    assert sorted(r["source"] for r in _lines(results)) == sorted(sources)
    rows = _csv(out / "results.csv")
    assert len(rows) == len(files) + 1 and {float(r["total"]) for r in rows if r["status"] == "ok"} == {total}
    items = _csv(out / "line_items.csv")
    n_items = len(expected("invoice_acme")["data"]["line_items"])
    assert len(items) == n_items * len(files) and items[0]["line"] == "1"
    forced = subprocess.run(
        [*DOCPIPE, "extract", str(docs), "--out", str(out), "--workers", "2", "--force"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert f"{len(files)} ok, 1 failed" in forced.stdout, forced.stderr
    assert sorted(r["source"] for r in _lines(results)) == sorted(sources)


@pytest.mark.slow
def test_ray_engine_gives_the_same_records_as_the_local_engine(tmp_path: Path) -> None:
    pytest.importorskip("ray", reason="Ray is the `ray` extra: pip install 'docpipe[ray]'")
    import ray

    from docpipe.config import Settings
    from docpipe.extract.schemas import load_schema
    from docpipe.jobs import Engine, JobConfig, Method, run_extraction

    docs = tmp_path / "docs"
    files = _corpus(docs, 2)
    files.append(docs / "receipt_cafe.png")
    files[-1].write_bytes((SAMPLES / "receipt_cafe.png").read_bytes())
    all_files = [*files, docs / "broken.pdf"]
    config = JobConfig(settings=Settings(), schema=load_schema("invoice"), method=Method.RULES)
    local = run_extraction(all_files, config, tmp_path / "local", workers=1)
    ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False)
    try:
        on_ray = run_extraction(all_files, config, tmp_path / "ray", workers=1, engine=Engine.RAY)
    finally:
        ray.shutdown()
    assert (on_ray.ok, on_ray.failed) == (local.ok, local.failed) == (len(files), 1)

    def by_source(out: Path) -> dict[str, dict[str, object]]:
        return {str(r["source"]): r for r in _lines(out / RESULTS)}

    assert by_source(tmp_path / "ray") == by_source(tmp_path / "local")
    assert by_source(tmp_path / "ray")[str(files[0])]["data"]["total"] == expected("invoice_acme")["data"]["total"]
