"""The numpy embedder beside the torch one, one run: `docpipe ask --mode extractive` and an embed of
one query, each in a fresh process, wall time and peak RSS, alternating trees (ABBA).

    python bench/embed_numpy.py --home HOME --before /work/main --after .
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

EMBED_ONE = (
    "from docpipe.config import Settings; from docpipe.index.embed import EMBEDDERS; "
    "EMBEDDERS.create(Settings().embedder).embed(['What is the total due on the ACME invoice?'])"
)


def run(tree: str, args: list[str]) -> tuple[float, float]:
    env = {**os.environ, "PYTHONPATH": str(Path(tree).resolve())}
    t = time.perf_counter()
    p = subprocess.Popen(
        [sys.executable, *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tree
    )
    _, status, usage = os.wait4(p.pid, 0)
    assert status == 0, args
    return time.perf_counter() - t, usage.ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--home", required=True)
    ap.add_argument("--before", required=True)
    ap.add_argument("--after", default=".")
    ap.add_argument("--rounds", type=int, default=2)
    a = ap.parse_args()
    cases = {
        "ask_extractive": [
            "-m",
            "docpipe.cli",
            "ask",
            "What is the total due on the ACME invoice?",
            "--mode",
            "extractive",
            "--home",
            a.home,
        ],
        "embed_one_query": ["-c", EMBED_ONE],
    }
    out: dict[str, dict[str, list[list[float]]]] = {c: {"before": [], "after": []} for c in cases}
    for r in range(a.rounds):
        order = ["before", "after"] if r % 2 == 0 else ["after", "before"]
        for which in order:
            for case, args in cases.items():
                out[case][which].append([round(v, 2) for v in run(getattr(a, which), args)])
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
