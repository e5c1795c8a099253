"""The value a question asks for, read off a "label value" line of a document: "TOTAL: 93.00",
"Brutto | 104,00 €", "تاريخ پذيرش 1403/10/04".

A small model finds the right document and states a value of the asked kind, but often the
one on the neighbouring line or of another document: "59.00" (another restaurant's total)
for the PANDAH INDAH receipt's "TOTAL: 93.00", "1403/09/19" (the date documents were handed
in) for the date of admission two lines below (measured on realdocs with the 0.5B model).
When one value of the asked kind (an amount, a date, a count) sits after the label that
names the question more closely than any other label with another value, it is that value.
Words match whole, or as the head or tail of a compound ("Brutto" in "Bruttobetrag",
"Total" in "Subtotal"); Arabic and Persian letter forms are one (ي/ی, ك/ک).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from docpipe.answer.answer_kind import Kind, value_spans
from docpipe.answer.extractive import DOC_TYPE_WORDS, SYNONYMS
from docpipe.index.chunking import SpanLine
from docpipe.index.focus import GLUE
from docpipe.index.records import StoredChunk
from docpipe.index.terms import STOPWORDS

_WORD = re.compile(r"[^\W\d_]+", re.U)
_LETTERS = str.maketrans({"ي": "ی", "ك": "ک", "ى": "ی", "ة": "ه"})
COMPOUND_PART = 5  # letters a word needs to count as the head or tail of a compound
MAX_LABEL_WORDS = 6  # a label, not a sentence that happens to end in a figure


# One word for what labels say in the documents' languages: "Bruttosumme" is the amount
# "including VAT" (the taxi invoice's total, realdocs), "Handelsrechnung Nr." the invoice's number.
_CONCEPTS = {
    "brutto": "gross",
    "gross": "gross",
    "ttc": "gross",
    "rechnung": "invoice",
    "invoice": "invoice",
    "facture": "invoice",
    "factura": "invoice",
    "factuur": "invoice",
    "nummer": "number",
}
_GROSS = re.compile(
    r"\b(?:includ\w*|incl|inkl|inklusive|einschlie\w*)\.?\s+(?:vat|tax\w*|mwst|ust|umsatzsteuer)\b"
    r"|\btax(?:es)? included\b|\btoutes taxes comprises\b|\biva incluido\b"
)


def words(text: str) -> set[str]:
    """Lower-cased letter words, Arabic-script letter forms unified, glue and stopwords out;
    with the concept a word or the head or tail of a compound names (_CONCEPTS)."""
    low = text.lower().translate(_LETTERS)
    raw = _WORD.findall(low)
    out = {SYNONYMS.get(w, w) for w in raw}
    out |= {c for w in raw for root, c in _CONCEPTS.items() if w == root or (len(root) > 3 and same_word(root, w))}
    if _GROSS.search(low):
        out.add("gross")
    return {w for w in out if len(w) >= 2 and w not in STOPWORDS and w not in GLUE}


def same_word(a: str, b: str) -> bool:
    """Equal, or one the head or tail of the other as a compound ("brutto"/"bruttobetrag")."""
    if a == b:
        return True
    short, long_ = sorted((a, b), key=len)
    return len(short) >= COMPOUND_PART and (long_.startswith(short) or long_.endswith(short))


def shared(asked: set[str], said: set[str]) -> int:
    """How many of the asked words the text says (compounds matched by head or tail)."""
    return sum(any(same_word(q, w) for w in said) for q in asked)


@dataclass(frozen=True)
class Labelled:
    value: str
    chunk: int  # index into the chunks given
    line: SpanLine
    score: int  # asked words in the label


def _lines(chunk: StoredChunk) -> list[SpanLine]:
    return [ln for span in chunk.spans for ln in span.lines_or_whole()]


def labelled_values(question: str, kind: Kind, chunks: Sequence[StoredChunk], documents: set[str]) -> list[Labelled]:
    """Every "label value" line of the given documents' chunks with a value of `kind`, its
    label scored by the question's words it says (the document-type words left out: every
    line of an invoice is the invoice's)."""
    asked = _asked(question, kind)
    stated = {_digits(f) for f in re.findall(r"\d[\d.,/-]*", question)}  # "1124" of "OLMo 2 1124" answers nothing
    out: list[Labelled] = []
    for i, chunk in enumerate(chunks):
        if chunk.document not in documents:
            continue
        for line in _lines(chunk):
            spans = value_spans(line.text, kind)
            if not spans:
                continue
            start, end = spans[-1]  # the value after its label
            label = line.text[:start]
            if len(label.split()) > MAX_LABEL_WORDS or _digits(line.text[start:end]) in stated:
                continue  # a sentence that happens to end in a figure
            score = shared(asked, words(label))
            if score:
                out.append(Labelled(line.text[start:end].strip(), i, line, score))
    if kind in (Kind.AMOUNT, Kind.DATE):  # bare counts and codes beside a name are no such pairs
        out += _row_pairs(asked, kind, chunks, documents, stated)
    return out


def _row_pairs(
    asked: set[str], kind: Kind, chunks: Sequence[StoredChunk], documents: set[str], stated: set[str]
) -> list[Labelled]:
    """A label and its value laid out as two lines of one row: the label on the left, the
    value alone on a line to its right at the same height ("Rechnungsbetrag" ... "1.163,40 €":
    the parser read the labels column and the amounts column apart, measured on realdocs,
    where the model took the tax 163,40 beside it for the total)."""
    labels: list[tuple[SpanLine, int]] = []
    values: list[tuple[int, SpanLine, str]] = []
    for i, chunk in enumerate(chunks):
        if chunk.document not in documents:
            continue
        for line in _lines(chunk):
            spans = value_spans(line.text, kind)
            if spans and not _WORD.search(line.text[: spans[-1][0]]):
                value = line.text[slice(*spans[-1])].strip()
                if _digits(value) not in stated:
                    values.append((i, line, value))
            elif not spans and len(line.text.split()) <= MAX_LABEL_WORDS:
                score = shared(asked, words(line.text))
                if score:
                    labels.append((line, score))
    out = []
    for i, line, value in values:
        beside = [(lab, score) for lab, score in labels if _same_row(lab, line)]
        if beside:
            _, score = max(beside, key=lambda b: b[0].bbox.x1)  # the nearest label to its left
            out.append(Labelled(value, i, line, score))
    return out


def _same_row(label: SpanLine, value: SpanLine) -> bool:
    """The label ends left of the value and their heights overlap by half the smaller one."""
    a, b = label.bbox, value.bbox
    overlap = min(a.y1, b.y1) - max(a.y0, b.y0)
    return label.page == value.page and a.x1 <= b.x0 and overlap >= 0.5 * min(a.y1 - a.y0, b.y1 - b.y0) > 0


def best_labelled(question: str, kind: Kind, chunks: Sequence[StoredChunk], documents: set[str]) -> Labelled | None:
    """The value after the label that names the question best, when every label scoring as
    well gives the same value ("Subtotal : 93.00", "TOTAL: 93.00"); None when none or tied."""
    found = labelled_values(question, kind, chunks, documents)
    if not found:
        return None
    top = max(f.score for f in found)
    best = [f for f in found if f.score == top]
    if len({_digits(f.value) for f in best}) > 1:
        return None
    return best[0]


def label_score(question: str, line: str, kind: Kind) -> int:
    """The score of the label before the last value of `kind` on `line` (0 if none)."""
    spans = value_spans(line, kind)
    if not spans:
        return 0
    return shared(_asked(question, kind), words(line[: spans[-1][0]]))


def _asked(question: str, kind: Kind) -> set[str]:
    """The question's words a label may say; the document type only for a code, whose label
    it tells apart ("Rechnung Nr." from "USt.-Id.-Nr.", "Kundennummer")."""
    said = words(question)
    return said if kind is Kind.CODE else said - DOC_TYPE_WORDS


def _digits(s: str) -> str:
    return re.sub(r"\D", "", s)
