"""Scores for the peer benchmark: the same functions applied to every tool's output.

- CER: Levenshtein distance between the page text a tool gives and the truth, over the truth's
  length, after both are normalised (whitespace collapsed, Markdown markup and known page
  furniture removed). Order-sensitive: text read in the wrong column order costs characters.
- Reading order: the first four words of every truth line are located in the tool's text
  (exactly, else fuzzily for OCR slips); the score is the share of all line pairs found in the
  truth's order. Text read across two columns inverts many pairs.
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
from typing import Any

from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

_MARKUP = re.compile(r"^\s*[-:| ]{3,}$|^\s*#+\s*|[*_|`]|<br\s*/?>", re.MULTILINE)


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


def locate(marker: str, hyp: str) -> int | None:
    """Where a truth line starts in the tool's text: exactly, else the best fuzzy match (OCR
    misreads a character or two), else nowhere."""
    m = normalize(marker)
    pos = hyp.find(m)
    if pos >= 0:
        return pos
    al = fuzz.partial_ratio_alignment(m, hyp, score_cutoff=80)
    return al.dest_start if al is not None else None


def reading_order(hyp: str, markers: list[str]) -> float | None:
    """Share of all pairs of truth lines that the tool's text has in the truth's order (a
    Kendall-style pairwise accuracy); a line not found counts wrong in every pair it is in."""
    n = len(markers)
    if n < 2:
        return None
    pos = [locate(m, hyp) for m in markers]
    good = 0
    for i in range(n):
        pi = pos[i]
        if pi is None:
            continue
        good += sum(1 for pj in pos[i + 1 :] if pj is not None and pj > pi)
    return good / (n * (n - 1) / 2)


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
