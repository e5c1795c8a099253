"""`make eval-real`'s report: docpipe beside pymupdf4llm from score.py JSON (a tiny fixture, no run),
and the peer runner's pipe-table -> HTML conversion read back by realdocs' own table parser."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

from bench.eval_real_report import build_report, field_f1, render_markdown

ROOT = Path(__file__).resolve().parent.parent
SCORE_PY = ROOT.parent / "shared" / "realdocs" / "score.py"


def parse_score(docs: list[tuple[str, float, float, list[int], list[int]]]) -> dict[str, Any]:
    per = [{"doc": d, "word_f1": f, "order": o, "headings": h, "table_rows": t} for d, f, o, h, t in docs]
    n = len(per)
    return {
        "per_doc": per,
        "summary": {
            "docs": n,
            "word_f1": sum(p["word_f1"] for p in per) / n,
            "order": sum(p["order"] for p in per) / n,
            "headings_found": 0.5,
            "table_rows_found": 0.25,
            "missing": 0,
        },
    }


DOCPIPE = {
    "parse": parse_score([("paper", 0.9, 0.8, [1, 2], [1, 4]), ("scan", 1.0, 1.0, [0, 0], [0, 0])]),
    "tables": {
        "per_table": [
            {"doc": "eu-002", "table": 1, "adjacency_f1": 0.5, "row_f1": 0.25, "pred_dims": "3x4"},
            {"doc": "eu-002", "table": 2, "adjacency_f1": 0.0, "row_f1": 0.0, "pred_dims": "-"},
        ],
        "summary": {"tables": 2, "matched": 1, "mean_adjacency_f1": 0.25, "mean_row_f1": 0.125},
    },
    "extract": {
        "per_doc": [
            {
                "doc": "r1",
                "set": "receipts",
                "fields": {
                    "total": {"truth": 9.45, "pred": "9.45", "ok": True},
                    "date": {"truth": "2018-05-11", "pred": "2018-11-05", "ok": False},
                },
            },
            {
                "doc": "r2",
                "set": "receipts",
                "fields": {
                    "total": {"truth": 3.0, "pred": None, "ok": False},
                    "date": {"truth": "2018-01-02", "pred": "2.1.2018", "ok": True},
                },
            },
        ],
        "sets": [{"set": "receipts", "micro_f1": 0.5714}],
        "summary": {"micro_p": 0.6667, "micro_r": 0.5, "micro_f1": 0.5714},
    },
}
PEER = {
    "parse": parse_score([("paper", 0.6, 0.4, [2, 2], [4, 4]), ("scan", 1.0, 1.0, [0, 0], [0, 0])]),
    "tables": {
        "per_table": [
            {"doc": "eu-002", "table": 1, "adjacency_f1": 1.0, "row_f1": 1.0, "pred_dims": "3x4"},
            {"doc": "eu-002", "table": 2, "adjacency_f1": 0.2, "row_f1": 0.1, "pred_dims": "2x2"},
        ],
        "summary": {"tables": 2, "matched": 2, "mean_adjacency_f1": 0.6, "mean_row_f1": 0.55},
    },
}
META = {
    "commit": "abc1234",
    "date": "2026-12-01 11:00 UTC",
    "steps": ["parse", "tables", "extract"],
    "peer": "pymupdf4llm",
    "docpipe_seconds": {"parse": 30.2, "tables": 12.0, "extract": 40.0},
    "peer_seconds": {"parse": 20.0, "tables": 9.6},
    "load_avg": [3.0, 2.0, 1.0],
}


def test_summary_puts_the_peer_beside_docpipe_with_ratios_and_pooled_counts() -> None:
    rep = build_report(DOCPIPE, PEER, META)
    parse = rep["summary"]["parse"]
    assert parse["docpipe"]["word_f1"] == pytest.approx(0.95)
    assert parse["pymupdf4llm"]["word_f1"] == pytest.approx(0.8)
    assert parse["ratio"]["word_f1"] == pytest.approx(0.95 / 0.8, abs=1e-3)
    assert parse["ratio"]["order"] == pytest.approx(0.9 / 0.7, abs=1e-3)
    assert parse["docpipe"]["headings_count"] == "1/2"
    assert parse["pymupdf4llm"]["table_rows_count"] == "4/4"
    tables = rep["summary"]["tables"]
    assert tables["ratio"]["mean_adjacency_f1"] == pytest.approx(0.25 / 0.6, abs=1e-3)
    assert tables["ratio"]["matched"] == 0.5
    assert "tables" not in tables["ratio"]  # the size of the set is not a score
    assert "ratio" not in rep["summary"]["extract"]  # the peer has no extraction


def test_per_document_rows_pair_the_same_document_and_table() -> None:
    rep = build_report(DOCPIPE, PEER, META)
    rows = {r["id"]: r for r in rep["per_doc"]["tables"]}
    assert list(rows) == ["eu-002 #1", "eu-002 #2"]
    assert rows["eu-002 #2"]["docpipe"]["pred_dims"] == "-"
    assert rows["eu-002 #2"]["pymupdf4llm"]["adjacency_f1"] == 0.2
    paper = rep["per_doc"]["parse"][0]
    assert paper["id"] == "paper"
    assert paper["docpipe"]["table_rows"] == [1, 4] and paper["pymupdf4llm"]["table_rows"] == [4, 4]


def test_field_f1_counts_a_wrong_value_twice_and_a_missing_one_once() -> None:
    f = field_f1(DOCPIPE["extract"])["receipts"]
    # total: one right, one missing -> P 1/1, R 1/2
    assert (f["total"]["p"], f["total"]["r"], f["total"]["f1"]) == (1.0, 0.5, pytest.approx(0.6667, abs=1e-4))
    # date: one right, one wrong -> P 1/2, R 1/2
    assert (f["date"]["p"], f["date"]["r"], f["date"]["n"]) == (0.5, 0.5, 2)


def test_markdown_shows_both_tools_per_document_and_the_seconds() -> None:
    md = render_markdown(build_report(DOCPIPE, PEER, META))
    lines = md.splitlines()
    assert "| parse | 30 | 20 |" in lines
    assert "| extract | 40 | – |" in lines
    assert "| order | 0.900 | 0.700 | 1.286 |" in lines
    assert "| paper | 0.900 | 0.600 | 0.800 | 0.400 | 1/2 | 2/2 | 1/4 | 4/4 |" in lines
    assert "| scan | 1.000 | 1.000 | 1.000 | 1.000 | – | – | – | – |" in lines
    assert "| eu-002 #2 | 0.000 | 0.200 | 0.000 | 0.100 | - | 2x2 |" in lines
    assert "| receipts | date | 0.500 | 0.500 | 0.500 | 2 |" in lines


@pytest.mark.skipif(not SCORE_PY.exists(), reason="realdocs set not present")
def test_peer_pipe_tables_become_html_the_tables_scorer_reads() -> None:
    spec = importlib.util.spec_from_file_location("realdocs_score", SCORE_PY)
    assert spec and spec.loader
    score = importlib.util.module_from_spec(spec)
    sys.modules["realdocs_score"] = score
    spec.loader.exec_module(score)
    # pymupdf is imported only when converting, so this runs in docpipe's venv
    from bench.peers.realdocs_pymupdf4llm import tables_html

    md_grid = [["", "Q1", "Q2"], ["2004", "34.7", "<sup>36.2</sup>"], ["A & B", "", "1"]]
    grids = score.parse_html_tables(tables_html([md_grid]))
    assert grids == [[["", "q1", "q2"], ["2004", "34 7", "36 2"], ["a b", "", "1"]]]
