"""`docpipe bench FOLDER`: how fast docpipe converts the user's own documents on this machine.

Converts every file `repeats` times after one warm-up pass (models load there, timed apart)
and reports pages/s as the median pass with its min–max, split by pages read from a text
layer and pages that needed OCR, plus this process's peak RSS. No accuracy figures: the
user's documents come without known truth (`make bench` measures accuracy on generated ones).
"""

from __future__ import annotations

import resource
import statistics
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from docpipe.parse.converter import Converter


@dataclass
class BenchReport:
    files: int
    pages: int
    text_layer_pages: int
    ocr_pages: int
    warm_up_s: float
    runs_s: list[float]
    pages_per_s: float
    pages_per_s_min: float
    pages_per_s_max: float
    peak_rss_mb: float
    stage_s: dict[str, float] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def measure(converter: Converter, files: list[Path], repeats: int = 3) -> BenchReport:
    """Time `repeats` passes of converting `files` (after a warm-up pass that loads models)."""
    if not files:
        raise ValueError("no documents to measure")
    t0 = time.perf_counter()
    converter.warm_up()
    first = [converter.convert(f) for f in files]
    warm = time.perf_counter() - t0
    errors = [str(e) for r in first for e in r.errors]  # the JSON report keeps the one-line messages
    docs = [r.document for r in first if r.document is not None]
    pages = sum(len(d.pages) for d in docs)
    ocr = sum(1 for d in docs for p in d.pages if p.origin == "ocr")
    runs: list[float] = []
    stages: dict[str, float] = {}
    for _ in range(max(1, repeats)):
        t0 = time.perf_counter()
        for f in files:
            for stage, s in converter.convert(f).timings.items():
                stages[stage] = stages.get(stage, 0.0) + s
        runs.append(time.perf_counter() - t0)
    n = max(1, repeats)
    return BenchReport(
        files=len(files),
        pages=pages,
        text_layer_pages=pages - ocr,
        ocr_pages=ocr,
        warm_up_s=warm,
        runs_s=runs,
        pages_per_s=pages / statistics.median(runs),
        pages_per_s_min=pages / max(runs),
        pages_per_s_max=pages / min(runs),
        peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        stage_s={k: v / n for k, v in stages.items()},
        errors=errors,
    )
