"""CPU seconds per scanned page, per stage, for one Converter in this process: the figure an
A/B between two trees compares (run it once per tree, interleaved, under `taskset -c N` so
the models take one thread each). Wall time is printed beside it; on a shared machine read CPU.

    PYTHONPATH=TREE .venv/bin/python bench/scan_cpu.py [--receipts 20] [--out FILE.json]

The documents are bench/realdocs.py's scan set (the parse-set scans and every 4th receipt).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.append(str(ROOT))  # after PYTHONPATH: the tree under test supplies docpipe

from bench.realdocs import default_realdocs, document_sets  # noqa: E402


class _Timed:
    """A page stage with its process CPU time added up (all threads of the process)."""

    def __init__(self, stage: Any, cpu: dict[str, float]) -> None:
        self.stage, self.cpu, self.name = stage, cpu, stage.name

    def warm_up(self) -> None:
        self.stage.warm_up()

    def __call__(self, ctx: Any) -> Any:
        t0 = time.process_time()
        try:
            return self.stage(ctx)
        finally:
            self.cpu[self.name] = self.cpu.get(self.name, 0.0) + time.process_time() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--realdocs", type=Path, default=default_realdocs())
    ap.add_argument("--receipts", type=int, default=20)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    from docpipe.config import Settings
    from docpipe.parse.converter import Converter

    docs = document_sets(args.realdocs, args.receipts)["scan"]
    conv = Converter(Settings.load().convert_options())  # as the CLI builds it: DOCPIPE_* variables apply
    stage_cpu: dict[str, float] = {}
    conv.stages = [_Timed(s, stage_cpu) for s in conv.stages]
    t0, c0 = time.perf_counter(), time.process_time()
    conv.warm_up()
    warm = {"wall": time.perf_counter() - t0, "cpu": time.process_time() - c0}
    rows = []
    for path in docs:
        t0, c0 = time.perf_counter(), time.process_time()
        res = conv.convert(path)
        rows.append(
            {"doc": path.name, "pages": res.pages, "cpu": time.process_time() - c0, "wall": time.perf_counter() - t0}
        )
    pages = sum(r["pages"] for r in rows)
    import docpipe

    out = {
        "tree": str(Path(docpipe.__file__).parent.parent),
        "pages": pages,
        "warm_up": warm,
        "cpu_per_page": sum(r["cpu"] for r in rows) / pages,
        "wall_per_page": sum(r["wall"] for r in rows) / pages,
        "stage_cpu_per_page": {k: v / pages for k, v in stage_cpu.items()},
        "load": os.getloadavg(),
        "docs": rows,
    }
    text = json.dumps(out, indent=1)
    if args.out:
        args.out.write_text(text)
    shown = ("tree", "pages", "warm_up", "cpu_per_page", "wall_per_page", "stage_cpu_per_page", "load")
    print(json.dumps({k: out[k] for k in shown}))


if __name__ == "__main__":
    main()
