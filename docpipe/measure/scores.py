"""Scores for parsed documents against known truth: text, reading order, table structure.

- Character error rate: edit distance between the truth text and the parsed body text (both
  in reading order, whitespace collapsed), over the truth length. Reading order mistakes
  therefore cost characters too, as they do for a reader.
- Reading order: each truth block is located in the parsed text by its opening words; the
  score is 1 - normalized edit distance between the truth sequence of blocks and the order in
  which they were found (a missing block costs one deletion). Kendall's tau over the found
  blocks is reported beside it.
- Tables: F1 over adjacency relations (ICDAR 2013 style): each non-empty cell and its nearest
  non-empty neighbour to the right and below, compared as text. Row and column spans change
  who neighbours whom, so a lost span costs relations.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence

from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from docpipe.document import Document, Element, TableData

_WS = re.compile(r"\s+")
KEY_CHARS = 40  # opening characters of a block that identify it in the parsed text
MIN_MATCH = 80.0  # partial-ratio score under which a block counts as not found


def normalize(text: str) -> str:
    return _WS.sub(" ", unicodedata.normalize("NFKC", text)).strip()


def element_text(e: Element) -> str:
    """Plain text of an element; a table is its cells row by row."""
    if e.table is not None:
        return " ".join(cell for row in e.table.grid() for cell in row if cell)
    return e.text


def body_text(doc: Document) -> str:
    return normalize(" ".join(element_text(e) for e in doc.body))


def cer(truth: str, predicted: str) -> float:
    t, p = normalize(truth), normalize(predicted)
    return Levenshtein.distance(t, p) / max(1, len(t))


def locate_blocks(blocks: Sequence[str], text: str) -> list[int | None]:
    """Position of each block's opening words in `text` (None where not found)."""
    out: list[int | None] = []
    for block in blocks:
        key = normalize(block)[:KEY_CHARS]
        if not key:
            out.append(None)
            continue
        found = text.find(key)
        if found >= 0:
            out.append(found)
            continue
        m = fuzz.partial_ratio_alignment(key, text)
        out.append(m.dest_start if m is not None and m.score >= MIN_MATCH else None)
    return out


def kendall_tau(positions: Sequence[int]) -> float:
    """Tau-a of a sequence against its own sorted order (1 = same order, -1 = reversed)."""
    n = len(positions)
    if n < 2:
        return 1.0
    s = 0
    for i in range(n):
        for j in range(i + 1, n):
            s += (positions[j] > positions[i]) - (positions[j] < positions[i])
    return s / (n * (n - 1) / 2)


def reading_order_scores(blocks: Sequence[str], text: str) -> dict[str, float]:
    pos = locate_blocks(blocks, text)
    found = [(p, i) for i, p in enumerate(pos) if p is not None]
    order = [i for _, i in sorted(found)]
    truth = list(range(len(blocks)))
    ned = Levenshtein.distance(truth, order) / max(1, len(truth))
    return {
        "order_score": 1.0 - ned,
        "kendall_tau": kendall_tau([p for p, _ in found]),
        "blocks_found": len(found) / max(1, len(blocks)),
    }


def _cell_grid(t: TableData) -> list[list[int]]:
    """Cell index at each grid position (-1 where no cell), spans filled in."""
    grid = [[-1] * t.n_cols for _ in range(t.n_rows)]
    for k, c in enumerate(t.cells):
        for r in range(c.row, min(t.n_rows, c.row + c.row_span)):
            for col in range(c.col, min(t.n_cols, c.col + c.col_span)):
                grid[r][col] = k
    return grid


def adjacency_relations(t: TableData) -> Counter[tuple[str, str, str]]:
    grid = _cell_grid(t)
    texts = [normalize(c.text).lower() for c in t.cells]
    rel: Counter[tuple[str, str, str]] = Counter()
    seen: set[tuple[int, int, str]] = set()

    def nearest(cells: list[int], start: int, k: int) -> int | None:
        for nxt in cells[start:]:
            if nxt >= 0 and nxt != k and texts[nxt]:
                return nxt
        return None

    for r in range(t.n_rows):
        for c in range(t.n_cols):
            k = grid[r][c]
            if k < 0 or not texts[k]:
                continue
            right = nearest(grid[r], c + 1, k)
            below = nearest([grid[rr][c] for rr in range(t.n_rows)], r + 1, k)
            for other, d in ((right, "h"), (below, "v")):
                if other is not None and (k, other, d) not in seen:
                    seen.add((k, other, d))
                    rel[(texts[k], texts[other], d)] += 1
    return rel


def table_f1(truth: TableData, predicted: TableData) -> float:
    a, b = adjacency_relations(truth), adjacency_relations(predicted)
    hit = sum((a & b).values())
    if hit == 0:
        return 0.0
    p, r = hit / sum(b.values()), hit / sum(a.values())
    return 2 * p * r / (p + r)


def tables_score(truth: Sequence[TableData], predicted: Sequence[TableData]) -> float:
    """Mean over truth tables of the best F1 any parsed table reaches (1.0 with no truth tables)."""
    if not truth:
        return 1.0
    return sum(max((table_f1(t, p) for p in predicted), default=0.0) for t in truth) / len(truth)
