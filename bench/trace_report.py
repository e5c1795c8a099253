"""Read a DOCPIPE_TRACE file (docpipe.runtime.trace) and say where each converter child spent the
ingest: start-up (spawn to ready), converting, chunk+embed (the step), waiting for work; and
main: waiting on results vs storing. Usage: trace_report.py TRACE [--docs]"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path


def main() -> None:
    rows = [json.loads(line) for line in Path(sys.argv[1]).read_text().splitlines() if line.strip()]
    show_docs = "--docs" in sys.argv
    t0 = min(r["t"] for r in rows)
    end = max(r["t"] for r in rows)
    main_pid = next(r["pid"] for r in rows if r["ev"] == "main_start")
    print(f"span {end - t0:.1f} s")
    by_pid: dict[int, list[dict]] = defaultdict(list)
    for r in rows:
        by_pid[r["pid"]].append(r)
    spawns = [r["t"] for r in rows if r["ev"] == "spawn"]
    print("spawns at", [round(t - t0, 1) for t in spawns])
    for pid, evs in by_pid.items():
        if pid == main_pid:
            continue
        acc: dict[str, float] = defaultdict(float)
        cpu: dict[str, float] = defaultdict(float)
        slept: dict[str, float] = defaultdict(float)
        state, since, cpu_since = "startup", evs[0]["t"], evs[0]["cpu"]
        prev = evs[0]
        docs = []
        for r in evs:
            ev = r["ev"]
            new = {
                "child_ready": "ready",
                "child_wait": "wait",
                "child_convert": "convert",
                "child_converted": "after",
                "child_after_done": "after_done",
                "embedder_load": "embedder_load",
                "embedder_loaded": "after",
            }.get(ev)
            if new is None:
                continue
            acc[state] += r["t"] - since
            cpu[state] += r["cpu"] - cpu_since
            if "run" in r and "run" in prev:  # the child's main thread: neither on a core nor queued
                slept[state] += (r["t"] - prev["t"]) - (r["run"] - prev["run"]) - (r["rq"] - prev["rq"])
            prev = r
            if ev == "child_convert":
                docs.append([r.get("doc"), r["t"] - t0, None, None])
            if ev == "child_converted" and docs:
                docs[-1][2] = r["t"] - t0
            if ev == "child_after_done" and docs:
                docs[-1][3] = r["t"] - t0
            state, since, cpu_since = new, r["t"], r["cpu"]
        acc[state] += end - since
        first = evs[0]["t"] - t0
        print(
            f"child {pid}: first event {first:.1f} s, "
            + ", ".join(
                f"{k} {v:.1f} s (cpu {cpu[k]:.1f}, slept {slept[k]:.1f})" for k, v in sorted(acc.items()) if v > 0.05
            ),
            f"docs {len(docs)}",
        )
        if show_docs:
            for d, a, b, c in docs:
                conv = (b - a) if b else float("nan")
                step = (c - b) if (b and c) else float("nan")
                print(f"    {a:7.1f} conv {conv:6.2f} step {step:5.2f}  {d}")
    m = [r for r in by_pid[main_pid] if r["ev"].startswith("main_")]
    wait = store = 0.0
    last = None
    for r in m:
        if last is not None and last["ev"] == "main_wait" and r["ev"] == "main_store":
            wait += r["t"] - last["t"]
        if last is not None and last["ev"] == "main_store" and r["ev"] == "main_stored":
            store += r["t"] - last["t"]
        last = r
    marks = {
        r["ev"]: round(r["t"] - t0, 1) for r in m if r["ev"] in ("main_start", "main_plan", "main_vectors", "main_end")
    }
    print(f"main cpu {m[-1]['cpu'] - m[0]['cpu']:.1f} s; waiting {wait:.1f} s, storing {store:.1f} s, marks {marks}")


if __name__ == "__main__":
    main()
