"""`make eval-real`: docpipe and pymupdf4llm on ../shared/realdocs, scored by its score.py in one run.

    .venv/bin/python bench/eval_real.py [--steps "parse tables ocr extract"] [--out DIR]
                                        [--realdocs DIR] [--jobs N] [--no-peer]

docpipe runs through realdocs' own run.sh (one `docpipe parse`/`extract` call per file, this
checkout's code first on the path); pymupdf4llm (from .venv-peers, `make peers`) runs over the
same folders for parse, tables and ocr (it has no field extraction). Both are scored by the same
score.py. Writes bench/eval_real.json and bench/eval_real.md (per document and summary, the two
tools side by side, with ratios docpipe / pymupdf4llm); raw outputs stay in --out.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.eval_real_report import build_report, render_markdown  # noqa: E402

PEER = "pymupdf4llm"
PEER_PY = ROOT / ".venv-peers" / "bin" / "python"
# step -> (realdocs source folder, output format the scorer reads)
PEER_STEPS = {"parse": ("parse/docs", "md"), "tables": ("tables/docs", "html"), "ocr": ("receipts/img", "md")}
OUT_JSON = ROOT / "bench" / "eval_real.json"
OUT_MD = ROOT / "bench" / "eval_real.md"


def docpipe_wrapper(dest: Path) -> Path:
    """A `docpipe` executable that runs this checkout (not whatever .venv has installed)."""
    exe = dest / "docpipe-checkout"
    exe.write_text(
        f'#!/bin/sh\nPYTHONPATH="{ROOT}${{PYTHONPATH:+:$PYTHONPATH}}" exec "{sys.executable}" -m docpipe.cli "$@"\n'
    )
    exe.chmod(0o755)
    return exe


def git_commit() -> str:
    p = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    return p.stdout.strip() or "?"


def run_docpipe(realdocs: Path, out: Path, steps: list[str], jobs: int) -> dict[str, float]:
    """run.sh once per step (it scores each), timed per step -> {step: seconds}."""
    out.mkdir(parents=True, exist_ok=True)
    exe = docpipe_wrapper(out.parent)
    seconds = {}
    for step in steps:
        t0 = time.perf_counter()
        env = {**os.environ, "STEPS": step, "JOBS": str(jobs)}
        subprocess.run(["bash", str(realdocs / "run.sh"), str(exe), str(out)], env=env, check=True)
        seconds[step] = round(time.perf_counter() - t0, 1)
    return seconds


def run_peer(realdocs: Path, out: Path, steps: list[str]) -> dict[str, Any]:
    """pymupdf4llm over each folder, then score.py over its outputs -> {step: {"seconds", "errors"}}."""
    runs: dict[str, Any] = {}
    for step in steps:
        if step not in PEER_STEPS:
            continue
        src, fmt = PEER_STEPS[step]
        print(f"== {PEER}: {step}", file=sys.stderr, flush=True)
        p = subprocess.run(
            [
                str(PEER_PY),
                "-m",
                "bench.peers.realdocs_pymupdf4llm",
                "--format",
                fmt,
                str(realdocs / src),
                str(out / step),
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
            check=True,
        )
        runs[step] = json.loads(p.stdout.strip().splitlines()[-1])
        score(realdocs, step, out)
    return runs


def score(realdocs: Path, step: str, out: Path) -> None:
    with open(out / f"score-{step}.txt", "w", encoding="utf-8") as txt:
        subprocess.run(
            [
                sys.executable,
                str(realdocs / "score.py"),
                "--json",
                str(out / f"score-{step}.json"),
                step,
                str(out / step),
            ],
            stdout=txt,
            stderr=subprocess.STDOUT,
            check=True,
        )


def load_scores(out: Path, steps: list[str]) -> dict[str, Any]:
    scores = {}
    for step in steps:
        p = out / f"score-{step}.json"
        if p.exists():
            scores[step] = json.loads(p.read_text(encoding="utf-8"))
    return scores


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", default="parse tables ocr extract", help="run.sh steps (qa also works)")
    ap.add_argument("--out", type=Path, help="keep raw outputs here (default: a new folder in /tmp)")
    ap.add_argument(
        "--realdocs", type=Path, default=Path(os.environ.get("REALDOCS", ROOT.parent / "shared" / "realdocs"))
    )
    ap.add_argument("--jobs", type=int, default=1, help="parallel docpipe parse calls (run.sh JOBS)")
    ap.add_argument("--no-peer", action="store_true", help=f"skip {PEER}")
    ap.add_argument("--json", type=Path, default=OUT_JSON)
    ap.add_argument("--md", type=Path, default=OUT_MD)
    args = ap.parse_args()
    steps = args.steps.split()
    realdocs = args.realdocs.resolve()
    if not (realdocs / "run.sh").exists():
        sys.exit(f"eval-real: no realdocs set at {realdocs} (run.sh missing); pass --realdocs DIR")
    if not args.no_peer and not PEER_PY.exists():
        sys.exit(f"eval-real: {PEER_PY} missing: run `make peers` first, or pass --no-peer")
    out = args.out or Path(tempfile.mkdtemp(prefix="eval-real-"))
    out = out.resolve()
    print(f"eval-real: outputs in {out}", file=sys.stderr)
    dp_seconds = run_docpipe(realdocs, out / "docpipe", steps, args.jobs)
    peer_runs = {} if args.no_peer else run_peer(realdocs, out / PEER, steps)
    report = build_report(
        docpipe=load_scores(out / "docpipe", steps),
        peer=load_scores(out / PEER, steps) if not args.no_peer else {},
        meta={
            "commit": git_commit(),
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "steps": steps,
            "peer": PEER,
            "outputs": str(out),
            "docpipe_seconds": dp_seconds,
            "peer_seconds": {s: r["seconds"] for s, r in peer_runs.items()},
            "peer_errors": {s: r["errors"] for s, r in peer_runs.items() if r["errors"]},
            "load_avg": [round(x, 1) for x in os.getloadavg()],
        },
    )
    args.json.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    args.md.write_text(render_markdown(report), encoding="utf-8")
    print(f"eval-real: wrote {args.json} and {args.md}", file=sys.stderr)


if __name__ == "__main__":
    main()
