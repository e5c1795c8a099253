"""Sample a process tree's thread states (every 20 ms) while a command runs: for each process,
the share of samples in which none of its threads was runnable (state R: on a core or queued
for one). That share is time the process left a core idle of its own accord (blocked on a pipe,
a lock, the disk), and unlike wall or CPU time it does not change with the machine's load.
Usage: runnable.py -- CMD..."""

from __future__ import annotations

import collections
import contextlib
import subprocess
import sys
import time
from pathlib import Path


def states(pid: int) -> list[str]:
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError, IndexError):
            out.append(task.joinpath("stat").read_text().rsplit(")", 1)[1].split()[0])
    return out


def tree(root: int) -> list[int]:
    pids, todo = [], [root]
    while todo:
        p = todo.pop()
        pids.append(p)
        try:
            for t in Path(f"/proc/{p}/task").glob("*"):
                todo += [int(c) for c in t.joinpath("children").read_text().split()]
        except OSError:
            pass
    return pids


def main() -> None:
    cmd = sys.argv[sys.argv.index("--") + 1 :]
    child = subprocess.Popen(cmd)
    seen: dict[int, collections.Counter[int]] = collections.defaultdict(collections.Counter)
    t0 = time.monotonic()
    any_r: collections.Counter[int] = collections.Counter()  # runnable threads in the whole tree
    while child.poll() is None:
        total = 0
        for pid in tree(child.pid):
            n = sum(s == "R" for s in states(pid))
            seen[pid][min(n, 3)] += 1
            total += n
        any_r[min(total, 4)] += 1
        time.sleep(0.02)
    wall = time.monotonic() - t0
    print(f"wall {wall:.1f} s, samples {sum(any_r.values())}", file=sys.stderr)
    n_all = sum(any_r.values())
    print(
        "tree runnable threads: " + ", ".join(f"{k}: {v / n_all:.0%}" for k, v in sorted(any_r.items())),
        file=sys.stderr,
    )
    for pid, c in seen.items():
        n = sum(c.values())
        if n < 10:
            continue
        print(
            f"pid {pid}: samples {n}, none runnable {c[0] / n:.0%}, "
            f"1: {c[1] / n:.0%}, 2: {c[2] / n:.0%}, 3+: {c[3] / n:.0%}",
            file=sys.stderr,
        )


if __name__ == "__main__":
    main()
