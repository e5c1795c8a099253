"""convert_many keeps every worker fed while a long document at the head is still converting
(docpipe.parse.parallel._many): the window counts documents not yet done, not those not yet
taken by the caller. Fake lanes (no child, no model): this is about scheduling only."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from docpipe.document import ConversionResult, ConversionStatus
from docpipe.parse.parallel import LOOKAHEAD, ParallelConverter


class _Lane:
    """Converts instantly, except 'slow' which waits until `release` is set."""

    def __init__(self, release: threading.Event, done: list[str], lock: threading.Lock) -> None:
        self.release, self.done, self.lock = release, done, lock

    def warm_up(self) -> None:
        pass

    def convert_to(self, path: Path, spool: Path, **_: Any) -> ConversionResult:
        if path.name == "slow":
            self.release.wait(timeout=60)
        with self.lock:
            self.done.append(path.name)
            if len(self.done) >= 3 * LOOKAHEAD * 2 + 1:  # the other lane went far past the old window
                self.release.set()
        return ConversionResult(source=path.name, status=ConversionStatus.SUCCESS, pages=1)


def test_a_long_head_does_not_starve_the_other_worker(tmp_path: Path) -> None:
    release, done, lock = threading.Event(), [], threading.Lock()
    par = ParallelConverter(lambda: _Lane(release, done, lock), 2)
    names = ["slow"] + [f"fast-{i}" for i in range(40)]
    try:
        out = [p.name for p, _, _ in par.convert_many((tmp_path / n, tmp_path / f"{n}.spool") for n in names)]
    finally:
        par.close()
    assert out == names  # results still in the order of the jobs
    # The slow head finished only after the other lane had done more than the old window of 8
    # (LOOKAHEAD x 2 workers, counted from the head) would ever have let it start.
    assert done.index("slow") >= 3 * LOOKAHEAD * 2
