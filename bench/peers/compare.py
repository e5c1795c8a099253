"""docpipe beside its peers on the same generated documents, in the same run.

    .venv/bin/python -m bench.peers.compare [--quick] [--repeats N] [--tools docpipe,pdfplumber,...]

Each tool runs in a child process of its own venv (docpipe: .venv; peers: .venv-peers, made
by `make peers`) through bench/peers/runner.py, which times N passes over the documents and
reports peak RSS. Scores (bench/peers/metrics.py) and ratios are computed here. Writes the
"peers" section of bench/results.json, bench/REPORT.md and bench/peers.png.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.peers import docset, metrics
from bench.peers.published import PUBLISHED

ROOT = Path(__file__).resolve().parents[2]
VENVS = {"main": ROOT / ".venv", "peers": ROOT / ".venv-peers"}


@dataclass(frozen=True)
class Tool:
    name: str
    venv: str
    kinds: tuple[str, ...]  # document kinds it parses: "digital", "scan"
    extract: bool = False
    note: str = ""


TOOLS = [
    Tool("docpipe", "main", ("digital", "scan"), extract=True, note="text layer or RapidOCR + layout + reading order"),
    Tool("pdfplumber", "peers", ("digital",), note="text layer + ruled tables; no OCR"),
    Tool("pymupdf4llm", "peers", ("digital", "scan"), note="Markdown; OCR through pymupdf-layout"),
    Tool("unstructured", "peers", ("digital", "scan"), note="strategy fast (text PDFs) / ocr_only (tesseract)"),
    Tool("rapidocr", "peers", ("scan",), note="raw OCR lines, no layout"),
    Tool("tesseract", "peers", ("scan",), note="raw tesseract 5, psm 3"),
    Tool("invoice2data", "peers", (), extract=True, note="bundled templates only"),
    Tool("invoice2data_templates", "peers", (), extract=True, note="+ one hand-written template per vendor"),
]
QUICK_TOOLS = ["docpipe", "pdfplumber"]


def machine() -> dict[str, Any]:
    cpu = ""
    try:
        cpu = next(
            (
                ln.split(":", 1)[1].strip()
                for ln in Path("/proc/cpuinfo").read_text().splitlines()
                if ln.startswith("model name")
            ),
            "",
        )
        mem_kb = int(
            next(ln.split()[1] for ln in Path("/proc/meminfo").read_text().splitlines() if ln.startswith("MemTotal"))
        )
    except (OSError, StopIteration, ValueError):
        mem_kb = 0
    return {
        "cpus": os.cpu_count(),
        "cpu_model": cpu,
        "ram_gb": round(mem_kb / 1024**2, 1),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "load_avg_at_start": os.getloadavg(),
    }


def run_child(tool: Tool, task: str, files: list[Path], repeats: int, work: Path) -> dict[str, Any]:
    py = VENVS[tool.venv] / "bin" / "python"
    if not py.exists():
        return {"skipped": f"{py} missing (run `make peers`)"}
    out = work / f"{tool.name}-{task}-{len(files)}.json"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
    }
    cmd = [
        str(py),
        "-m",
        "bench.peers.runner",
        "--tool",
        tool.name,
        "--task",
        task,
        "--repeats",
        str(repeats),
        "--out",
        str(out),
        *map(str, files),
    ]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    if proc.returncode != 0 or not out.exists():
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        return {"skipped": f"exit {proc.returncode}: {' | '.join(tail)}"}
    rep: dict[str, Any] = json.loads(out.read_text())
    rep["wall_s"] = time.perf_counter() - t0
    return rep


def _speed(rep: dict[str, Any], units: int) -> dict[str, Any]:
    runs = rep["runs_s"]
    return {
        "per_s_median": units / statistics.median(runs),
        "per_s_min": units / max(runs),
        "per_s_max": units / min(runs),
        "runs_s": [round(r, 4) for r in runs],
        "cold_start_s": round(rep["startup_s"] + rep["first_call_s"], 3),
        "peak_rss_mb": round(rep["rss_self_mb"] + rep["rss_children_mb"] * (rep["rss_children_mb"] > 1), 1),
        "rss_self_mb": round(rep["rss_self_mb"], 1),
        "rss_children_mb": round(rep["rss_children_mb"], 1),
    }


def score_parse(rep: dict[str, Any], docs: list[dict[str, Any]]) -> dict[str, Any]:
    edits = ref_chars = 0
    orders: list[float] = []
    tables: list[float] = []
    per_doc: dict[str, Any] = {}
    for d in docs:
        out = rep["outputs"].get(d["file"])
        hyp_pages = (out or {}).get("pages", [])
        d_edits = d_ref = 0
        for i, ref in enumerate(d["text"]):
            r = metrics.normalize(ref)
            h = metrics.normalize(hyp_pages[i] if i < len(hyp_pages) else "", d["furniture"])
            d_edits += round(metrics.cer(h, r) * len(r))
            d_ref += len(r)
        edits, ref_chars = edits + d_edits, ref_chars + d_ref
        whole = metrics.normalize("\n".join(hyp_pages), d["furniture"])
        ro = metrics.reading_order(whole, d["reading_order"])
        if ro is not None:
            orders.append(ro)
        ts = None
        if out is not None and out.get("tables") is not None:
            ts = metrics.table_score(out["tables"], d["tables"])
            if ts is not None:
                tables.append(ts)
        per_doc[d["file"]] = {
            "cer": round(d_edits / max(1, d_ref), 4),
            "reading_order": ro,
            "tables": ts,
            "error": rep["errors"].get(d["file"]),
        }
    return {
        "cer": edits / max(1, ref_chars),
        "reading_order": statistics.mean(orders) if orders else None,
        "tables": statistics.mean(tables) if tables else None,
        "per_doc": per_doc,
    }


def score_extract(rep: dict[str, Any], docs: list[dict[str, Any]]) -> dict[str, Any]:
    tp = n_pred = n_true = 0
    per_doc = {}
    for d in docs:
        pred = rep["outputs"].get(d["file"]) or {}
        c, p, t = metrics.field_counts(pred, d["invoice"])
        tp, n_pred, n_true = tp + c, n_pred + p, n_true + t
        per_doc[d["file"]] = {"correct": c, "predicted": p, "expected": t, "error": rep["errors"].get(d["file"])}
    p, r, f = metrics.f1(tp, n_pred, n_true)
    return {"precision": p, "recall": r, "f1": f, "per_doc": per_doc}


def run(quick: bool, repeats: int, tools: list[str], docs_dir: Path) -> dict[str, Any]:
    docs = docset.generate(docs_dir, quick=quick)
    by_kind = {k: [d for d in docs if d["kind"] == k] for k in ("digital", "scan")}
    invoices = [d for d in docs if d.get("invoice")]
    rows: dict[str, Any] = {"digital": {}, "scan": {}, "extract": {}}
    versions: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="docpipe-peers-") as tmp:
        for tool in (t for t in TOOLS if t.name in tools):
            for kind in tool.kinds:
                kdocs = by_kind[kind]
                if not kdocs:
                    continue
                rep = run_child(tool, "parse", [docs_dir / d["file"] for d in kdocs], repeats, Path(tmp))
                if "skipped" in rep:
                    rows[kind][tool.name] = {"skipped": rep["skipped"], "note": tool.note}
                    print(f"{tool.name:24} {kind:8} skipped: {rep['skipped']}", file=sys.stderr)
                    continue
                versions[tool.name] = rep["versions"]
                pages = sum(d["pages"] for d in kdocs)
                row = {
                    **_speed(rep, pages),
                    **score_parse(rep, kdocs),
                    "pages": pages,
                    "docs": len(kdocs),
                    "errors": rep["errors"],
                    "note": tool.note,
                }
                row["pages_per_s"] = row.pop("per_s_median")
                rows[kind][tool.name] = row
                print(
                    f"{tool.name:24} {kind:8} {row['pages_per_s']:7.2f} pages/s  CER {row['cer']:.4f}  "
                    f"RSS {row['peak_rss_mb']:.0f} MB",
                    file=sys.stderr,
                )
            if tool.extract and invoices:
                rep = run_child(tool, "extract", [docs_dir / d["file"] for d in invoices], repeats, Path(tmp))
                if "skipped" in rep:
                    rows["extract"][tool.name] = {"skipped": rep["skipped"], "note": tool.note}
                    continue
                versions[tool.name] = rep["versions"]
                row = {
                    **_speed(rep, len(invoices)),
                    **score_extract(rep, invoices),
                    "docs": len(invoices),
                    "errors": rep["errors"],
                    "note": tool.note,
                }
                row["docs_per_s"] = row.pop("per_s_median")
                rows["extract"][tool.name] = row
                print(f"{tool.name:24} extract  {row['docs_per_s']:7.2f} docs/s   F1 {row['f1']:.3f}", file=sys.stderr)
    return {
        "machine": machine(),
        "quick": quick,
        "repeats": repeats,
        "documents": {k: {"docs": len(v), "pages": sum(d["pages"] for d in v)} for k, v in by_kind.items()}
        | {"invoices": {"docs": len(invoices)}},
        "versions": versions,
        **rows,
        "ratios": ratios(rows),
        "not_run_here": PUBLISHED,
    }


def _div(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def ratios(rows: dict[str, Any]) -> dict[str, Any]:
    """docpipe / peer within this run: speed > 1 means docpipe is faster; CER < 1 means docpipe
    makes fewer errors; reading order, tables and F1 > 1 mean docpipe scores higher."""
    out: dict[str, Any] = {}
    for kind in ("digital", "scan"):
        dp = rows[kind].get("docpipe")
        if not dp or "skipped" in dp:
            continue
        for name, r in rows[kind].items():
            if name == "docpipe" or "skipped" in r:
                continue
            out.setdefault(kind, {})[name] = {
                "speed": _div(dp["pages_per_s"], r["pages_per_s"]),
                "cer": _div(dp["cer"], r["cer"]) if r["cer"] > 0 else None,
                "reading_order": _div(dp["reading_order"], r["reading_order"]),
                "tables": _div(dp["tables"], r["tables"]),
                "rss": _div(dp["peak_rss_mb"], r["peak_rss_mb"]),
            }
    dp = rows["extract"].get("docpipe")
    if dp and "skipped" not in dp:
        for name, r in rows["extract"].items():
            if name != "docpipe" and "skipped" not in r:
                out.setdefault("extract", {})[name] = {
                    "speed": _div(dp["docs_per_s"], r["docs_per_s"]),
                    "f1": _div(dp["f1"], r["f1"]),
                }
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="two documents, docpipe + pdfplumber, one pass")
    ap.add_argument("--repeats", type=int, default=None, help="timed passes per tool (default 3, quick 1)")
    ap.add_argument("--tools", default=None, help="comma-separated subset of: " + ",".join(t.name for t in TOOLS))
    ap.add_argument("--docs", type=Path, default=ROOT / "bench" / "peers" / ".docset")
    ap.add_argument("--results", type=Path, default=ROOT / "bench" / "results.json")
    ap.add_argument("--report", type=Path, default=ROOT / "bench" / "REPORT.md")
    ap.add_argument(
        "--merge",
        metavar="REASON",
        help="re-run only --tools and replace their rows in the stored "
        "peers section (recorded with REASON; ratios then span two runs)",
    )
    args = ap.parse_args()
    tools = args.tools.split(",") if args.tools else (QUICK_TOOLS if args.quick else [t.name for t in TOOLS])
    unknown = set(tools) - {t.name for t in TOOLS}
    if unknown:
        sys.exit(f"unknown tool(s): {', '.join(sorted(unknown))}")
    repeats = args.repeats or (1 if args.quick else 3)
    t0 = time.perf_counter()
    peers = run(args.quick, repeats, tools, args.docs)
    peers["wall_s"] = round(time.perf_counter() - t0, 1)
    results = json.loads(args.results.read_text()) if args.results.exists() else {}
    if args.merge:
        stored = results["peers"]
        for section in ("digital", "scan", "extract"):
            stored[section] |= peers[section]
        stored["versions"] |= peers["versions"]
        stored["ratios"] = ratios(stored)
        stored.setdefault("reruns", []).append({"tools": tools, "reason": args.merge, "machine": peers["machine"]})
        peers = stored
    results["peers"] = peers
    args.results.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    from bench.peers.report import write_report

    write_report(peers, args.report)
    print(f"peers: {peers['wall_s']} s -> {args.results}, {args.report}", file=sys.stderr)


if __name__ == "__main__":
    main()
