"""CPU-s per scanned page as shipped: Docpipe's converter (isolated workers, pages and documents
over them, `convert_many`), the main process and its worker processes added up (psutil), over
bench/realdocs.py's scan set, after a warm-up. On a shared machine wall time says how loaded it
is; CPU-s/page over the cores is what the page would take on an idle one.

    PYTHONPATH=TREE .venv/bin/python -P bench/scan_shipped_cpu.py [--receipts 20] [--passes 2]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.append(str(ROOT))  # after PYTHONPATH: the tree under test supplies docpipe

from bench.realdocs import default_realdocs, document_sets, page_count  # noqa: E402


def tree_cpu_s(proc: psutil.Process) -> float:
    """User + system CPU of a process and its live descendants (the workers persist)."""
    total = 0.0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            t = p.cpu_times()
        except psutil.Error:
            continue
        total += t.user + t.system
    return total


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--receipts", type=int, default=20)
    ap.add_argument("--passes", type=int, default=2)
    args = ap.parse_args()
    from docpipe.api import Docpipe
    from docpipe.config import Settings

    tmp = Path(tempfile.mkdtemp(prefix="docpipe-scan-cpu-"))
    conv = Docpipe(Settings.load(tmp / "home")).converter
    docs = document_sets(default_realdocs(), args.receipts)["scan"]
    pages = sum(page_count(p) for p in docs)
    me = psutil.Process()
    conv.warm_up()
    conv.convert(docs[0])
    for n in range(args.passes):
        c0, w0 = tree_cpu_s(me), time.perf_counter()
        jobs = [(p, tmp / f"{i}.spool") for i, p in enumerate(docs)]
        for _path, spool, _result in conv.convert_many(jobs):  # type: ignore[attr-defined]
            spool.unlink(missing_ok=True)
        cpu, wall = tree_cpu_s(me) - c0, time.perf_counter() - w0
        row = {
            "pass": n,
            "pages": pages,
            "cpu_per_page": round(cpu / pages, 3),
            "wall_per_page": round(wall / pages, 3),
        }
        print(json.dumps({**row, "cores": psutil.cpu_count(), "load": os.getloadavg()}), flush=True)


if __name__ == "__main__":  # the workers are spawned: they import this module, not run it
    main()
