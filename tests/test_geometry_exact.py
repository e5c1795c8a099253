"""The hand-written fast paths of the line geometry give exactly what the general code gave:
BBox.union_all against min()/max(), the line median against statistics.median."""

from __future__ import annotations

import random
import statistics

from docpipe.document import BBox
from docpipe.parse.layout.lines import _median


def test_union_all_is_min_and_max_of_the_boxes() -> None:
    rng = random.Random(7)
    for n in (1, 2, 3, 10, 50):
        boxes = [BBox.of(*(rng.choice([rng.uniform(-50, 600), 12.5]) for _ in range(4))) for _ in range(n)]
        u = BBox.union_all(boxes)
        assert (u.x0, u.y0, u.x1, u.y1) == (
            min(b.x0 for b in boxes),
            min(b.y0 for b in boxes),
            max(b.x1 for b in boxes),
            max(b.y1 for b in boxes),
        )


def test_the_line_median_is_statistics_median() -> None:
    rng = random.Random(3)
    for n in range(1, 12):
        values = [rng.choice([9.96, 10.0, rng.uniform(5, 30)]) for _ in range(n)]
        assert _median(values) == statistics.median(values)
