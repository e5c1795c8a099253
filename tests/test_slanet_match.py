"""The vectorised word-to-cell matching chooses exactly what rapid_table's loops choose."""

from __future__ import annotations

import random

from rapid_table.table_matcher import TableMatch

from docpipe.parse.tables.slanet_match import match_result


def _box(rng: random.Random, grid: bool) -> list[float]:
    if grid:  # on a coarse grid: equal distances and IoUs, so ties are exercised
        x, y = rng.randrange(0, 10) * 20.0, rng.randrange(0, 10) * 10.0
        return [x, y, x + rng.choice([20.0, 40.0]), y + 10.0]
    x, y = rng.uniform(0, 400), rng.uniform(0, 200)
    return [x, y, x + rng.uniform(1, 80), y + rng.uniform(1, 20)]


def test_the_same_cells_as_rapid_tables_loops() -> None:
    rng = random.Random(7)
    loops = TableMatch()
    for case in range(60):
        grid = case % 2 == 0
        words = [_box(rng, grid) for _ in range(rng.randrange(1, 40))]
        cells: list[list[float]] = []
        for _ in range(rng.randrange(1, 30)):
            x0, y0, x1, y1 = _box(rng, grid)
            # the model gives 8-point polygons as well as 4-value boxes
            cells.append([x0, y0, x1, y0, x1, y1, x0, y1] if rng.random() < 0.5 else [x0, y0, x1, y1])
        assert match_result(words, cells) == loops.match_result(words, cells), case
    # More words than one block of the pair matrices.
    words = [_box(rng, False) for _ in range(600)]
    cells = [_box(rng, False) for _ in range(50)]
    assert match_result(words, cells) == loops.match_result(words, cells)
