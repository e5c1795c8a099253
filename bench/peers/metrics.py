"""Scores for the peer benchmark: the same functions applied to every tool's output.

- CER: Levenshtein distance between the page text a tool gives and the truth, over the truth's
  length, after both are normalised (whitespace collapsed, Markdown markup and known page
  furniture removed). Order-sensitive: text read in the wrong column order costs characters.
- Reading order: fraction of consecutive truth markers (first words of each paragraph, heading,
  first table row...) that the tool's text has in the same order; a marker not found counts wrong.
- Table structure: the cell-adjacency F1 of the ICDAR 2013 table competition (Göbel et al.): each
  non-empty cell and its nearest non-empty neighbour to the right and below, compared as
  multisets. Each truth table is scored against the tool's best-matching table.
- Extraction: field-level precision/recall/F1 over the fields a truth record holds.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from itertools import pairwise
from typing import Any

from rapidfuzz.distance import Levenshtein

_MARKUP = re.compile(r"^\s*#+\s*|[*_|`]|^\s*[-:]{3,}\s*$|<br\s*/?>|^\s*[-:| ]+$", re.MULTILINE)


def normalize(text: str, furniture: Iterable[str] = ()) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = _MARKUP.sub(" ", text)
    text = text.replace("\u2019", "'").replace("\u2013", "-").replace("\u2014", "-")
    text = " ".join(text.split())
    for f in furniture:
        text = text.replace(" ".join(f.split()), " ")
    return " ".join(text.split())


def cer(hyp: str, ref: str) -> float:
    """Character error rate of normalised strings; can exceed 1 when the tool adds much text."""
    if not ref:
        return 0.0 if not hyp else 1.0
    return Levenshtein.distance(hyp, ref) / len(ref)


def reading_order(hyp: str, markers: list[str]) -> float | None:
    if len(markers) < 2:
        return None
    pos = [hyp.find(normalize(m)) for m in markers]
    good = sum(1 for a, b in pairwise(pos) if a >= 0 and b > a)
    return good / (len(markers) - 1)


def _cell(text: str) -> str:
    return normalize(text).casefold()


def adjacency(grid: list[list[str]]) -> Counter[tuple[str, str, str]]:
    rows = [[_cell(c or "") for c in row] for row in grid]
    out: Counter[tuple[str, str, str]] = Counter()
    for r, row in enumerate(rows):
        for c, cell in enumerate(row):
            if not cell:
                continue
            right = next((x for x in row[c + 1 :] if x), None)
            if right:
                out[(cell, right, "h")] += 1
            below = next((rows[k][c] for k in range(r + 1, len(rows)) if c < len(rows[k]) and rows[k][c]), None)
            if below:
                out[(cell, below, "v")] += 1
    return out


def f1(tp: int, n_pred: int, n_true: int) -> tuple[float, float, float]:
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_true if n_true else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def table_score(pred: list[list[list[str]]], truth: list[list[list[str]]]) -> float | None:
    """Mean over truth tables of the best adjacency F1 against any predicted table."""
    if not truth:
        return None
    scores = []
    for t in truth:
        ta = adjacency(t)
        best = 0.0
        for p in pred:
            pa = adjacency(p)
            best = max(best, f1(sum((ta & pa).values()), sum(pa.values()), sum(ta.values()))[2])
        scores.append(best)
    return sum(scores) / len(scores)


def _same(field: str, got: Any, want: Any) -> bool:
    if got is None or got == "":
        return False
    if isinstance(want, float):
        try:
            return abs(float(str(got).replace(",", "")) - want) < 0.005
        except ValueError:
            return False
    return " ".join(str(got).split()).casefold() == " ".join(str(want).split()).casefold()


def field_counts(pred: dict[str, Any], truth: dict[str, Any]) -> tuple[int, int, int]:
    """(correct, predicted, expected) over the truth's fields."""
    predicted = sum(1 for k in truth if pred.get(k) not in (None, "", []))
    correct = sum(1 for k, v in truth.items() if _same(k, pred.get(k), v))
    return correct, predicted, len(truth)
