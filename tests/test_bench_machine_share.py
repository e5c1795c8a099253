"""bench/realdocs.py's machine accounting: the CPU seconds the whole machine was busy (so a row
can say how many cores other sessions took while docpipe ran) and our children's own."""

from __future__ import annotations

import subprocess
import sys
import time

from bench.realdocs import children_cpu_s, machine_cpu_s


def test_machine_and_children_cpu_count_a_busy_child() -> None:
    busy0, steal0 = machine_cpu_s()
    cpu0 = children_cpu_s()
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", "import time\nt=time.process_time()\nwhile time.process_time()-t<0.4: pass"], check=True
    )
    wall = time.perf_counter() - t0
    busy1, steal1 = machine_cpu_s()
    ours = children_cpu_s() - cpu0
    assert 0.35 <= ours <= wall + 0.05  # the child's CPU seconds, no more than it had
    assert busy1 - busy0 >= ours - 0.05  # the machine was busy at least while our child ran (ticks: 10 ms)
    assert steal1 >= steal0 >= 0
