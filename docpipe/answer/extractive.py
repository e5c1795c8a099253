"""Answer "what is the X" questions with the best-supported line, no LLM.

Lines are scored by the question's content words they contain (whole tokens, so
"subtotal" never answers "total"), preferring lines that carry a value when the question
asks for one. Used alone (`--mode extractive`) and as the fallback when an LLM's answer is
not supported by the passages it was given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from docpipe.answer.prompt import is_injection
from docpipe.document import BBox
from docpipe.index.chunking import SpanLine
from docpipe.index.records import StoredChunk
from docpipe.index.terms import STOPWORDS

_TOKEN = re.compile(r"[a-z0-9]+")
_VALUE_WORDS = frozenset("total amount due date number price cost tax subtotal balance sum how much".split())


# Words that say which kind of document is meant, not what is asked about it.
DOC_TYPE_WORDS = frozenset({"invoice", "receipt", "bill", "statement", "rechnung", "quittung", "order"})

# Abbreviations on forms and the words people ask with.
SYNONYMS = {
    "no": "number",
    "nr": "number",
    "num": "number",
    "qty": "quantity",
    "amt": "amount",
    "inv": "invoice",
    "rechnungsnummer": "number",
    "datum": "date",
    "gesamtbetrag": "total",
    "summe": "total",
}


def content_words(text: str) -> set[str]:
    words = (SYNONYMS.get(t, t) for t in _TOKEN.findall(text.lower()))
    return {_stem(t) for t in words if t not in STOPWORDS}


def _stem(t: str) -> str:
    return t[:-1] if len(t) > 3 and t.endswith("s") and not t.endswith("ss") else t


@dataclass(frozen=True)
class LineAnswer:
    text: str
    line: SpanLine
    chunk: StoredChunk
    score: float


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")


def _prose(lines: list[SpanLine]) -> bool:
    """Paragraph text wraps: several long lines. Key-value blocks and table rows do not."""
    return len(lines) >= 2 and sum(len(ln.text.split()) for ln in lines) / len(lines) >= 6


def candidate_units(lines: list[SpanLine]) -> list[SpanLine]:
    """Lines, except that prose is cut into sentences (boxed by the lines each one spans)."""
    if not _prose(lines):
        return lines
    joined, starts = "", []
    for ln in lines:
        starts.append(len(joined))
        joined += ln.text.strip() + " "
    units: list[SpanLine] = []
    pos = 0
    for sentence in _SENTENCE_END.split(joined.strip()):
        begin = joined.find(sentence, pos)
        end = begin + len(sentence)
        pos = end
        covered = [ln for ln, st in zip(lines, starts, strict=True) if st < end and st + len(ln.text) + 1 > begin]
        box = BBox.union_all([c.bbox for c in covered])
        units.append(SpanLine(text=sentence, page=covered[0].page, bbox=box))
    return units


_VALUE_START = re.compile(r"[:]|(?=[$€£¥₹]|\bRM\b|\d)")


def split_label(text: str) -> tuple[str, str]:
    """('Total Due', '$926.64') from 'Total Due $926.64' or 'Total Due: $926.64'."""
    m = _VALUE_START.search(text)
    if not m or m.start() == 0:
        return text, ""
    return text[: m.start()].strip(), text[m.end() :].strip()


def best_line(question: str, chunks: list[StoredChunk]) -> LineAnswer | None:
    q = content_words(question)
    if not q:
        return None
    asked = set(_TOKEN.findall(question.lower()))
    wants_value = bool(q & _VALUE_WORDS) or bool(asked & {"when", "many", "much"})
    best: LineAnswer | None = None
    for rank, chunk in enumerate(chunks):
        # A chunk's first line names its document and title (see chunking): "the Nordlicht
        # invoice" points at that document. A name is decisive; a document type only hints.
        doc_words = content_words(chunk.document + " " + chunk.text.split("\n", 1)[0])
        named = q & doc_words
        doc_bonus = 3.0 * len(named - DOC_TYPE_WORDS) + 0.5 * len(named & DOC_TYPE_WORDS)
        # Words that picked the document are spent: they must not also pick the line.
        q_line = (q - doc_words - DOC_TYPE_WORDS) or q
        for span in chunk.spans:
            for line in candidate_units(span.lines_or_whole()):
                if is_injection(line.text):
                    continue  # text that addresses the model is never an answer
                words = content_words(line.text)
                hits = len(q_line & words)
                if hits == 0:
                    continue
                score = hits + doc_bonus - 0.01 * rank
                label, value = split_label(line.text)
                if value and q_line:
                    # "Invoice No: INV-7" / "Total Due $9.00" name the thing asked for, then give it.
                    score += len(q_line & content_words(label)) / len(q_line)
                if wants_value:
                    score += 0.5 if re.search(r"\d", line.text) else -1.0
                # Short, focused lines ("Total Due: $1,234.56") beat long ones mentioning the words.
                score -= 0.02 * max(0, len(words) - 6)
                if best is None or score > best.score:
                    best = LineAnswer(line.text.strip(), line, chunk, score)
    min_hits = 1 if len(q) <= 3 else 2
    if best is None or best.score < min_hits - 0.5:
        return None
    return best
