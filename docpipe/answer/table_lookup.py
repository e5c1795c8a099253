"""The cell a question names, for checking the figure a small model read off a table.

The 0.5B model finds the right table but often reads the neighbouring cell: "109.82" (PT-M2's
time) for "how many seconds does M2 take on AMU-S", "160" (2023) for "ducks in 2022" (measured
on realdocs). When the question names one row of that table by its label ("M2", "2022",
"Lower middle") and one column by its header ("AMU-S", "Eliminate Stops", "2003") more
closely than any other, the cell there is the answer; a question that names them ambiguously
("Cohesion Fund ... and ERDF" over three columns) settles nothing and the model's reading stands.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from docpipe.answer.table_text import Cell, Header, chunk_header, chunk_tables
from docpipe.index.records import StoredChunk
from docpipe.index.terms import STOPWORDS

_WORD = re.compile(r"\w+")
_COMPOUND = re.compile(r"\w+(?:-\w+)+")
_STEM = 5  # "eliminating" ~ "eliminate", "savings" ~ "saving": the first letters decide


_ORDINAL = {"first": "1", "1st": "1", "second": "2", "2nd": "2", "third": "3", "3rd": "3", "fourth": "4", "4th": "4"}
# "the fourth quarter" is the column a report heads "Q4" (and "the first half" "H1").
_PERIOD = re.compile(r"\b(first|1st|second|2nd|third|3rd|fourth|4th) (quarter|half)\b")


def _words(text: str) -> set[str]:
    """Word stems, and hyphenated compounds whole too ("AMU-S" is not "AMU"); an ordinal
    quarter or half as the column name a table gives it ("fourth quarter" -> "q4")."""
    low = _PERIOD.sub(lambda m: ("q" if m[2] == "quarter" else "h") + _ORDINAL[m[1]], text.lower())
    words = {w[:_STEM] if not any(ch.isdigit() for ch in w) else w for w in _WORD.findall(low)}
    return (words | set(_COMPOUND.findall(low))) - STOPWORDS


def _figures(text: str) -> set[str]:
    return {re.sub(r"\D", "", m) for m in re.findall(r"\d[\d.,]*", text)}


@dataclass(frozen=True)
class Lookup:
    value: str
    chunk: int  # index of the chunk holding the cell


def _match(named: set[str], asked: set[str]) -> tuple[float, int]:
    """How closely the question names a label: the share of its words the question holds,
    then how many ("AMU-S" over "AMU" for a question saying AMU-S)."""
    hits = len(named & asked)
    return (hits / len(named), hits) if hits else (0.0, 0)


def _unique_best(scores: list[tuple[float, int]]) -> int | None:
    best = max(scores, default=(0.0, 0))
    if best[1] == 0 or scores.count(best) > 1:
        return None
    return scores.index(best)


def _cell_in(rows: list[list[Cell]], asked: set[str], read: set[str] | None = None) -> str | None:
    """The value at the row and column the question names, when each is unambiguous: a row by
    its label (its first cell), a column by its header among the row's other cells (a row
    with one value needs no column). In a table whose columns have no names (a header the
    parser took apart: "Tokens Words" over two columns), the column of the one cell holding
    the figure the model read (`read`), in another row as wide: it read the right column of
    the wrong row ("83.0B", StarCoder's tokens, for DCLM-Baseline's "3.71T")."""
    rows = [row for row in rows if len(row) > 1]
    labels = [_words(row[0][1]) for row in rows]
    r = _unique_best([_match(label, asked) for label in labels])
    if r is None:
        return None
    values = rows[r][1:]
    if len(values) == 1:
        return values[0][1]
    c = _unique_best([_match(_words(name) - labels[r], asked) if name else (0.0, 0) for name, _ in values])
    if c is not None:
        return values[c][1]
    if not read or any(name for row in rows for name, _ in row):
        return None
    at = [(i, j) for i, row in enumerate(rows) for j, (_, v) in enumerate(row) if j and _figures(v) == read]
    if len(at) == 1 and at[0][0] != r and len(rows[at[0][0]]) == len(rows[r]):
        return rows[r][at[0][1]][1]
    return None


def table_answer(question: str, answer: str, chunks: list[StoredChunk]) -> Lookup | None:
    """The cell the question names in the table the answer's figure was read from, when it
    holds another value; None when the answer is not a figure of one table, or the question
    does not name one cell of it."""
    figures = _figures(answer)
    if not figures:
        return None
    asked = _words(question)
    header: dict[str, Header] = {}  # the last table header seen in each document's chunks
    for i, chunk in enumerate(chunks):
        tables = chunk_tables(chunk.html, header.get(chunk.document))
        own = chunk_header(chunk.html)
        if own is not None:
            header[chunk.document] = own
        for rows in tables:
            held = {f for row in rows for _, v in row for f in _figures(v)}
            if not figures <= held:
                continue
            value = _cell_in(rows, asked, figures)
            if value is not None and _figures(value) and _figures(value) != figures:
                return Lookup(value, i)
    return None
