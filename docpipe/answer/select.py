"""The lines of the retrieved passages that hold the question's words and figures: what the
model reads, so a prompt carries the facts in a few hundred tokens instead of a thousand.

Two CPU cores read ~120 prompt tokens/s (llama.cpp's timings), so the ~900 tokens of five whole
passages cost 7-8 s before the first answer word. Most of a passage is lines about something
else: an invoice's address block, a receipt's items when the total is asked, the other rows
and columns of a table. Here every line is scored by the question's words it holds (rarer
words count more: idf over the candidate lines), its neighbours inherit half of that score (a
label above its value, a sentence that wraps onto the next line), and the best lines are kept
up to a token budget, in reading order. A long table row keeps its row label and the cells
whose column the question names ("Cycle Name: 2012_2 | ... Eliminate Stops: 29.2%").
Questions that need a whole passage (a summary, a list of what was bought) get whole passages.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from docpipe.index.terms import STOPWORDS

# Form abbreviations and the words people ask with (as docpipe.answer.extractive, which imports
# the prompt module, so not imported from there).
SYNONYMS = {"no": "number", "nr": "number", "num": "number", "qty": "quantity", "amt": "amount", "inv": "invoice"}
LINE_BUDGET = 300  # tokens of selected lines and their passage tags: ~2.5 s of prefill on 2 cores
_WORD = re.compile(r"\w+")
# The words questions in German, French, Spanish and Dutch are asked with (the index's STOPWORDS
# are English): "Wie hoch ist der ..." must not select every line holding "der".
QUESTION_GLUE = frozenset(
    """der die das den dem des ein eine einer eines ist sind war wie hoch welche welcher welches was wer wann
    für von vom zum zur auf im mit zu und oder bei le la les l du des un une est sont quel quelle quels quelles
    au aux et ou pour sur par combien qui que quoi d el los las del es cuál cual qué y para por en una het een
    wat welke van hoeveel""".split()
)
# Questions answered by a passage as a whole, not by its lines about the question's words.
WHOLE = re.compile(
    r"\b(summar\w*|overview|outline|describe|what (?:is|are) (?:the |this )?(?:\w+ )?about"
    r"|what did (?:i|we) (?:buy|order|purchase|get)|list (?:all|every|the)|which items"
    r"|zusammenfass\w*|résum\w*|resum\w*)\b",
    re.I,
)
NEIGHBOUR = 0.5  # share of a line's score its neighbours inherit (squared two lines away)
RANK_DECAY = 0.08  # a passage retrieval ranked lower weighs a little less (the named document leads)
KIND_BONUS = 1.5  # an amount (a date) asked for: a line with one on it (its label may be a line above)
AMOUNT_ASKED = re.compile(
    r"\b(how much|total|amount|cost|price|paid|pay|due|bill|sum|balance|montant|prix|betrag\w*|\w+betrag|summe"
    r"|kosten|preis|importe|saldo|total\w*|ttc|brutto\w*)\b",
    re.I,
)
_AMOUNT = re.compile(r"\d[.,]\d\d\b")
DATE_ASKED = re.compile(r"\b(date|when|what day|datum|wann|fecha|cuándo|quand)\b", re.I)
_DATE = re.compile(r"\b(?:19|20)\d\d\b|\b\d{1,2}[./-]\d{1,2}[./-]\d{2,4}\b")
CELL_ROW = 4  # a row of at least this many cells keeps only the cells the question asks for
HEADER_ROW = 20  # tokens: a header row this short is shown over a kept row of bare cells


def terms(text: str) -> list[str]:
    """The text's words, lower-cased, any script (a Persian question matches Persian lines),
    stopwords dropped, form abbreviations expanded ("Nr" -> number)."""
    out = []
    for t in _WORD.findall(text.lower()):
        t = SYNONYMS.get(t, t)
        if t not in STOPWORDS and t not in QUESTION_GLUE and t != "_":
            out.append(t)
    return out


def same_word(a: str, b: str) -> bool:
    """One word in two forms: equal, or sharing all but the last two letters of the shorter
    ("eliminating"/"eliminate", "brutto"/"bruttobetrag"; not "contribute"/"contract"), or the
    last part of a compound ("währung"/"buchwährung"; not "total"/"subtotal")."""
    if a == b:
        return True
    if a.isdigit() or b.isdigit():
        return False  # a figure matches only itself
    short, long = sorted((a, b), key=len)
    need = max(5, len(short) - 2)
    if len(short) >= 5 and a[:need] == b[:need]:
        return True
    return len(short) >= 6 and long.endswith(short)  # a German compound's head: Buch|währung


@dataclass(frozen=True)
class Picked:
    """A passage's selected lines (indices into passage_lines' lines), in reading order."""

    chunk: int  # index into the chunks given
    lines: list[int]


def needs_whole(question: str) -> bool:
    return bool(WHOLE.search(question))


def _weights(asked: list[str], lines: Sequence[Sequence[str]]) -> dict[str, float]:
    """idf of each question word over the candidate lines; a word in no line weighs nothing."""
    n = len(lines)
    out: dict[str, float] = {}
    for q in dict.fromkeys(asked):
        df = sum(1 for words in lines if any(same_word(q, w) for w in words))
        if df:
            out[q] = math.log(1 + n / df)
    return out


def _score(words: Sequence[str], weights: dict[str, float]) -> float:
    return sum(w for q, w in weights.items() if any(same_word(q, x) for x in words))


def prune_row(line: str, question: str) -> str:
    """A long table row as its row label and the cells the question asks about: those whose
    column name or value shares the question's best-matched words. A row of bare cells (no
    column names) or one where nothing matches is kept whole."""
    cells = line.split(" | ")
    if len(cells) < CELL_ROW or sum(": " in c for c in cells) < CELL_ROW - 1:
        return line
    asked = list(dict.fromkeys(terms(question)))
    words = [terms(c) for c in cells[1:]]
    weights = _weights(asked, words)  # a word in every column's name ("Percent Fuel Savings") tells none apart
    scores = [_score(w, weights) for w in words]
    best = max(scores)
    if best == 0:
        return line
    kept = [cells[0]] + [c for c, s in zip(cells[1:], scores, strict=True) if s >= best / 2]
    return " | ".join(kept)


def select_lines(
    question: str,
    passages: Sequence[Sequence[str]],
    count: Callable[[str], int],
    budget: int = LINE_BUDGET,
    opening: Sequence[int] = (),
    headings: Sequence[str] = (),
    documents: Sequence[str] = (),
) -> list[Picked]:
    """The lines of `passages` (each a list of lines, best retrieved first) that answer the
    question best, up to `budget` tokens (a passage's first line also pays `opening[p]`, its header),
    grouped by passage in their own order. A passage's lines inherit half the score of its
    `headings[p]` ("Endbetrag" over "EUR 1256,70"); `documents[p]` names its document. Empty
    when no line shares a word with the question (the caller then gives whole passages)."""
    words = [[terms(ln) for ln in lines] for lines in passages]
    head_words = [terms(h) for h in (headings or [""] * len(passages))]
    weights = _weights(terms(question), [w for ws in words for w in ws] + head_words)
    if not weights:
        return []
    # A heading lends its score only for words its lines lack ("Endbetrag" over "EUR 1256,70"; not a
    # heading that is the passage's own first lines again).
    heads = [
        _score([w for w in h if not any(same_word(w, x) for ln in ws for x in ln)], weights)
        for h, ws in zip(head_words, words, strict=True)
    ]
    # A document holding more of the question's (rare) words is likelier the one asked about:
    # "PANDAH INDAH ... RESTAURANT" over another restaurant's receipt with its own "Total".
    held: dict[str, set[str]] = {}
    for p, ws in enumerate(words):
        doc = documents[p] if p < len(documents) else str(p)
        held.setdefault(doc, set()).update(q for q in weights if any(same_word(q, x) for w in ws for x in w))
    doc_score = {d: sum(weights[q] for q in qs) for d, qs in held.items()}
    top = max(doc_score.values()) or 1.0
    amount = bool(AMOUNT_ASKED.search(question))
    date = bool(DATE_ASKED.search(question))
    ranked: list[tuple[float, int, int]] = []
    for p, ws in enumerate(words):
        scores = [_score(w, weights) for w in ws]
        doc = documents[p] if p < len(documents) else str(p)
        factor = (0.5 + 0.5 * doc_score[doc] / top) / (1 + RANK_DECAY * p)
        for i, s in enumerate(scores):
            near = max((scores[j] for j in (i - 1, i + 1) if 0 <= j < len(scores)), default=0.0)
            far = max((scores[j] for j in (i - 2, i + 2) if 0 <= j < len(scores)), default=0.0)
            value = max(s, NEIGHBOUR * near, NEIGHBOUR**2 * far, NEIGHBOUR * heads[p]) * factor
            if (amount and _AMOUNT.search(passages[p][i])) or (date and _DATE.search(passages[p][i])):
                value *= KIND_BONUS
            if value > 0:
                ranked.append((value, p, i))
    ranked.sort(key=lambda t: (-t[0], t[1], t[2]))
    kept: dict[int, set[int]] = {}
    room = budget
    seen: set[tuple[str, str]] = set()
    for _value, p, i in ranked:
        text = prune_row(passages[p][i], question)
        doc = documents[p] if p < len(documents) else str(p)
        if (doc, text) in seen:
            continue  # the same line again in its document (a header repeated per chunk); another
            # document's copy stays: it is that document's evidence too (and its citation)
        cost = count(text) + 1
        if p not in kept and p < len(opening):
            cost += opening[p]
        if cost > room:
            continue  # a shorter line further down may still fit
        kept.setdefault(p, set()).add(i)
        seen.add((doc, text))
        room -= cost
    for p, rows in kept.items():  # a bare-cell row kept: its table's header row too ("%TVA | € HT | € TTC")
        for i in sorted(rows):
            head = _header_above(passages[p], i)
            # Over the budget if need be, a short one only: without it the row's figures are unnamed.
            if head is not None and head not in rows and count(passages[p][head]) <= HEADER_ROW:
                rows.add(head)
    return [Picked(p, sorted(kept[p])) for p in sorted(kept)]


def _header_above(lines: Sequence[str], i: int) -> int | None:
    """The nearest row of column names above a row of bare cells (cells without "Header: "),
    when there is one: a row of cells with no amount in them."""
    if " | " not in lines[i] or ": " in lines[i]:
        return None
    for j in range(i - 1, -1, -1):
        if " | " in lines[j] and not _AMOUNT.search(lines[j]) and ": " not in lines[j]:
            return j
    return None
