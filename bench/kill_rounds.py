"""Crash-resume soak: kill -9 an extract job over and over, then let it finish, and check that
every document is in results.jsonl exactly once and every line is valid JSON.

Each round starts the job, waits until a new result line (or a random moment after it)
appears, and SIGKILLs the whole process group (driver, forkserver and workers).

    python bench/kill_rounds.py --rounds 10 [--set build/extract_set]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.extract_set import build  # noqa: E402


def count_lines(path: Path) -> int:
    return path.read_bytes().count(b"\n") if path.exists() else 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--set", type=Path, default=ROOT / "build" / "extract_set")
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", type=Path, default=ROOT / "build" / "kill_rounds")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    if not list(args.set.glob("*.truth.json")):
        build(args.set, 40)
    files = sorted(p for p in args.set.iterdir() if not p.name.endswith(".json"))
    shutil.rmtree(args.out, ignore_errors=True)
    results = args.out / "results.jsonl"
    cmd = [sys.executable, "-m", "docpipe.cli", "extract", str(args.set), "--out", str(args.out)]
    cmd += ["--workers", str(args.workers), "--schema", "invoice"]
    rng = random.Random(args.seed)
    survived = 0
    for _ in range(args.rounds):
        before = count_lines(results)
        proc = subprocess.Popen(
            cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        while count_lines(results) <= before and proc.poll() is None:
            time.sleep(0.02)
        time.sleep(rng.uniform(0, 1.5))  # sometimes right after a write, sometimes mid-document
        if proc.poll() is not None:
            break
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        survived += 1
    t0 = time.perf_counter()
    final = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    lines = results.read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]  # raises on any torn or garbled line
    sources = sorted(r["source"] for r in records)
    report = {
        "documents": len(files),
        "kill_rounds": survived,
        "final_exit_code": final.returncode,
        "final_run_s": round(time.perf_counter() - t0, 1),
        "records": len(records),
        "exactly_once": sources == sorted(map(str, files)),
        "all_lines_valid_json": True,
        "errors": sum(1 for r in records if r["status"] == "error"),
    }
    print(json.dumps(report, indent=2))
    (ROOT / "bench" / "kill_rounds.json").write_text(json.dumps(report, indent=2) + "\n")
    if not report["exactly_once"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
