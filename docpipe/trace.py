"""A timeline of the ingest for finding idle time: with DOCPIPE_TRACE=FILE set, each process
(main, every converter child) appends one JSON line per event (monotonic time, pid, event,
document), so lanes can be drawn side by side. Each line also has the calling thread's time on
a core and waiting for one (/proc schedstat): wall minus both is time it slept (blocked, idle).
Unset, each call is one dict lookup."""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from pathlib import Path
from typing import Any

ENV = "DOCPIPE_TRACE"
_lock = threading.Lock()


def enabled() -> bool:
    return bool(os.environ.get(ENV))


def event(name: str, doc: Path | str | None = None, **fields: Any) -> None:
    """One line: CLOCK_MONOTONIC is system-wide on Linux, so the children's times line up."""
    target = os.environ.get(ENV)
    if not target:
        return
    row = {
        "t": round(time.monotonic(), 4),
        "pid": os.getpid(),
        "thread": threading.current_thread().name,
        "ev": name,
        "cpu": round(time.process_time(), 4),
    }
    with contextlib.suppress(OSError, ValueError):  # this thread's on-CPU and run-queue ns (Linux)
        run, queued = Path("/proc/thread-self/schedstat").read_text().split()[:2]
        row["run"], row["rq"] = round(int(run) / 1e9, 4), round(int(queued) / 1e9, 4)
    if doc is not None:
        row["doc"] = Path(doc).name
    row.update(fields)
    line = json.dumps(row) + "\n"
    with _lock, open(target, "a") as f:  # O_APPEND: lines of two processes never interleave
        f.write(line)
