"""The document step of retrieval: which stored documents a question names.

"the Hetzner invoice R0005532486", "the MOONLIGHT CAKE HOUSE receipt", "the DocLayNet paper":
users name documents by issuer, title, number or file name. Words that look like names (an
identifier with digits, a capitalised or all-caps word) are looked up document by document;
those held by few documents pick them, weighted by rarity (idf). Names found in no document
at all are reported too: a question about "the Starbucks receipt" when no document mentions
Starbucks cannot be answered from these documents.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Protocol

from docpipe.index.terms import STOPWORDS, fts_tokens

# Question words and glue in the languages of the documents, capitalised at a sentence start
# or by German noun capitals; they name no document.
GLUE = frozenset(
    """what which who whom whose when where why how is are was were does do did can could
    wie wer was welche welcher welches wann wo ist sind der die das den dem des ein eine einer im in von vom für
    quel quelle quels quelles est le la les de du des une un pour sur qui que
    cuál cual cuánto cuanto qué que es el la los las de del una un para por
    i in on of at to""".split()
)
_WORD = re.compile(r"[^\s?!,;:()\"'«»¿¡]+")
_MIN_SCORE = 1.0  # idf units: one word held by a third of the documents is not enough


@dataclass(frozen=True)
class Focus:
    documents: list[str] = field(default_factory=list)  # named documents, best first
    names: list[str] = field(default_factory=list)  # the name-like words of the question
    unmatched: list[str] = field(default_factory=list)  # of those, the ones no document holds


class DocumentTerms(Protocol):
    def documents_with(self, phrase: str) -> set[str]: ...

    def document_count(self) -> int: ...


def name_words(question: str) -> list[str]:
    """Words that look like names: carry a digit (not a bare small number or year), or are
    capitalised/all-caps and not question glue; the first word only when all-caps or digits."""
    out: list[str] = []
    for i, m in enumerate(_WORD.finditer(question)):
        w = m.group().strip(".-/")
        if len(w) < 3 or w.lower() in STOPWORDS or w.lower() in GLUE:
            continue
        has_digit = any(ch.isdigit() for ch in w)
        if has_digit:
            if w.isdigit() and len(w) <= 4:
                continue  # "2", "2019": everywhere
            out.append(w)
        elif w[0].isupper() and (i > 0 or w.isupper()):
            out.append(w)
    return list(dict.fromkeys(out))


def focus(question: str, terms: DocumentTerms) -> Focus:
    names = name_words(question)
    if not names:
        return Focus()
    n_docs = max(1, terms.document_count())
    holders = {w: terms.documents_with(w) for w in names}
    # Hyphenated compounds ("Hetzner-Rechnung") also count by their parts.
    for w in names:
        if "-" in w and not holders[w] and not any(ch.isdigit() for ch in w):
            parts = [p for p in w.split("-") if len(p) >= 3]
            found = [terms.documents_with(p) for p in parts]
            holders[w] = set().union(*found) if found else set()
    scores: dict[str, float] = {}
    for _w, docs in holders.items():
        if not docs or len(docs) > max(2, n_docs // 4):
            continue  # common words pick nothing
        idf = math.log(1 + n_docs / len(docs))
        for d in docs:
            scores[d] = scores.get(d, 0.0) + idf
    unmatched = [w for w in names if not holders[w] and fts_tokens(w)]
    # An identifier the question gives (TX-471102, R0005532486) names its document outright: a
    # document without any of them is not named by a common word beside it ("VAT").
    ids = [w for w in names if any(ch.isdigit() for ch in w) and 0 < len(holders[w]) <= max(2, n_docs // 4)]
    if ids:
        with_id = set().union(*(holders[w] for w in ids))
        scores = {d: s for d, s in scores.items() if d in with_id}
    if not scores:
        return Focus([], names, unmatched)
    best = max(scores.values())
    if best < _MIN_SCORE:
        return Focus([], names, unmatched)
    chosen = [d for d, s in scores.items() if s >= 0.75 * best]
    tied = len({scores[d] for d in chosen}) < len(chosen)
    # Documents holding the same names ("GREEN": a paper's metric, "Green Tea" on receipts) are
    # told apart by the rest of the question; then by name, so every process picks the same.
    rest = _context_scores(question, names, set(chosen), terms, n_docs) if tied else {}
    own = _as_written(question, ids, terms) if tied else set()
    chosen.sort(key=lambda d: (-scores[d], d not in own, -rest.get(d, 0.0), d))
    return Focus(chosen[:3], names, unmatched)


def _as_written(question: str, ids: list[str], terms: DocumentTerms) -> set[str]:
    """Documents holding an identifier with the word the question puts before it: "facture
    FA-2017-0010" is the invoice's own heading; the credit note that credits it writes
    "Facture liée FA-2017-0010" and holds the same words, but not as that phrase."""
    words = [m.group().strip(".-/") for m in _WORD.finditer(question)]
    out: set[str] = set()
    for i, w in enumerate(words[1:], start=1):
        before = words[i - 1]
        if w in ids and before.lower() not in STOPWORDS and before.lower() not in GLUE:
            out |= terms.documents_with(f"{before} {w}")
    return out


def _context_scores(
    question: str, names: list[str], candidates: set[str], terms: DocumentTerms, n_docs: int
) -> dict[str, float]:
    """For each candidate, the idf of the question's other words it holds ("recall", "precision",
    "twice" beside "GREEN"): the share of the question a document can speak to."""
    named = {t for w in names for t in fts_tokens(w)}
    words = [t for t in dict.fromkeys(fts_tokens(question)) if len(t) >= 3 and t not in named]
    out: dict[str, float] = {}
    for word in words:
        if word in STOPWORDS or word in GLUE:
            continue
        docs = terms.documents_with(word)
        if not docs & candidates:
            continue
        idf = math.log(1 + n_docs / len(docs))
        for d in docs & candidates:
            out[d] = out.get(d, 0.0) + idf
    return out
