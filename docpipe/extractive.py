"""Answer "what is the X" questions with the best-supported line, no LLM.

Lines are scored by the question's content words they contain (whole tokens, so
"subtotal" never answers "total"), preferring lines that carry a value when the question
asks for one. Used alone (`--mode extractive`) and as the fallback when an LLM's answer is
not supported by the passages it was given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from docpipe.index.chunking import SpanLine
from docpipe.index.store import StoredChunk

_TOKEN = re.compile(r"[a-z0-9]+")
STOPWORDS = frozenset(
    """a an and are as at be by can could did do does for from had has have how i in is it its me my of on or our
    please show tell that the their there these this to was we were what when where which who whom why will with
    would you your document documents file page pdf""".split()
)
_VALUE_WORDS = frozenset("total amount due date number price cost tax subtotal balance sum how much".split())


def content_words(text: str) -> set[str]:
    return {_stem(t) for t in _TOKEN.findall(text.lower()) if t not in STOPWORDS}


def _stem(t: str) -> str:
    return t[:-1] if len(t) > 3 and t.endswith("s") and not t.endswith("ss") else t


@dataclass(frozen=True)
class LineAnswer:
    text: str
    line: SpanLine
    chunk: StoredChunk
    score: float


def best_line(question: str, chunks: list[StoredChunk]) -> LineAnswer | None:
    q = content_words(question)
    if not q:
        return None
    wants_value = bool(q & _VALUE_WORDS)
    best: LineAnswer | None = None
    for rank, chunk in enumerate(chunks):
        doc_words = content_words(chunk.document)
        doc_bonus = 0.5 * len(q & doc_words)  # "the ACME invoice" points at that document
        for span in chunk.spans:
            for line in span.lines or [SpanLine(text=span.text, page=span.page, bbox=span.bbox)]:
                words = content_words(line.text)
                hits = len(q & words)
                if hits == 0:
                    continue
                score = hits + doc_bonus - 0.01 * rank
                if wants_value:
                    score += 0.5 if re.search(r"\d", line.text) else -1.0
                # Short, focused lines ("Total Due: $1,234.56") beat long ones mentioning the words.
                score -= 0.02 * max(0, len(words) - 6)
                if best is None or score > best.score:
                    best = LineAnswer(line.text.strip(), line, chunk, score)
    min_hits = 1 if len(q) <= 2 else 2
    if best is None or best.score < min_hits - 0.5:
        return None
    return best
