"""The peer benchmark's harness: its scores on known inputs, and a real --quick run of docpipe
and pdfplumber (each in its own venv) that writes results.json and REPORT.md."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.peers import docset, metrics
from tests.conftest import SAMPLES, run_cli

ROOT = Path(__file__).resolve().parent.parent


def test_cer_counts_edits_over_truth_length() -> None:
    assert metrics.cer("abc", "abc") == 0
    assert metrics.cer("abd", "abc") == pytest.approx(1 / 3)
    assert metrics.cer("", "abcd") == 1


def test_normalize_drops_markdown_and_page_furniture() -> None:
    md = "# **Title**\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nReport - Page 1 of 2\n"
    assert metrics.normalize(md, ["Report - Page 1 of 2"]) == "Title a b 1 2"


def test_reading_order_is_the_share_of_line_pairs_in_order() -> None:
    markers = ["alpha", "beta", "gamma"]
    assert metrics.reading_order("alpha x beta y gamma", markers) == 1
    assert metrics.reading_order("beta alpha gamma", markers) == pytest.approx(2 / 3)  # (a,b) inverted
    assert metrics.reading_order("alpha gamma", markers) == pytest.approx(1 / 3)  # beta missing: 2 pairs lost
    assert metrics.reading_order("alpha bota gamma", ["alpha", "beta gamma"]) == 1  # one OCR slip still found


def test_table_score_is_cell_adjacency_f1() -> None:
    truth = [[["Item", "Qty"], ["Bolt", "4"], ["Nut", "6"]]]
    assert metrics.table_score([[["Item", "Qty"], ["Bolt", "4"], ["Nut", "6"]]], truth) == 1
    merged = [[["Item Qty"], ["Bolt 4"], ["Nut 6"]]]  # columns lost: only vertical neighbours survive, all wrong
    assert metrics.table_score(merged, truth) == 0
    assert metrics.table_score([], truth) == 0
    assert metrics.table_score([], []) is None


def test_field_counts_compare_numbers_and_text() -> None:
    truth = {"invoice_number": "KE-1", "total": 1234.5, "currency": "GBP"}
    assert metrics.field_counts({"invoice_number": "ke-1", "total": "1,234.50", "currency": None}, truth) == (2, 2, 3)


def test_docset_truth_matches_what_is_drawn(tmp_path: Path) -> None:
    import pypdfium2 as pdfium

    docs = docset.generate(tmp_path, quick=True)
    report = next(d for d in docs if d["file"] == "report_1.pdf")
    layer = pdfium.PdfDocument(str(tmp_path / "report_1.pdf"))[0].get_textpage().get_text_range()
    for line in report["text"][0].splitlines():
        assert line in layer  # every truth line is on the page, verbatim
    inv = next(d for d in docs if d["file"] == "invoice_1.pdf")
    assert inv["invoice"]["vendor_name"] == "Kestrel Tooling Ltd"
    assert inv["tables"][0][0] == ["Description", "Qty", "Unit Price", "Amount"]


@pytest.mark.slow
def test_quick_run_measures_docpipe_beside_pdfplumber(tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    results.write_text(json.dumps({"retrieval": {"recall_at_5": 1.0}}))  # the existing bench's sections stay
    report = tmp_path / "REPORT.md"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [
        sys.executable,
        "-m",
        "bench.peers.compare",
        "--quick",
        "--docs",
        str(tmp_path / "docs"),
        "--results",
        str(results),
        "--report",
        str(report),
    ]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-2000:]

    data = json.loads(results.read_text())
    assert data["retrieval"] == {"recall_at_5": 1.0}
    peers = data["peers"]
    assert peers["machine"]["cpus"] >= 1 and peers["machine"]["ram_gb"] > 0
    assert set(peers["versions"]) == {"docpipe", "pdfplumber"}, peers["digital"]
    dp, pl = peers["digital"]["docpipe"], peers["digital"]["pdfplumber"]
    assert dp["pages"] == pl["pages"] == 2  # a one-page two-column report and an invoice
    assert dp["cer"] < 0.05, dp["per_doc"]
    assert dp["reading_order"] >= 0.9 and dp["tables"] >= 0.9
    # pdfplumber reads both columns line by line: the text is there, the order is not.
    assert 0.1 < pl["cer"] < 1 and pl["reading_order"] < dp["reading_order"]
    for row in (dp, pl):
        assert row["pages_per_s"] > 0 and row["per_s_min"] <= row["pages_per_s"] <= row["per_s_max"]
        assert row["peak_rss_mb"] > 20
    assert peers["scan"]["docpipe"]["cer"] < 0.15
    assert peers["extract"]["docpipe"]["f1"] >= 0.8
    ratio = peers["ratios"]["digital"]["pdfplumber"]
    assert ratio["speed"] == pytest.approx(dp["pages_per_s"] / pl["pages_per_s"])
    text = report.read_text()
    assert "| **docpipe** |" in text and "| pdfplumber |" in text and "Docling" in text


@pytest.mark.slow
def test_docpipe_bench_measures_a_users_folder(tmp_path: Path) -> None:
    for name in ("invoice_acme.pdf", "receipt_cafe.png"):
        (tmp_path / name).write_bytes((SAMPLES / name).read_bytes())
    proc = run_cli("bench", str(tmp_path), "--repeats", "1", "--json", check=True)
    rep = json.loads(proc.stdout)
    assert (rep["files"], rep["pages"], rep["text_layer_pages"], rep["ocr_pages"]) == (2, 2, 1, 1)
    assert rep["pages_per_s"] > 0 and len(rep["runs_s"]) == 1 and rep["peak_rss_mb"] > 50
    assert rep["stage_s"]["text"] > 0 and rep["errors"] == []

    missing = run_cli("bench", str(tmp_path / "nowhere"))
    assert missing.returncode == 1 and "Traceback" not in missing.stderr
    assert f"{tmp_path / 'nowhere'}: no such file or folder" in missing.stderr
