"""Run one tool's adapter over a list of files in this process and report outputs, seconds and
peak RSS as JSON. Started by bench.peers.compare with the Python of the tool's own venv:

    PY -m bench.peers.runner --tool pdfplumber --task parse --repeats 3 --out OUT.json FILE...

Adapters (bench/peers/<tool>.py) expose `parse(path) -> {"pages": [str], "tables": [grid] | None}`
and/or `extract(path) -> {field: value}`, plus PACKAGES (whose versions are reported).
"""

from __future__ import annotations

import argparse
import importlib
import json
import resource
import statistics
import sys
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any


def _version(pkg: str) -> str:
    try:
        return version(pkg)
    except PackageNotFoundError:
        return "?"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tool", required=True)
    ap.add_argument("--task", choices=["parse", "extract"], required=True)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("files", nargs="+", type=Path)
    args = ap.parse_args()

    t0 = time.perf_counter()
    adapter = importlib.import_module(f"bench.peers.{args.tool}")
    fn = getattr(adapter, args.task)
    startup = time.perf_counter() - t0
    t0 = time.perf_counter()
    outputs: dict[str, Any] = {}
    errors: dict[str, str] = {}

    def one(path: Path) -> None:
        try:
            outputs[path.name] = fn(path)
        except Exception as e:  # a tool failing on one document is a result, not a crash
            errors[path.name] = f"{type(e).__name__}: {e}"[:300]

    one(args.files[0])  # loads models: timed apart as the cold start
    first = time.perf_counter() - t0
    many = getattr(adapter, f"{args.task}_many", None)  # a tool that takes a batch (docpipe's workers)
    runs = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        if many is not None:
            outputs.update(many(args.files))
        else:
            for f in args.files:
                one(f)
        runs.append(time.perf_counter() - t0)
    self_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    child_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    report = {
        "tool": args.tool,
        "task": args.task,
        "versions": {
            **{p: _version(p) for p in getattr(adapter, "PACKAGES", [])},
            **(adapter.extra_versions() if hasattr(adapter, "extra_versions") else {}),
        },
        "python": sys.version.split()[0],
        "startup_s": startup,
        "first_call_s": first,
        "runs_s": runs,
        "median_s": statistics.median(runs),
        "files": len(args.files),
        "rss_self_mb": self_kb / 1024,
        "rss_children_mb": child_kb / 1024,
        "outputs": outputs,
        "errors": errors,
    }
    args.out.write_text(json.dumps(report, ensure_ascii=False))


if __name__ == "__main__":
    main()
