"""The parse-quality metrics (docpipe.measure.scores) on hand-made cases with known answers."""

from __future__ import annotations

import pytest

from docpipe.document import TableCell, TableData
from docpipe.measure.scores import adjacency_relations, cer, kendall_tau, reading_order_scores, table_f1, tables_score


def test_cer_counts_edits_over_the_truth_length_and_ignores_spacing() -> None:
    assert cer("Total Due  $1,234.56", "Total Due $1,234.56") == 0.0
    assert cer("abcdefghij", "abcdefghiX") == pytest.approx(0.1)
    assert cer("abcdefghij", "") == 1.0


def test_reading_order_score_drops_with_swapped_and_missing_blocks() -> None:
    blocks = ["Left one. Alpha beta", "Left two. Gamma delta", "Right one. Epsilon", "Right two. Zeta"]
    good = "Left one. Alpha beta Left two. Gamma delta Right one. Epsilon Right two. Zeta"
    assert reading_order_scores(blocks, good) == {"order_score": 1.0, "kendall_tau": 1.0, "blocks_found": 1.0}
    row_by_row = "Left one. Alpha beta Right one. Epsilon Left two. Gamma delta Right two. Zeta"
    s = reading_order_scores(blocks, row_by_row)
    assert s["order_score"] == 0.5  # two edits over four blocks
    assert s["kendall_tau"] == pytest.approx(4 / 6)
    missing = reading_order_scores(blocks, "Left one. Alpha beta Right two. Zeta")
    assert missing["blocks_found"] == 0.5 and missing["order_score"] == 0.5


def test_reading_order_finds_blocks_through_ocr_noise() -> None:
    blocks = ["Harbour history. The old harbour was built", "Harbour today. Today the basin hosts"]
    text = "Harb0ur history. The o1d harbour was bui1t ... Harbour t0day. Today the basin h0sts"
    assert reading_order_scores(blocks, text)["order_score"] == 1.0


def test_kendall_tau_of_reversed_order_is_minus_one() -> None:
    assert kendall_tau([4, 3, 2, 1]) == -1.0


def _table(rows: list[list[str]], spans: dict[tuple[int, int], tuple[int, int]] | None = None) -> TableData:
    spans = spans or {}
    cells = [
        TableCell(row=r, col=c, text=t, row_span=spans.get((r, c), (1, 1))[0], col_span=spans.get((r, c), (1, 1))[1])
        for r, row in enumerate(rows)
        for c, t in enumerate(row)
        if t
    ]
    return TableData(n_rows=len(rows), n_cols=len(rows[0]), cells=cells)


def test_table_f1_is_one_for_the_same_grid_and_lower_for_a_lost_span() -> None:
    truth = _table(
        [["Region", "Sales", "", "Staff"], ["", "Spring", "Autumn", ""], ["North", "120", "135", "14"]],
        {(0, 0): (2, 1), (0, 1): (1, 2), (0, 3): (2, 1)},
    )
    # Spans make "Region" sit left of "Spring" and above "North".
    rel = adjacency_relations(truth)
    assert rel[("region", "spring", "h")] == 1 and rel[("region", "north", "v")] == 1
    assert rel[("sales", "autumn", "v")] == 1  # a column span neighbours both cells below it
    assert table_f1(truth, truth) == 1.0
    flat = _table([["Region", "Sales", "", "Staff"], ["", "Spring", "Autumn", ""], ["North", "120", "135", "14"]])
    assert 0.5 < table_f1(truth, flat) < 1.0
    split_rows = _table([["Region", "Sales", "Staff"], ["North", "120 135", "14"]])
    assert table_f1(truth, split_rows) < table_f1(truth, flat)


def test_tables_score_takes_the_best_parsed_match_per_truth_table() -> None:
    a = _table([["A", "B"], ["1", "2"]])
    b = _table([["X", "Y"], ["7", "8"]])
    assert tables_score([a, b], [b, a]) == 1.0
    assert tables_score([a, b], [a]) == 0.5
    assert tables_score([], []) == 1.0
