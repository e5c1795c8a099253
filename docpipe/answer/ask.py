"""ask = retrieve + prompt + generate + cite.

Citations only ever point at passages the model was given, and an answer is accepted as
grounded only when the figures it states appear in those passages; otherwise the
best-supported line (extractive) answers, or docpipe says it does not know.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from typing import Protocol

from pydantic import BaseModel

from docpipe.answer.extractive import DOC_TYPE_WORDS, LineAnswer, best_line, content_words
from docpipe.answer.prompt import build_messages, is_injection
from docpipe.answer.request import AskMode
from docpipe.index.chunking import SpanLine
from docpipe.index.records import AskLog, Hit, SearchFilter, StoredChunk
from docpipe.llm.base import Generator

logger = logging.getLogger("docpipe.ask")

Mode = AskMode  # the old name; a str of the same value compares equal
NOT_FOUND = "I don't know: the documents do not contain the answer."


class Citation(BaseModel):
    """A citation at the JSON edge (the `ask --json` contract): the box as [x0, y0, x1, y1]."""

    document: str
    page: int
    bbox: list[float]
    text: str


class Answer(BaseModel):
    answer: str
    citations: list[Citation]
    model: str
    grounded: bool
    mode: str
    latency_s: float = 0.0

    def contract(self) -> dict[str, object]:
        """The JSON of `docpipe ask --json` and of the server's /api/ask (DESIGN.md)."""
        return self.model_dump(exclude={"latency_s", "mode"})


_FIGURE = re.compile(r"\d[\d.,:/\-]*\d|\d")


def _norm_figure(s: str) -> str:
    return re.sub(r"[^\d]", "", s)


def _figures(text: str) -> set[str]:
    return {f for f in (_norm_figure(m) for m in _FIGURE.findall(text)) if f}


def grounding_passages(answer: str, chunks: list[StoredChunk], cited: list[int]) -> list[int]:
    """Passages that back the answer: the cited ones if they hold its figures, else the first
    passage that does. Empty when the answer is a refusal or its figures are in no passage
    (a figure the model made up, or took from the question)."""
    if not answer.strip() or "don't know" in answer.lower() or "do not know" in answer.lower():
        return []
    figures = _figures(re.sub(r"\[\d+\]", "", answer))
    if figures:
        holds = [i for i, c in enumerate(chunks) if figures <= _figures(c.text)]
        good = [i for i in cited if i in holds]
        return good or holds[:1]
    words = content_words(answer)
    overlap = [i for i, c in enumerate(chunks) if len(words & content_words(c.text)) >= max(1, len(words) // 2)]
    return [i for i in cited if i in overlap] or overlap[:1]


def _cited_indices(text: str, n: int) -> list[int]:
    out: list[int] = []
    for m in re.findall(r"\[(\d+)\]", text):
        i = int(m) - 1
        if 0 <= i < n and i not in out:
            out.append(i)
    return out


def _locate(answer: str, chunk: StoredChunk) -> SpanLine:
    """The line of a chunk that best holds the answer: its figures first, then its words."""
    figures = {_norm_figure(m) for m in _FIGURE.findall(answer)} - {""}
    words = content_words(answer)
    best: tuple[float, SpanLine] | None = None
    for span in chunk.spans:
        for line in span.lines or [SpanLine(text=span.text, page=span.page, bbox=span.bbox)]:
            lf = {_norm_figure(m) for m in _FIGURE.findall(line.text)}
            score = 3 * len(figures & lf) + len(words & content_words(line.text))
            if best is None or score > best[0]:
                best = (score, line)
    assert best is not None
    return best[1]


def _citation(chunk: StoredChunk, line: SpanLine) -> Citation:
    return Citation(document=chunk.document, page=line.page, bbox=line.bbox.as_list(), text=line.text)


GeneratorFactory = Callable[[], Generator]


class Retriever(Protocol):
    """What answering needs of retrieval (docpipe.index.search.Retriever is one): answering
    stays free of the store and its SQLite."""

    def search(self, query: str, k: int = 5, flt: SearchFilter | None = None) -> list[Hit]: ...


class Asker:
    """auto: the best-supported line when one answers the question (exact, instant), else the
    LLM, accepted only when grounded, else the fallback endpoint if one is configured;
    llm: the LLM(s) alone, still checked; extractive: no LLM. Every answer is logged."""

    def __init__(
        self,
        retriever: Retriever,
        generator: GeneratorFactory | None,
        *,
        fallback: GeneratorFactory | None = None,
        log: Callable[[AskLog], None] | None = None,
        answer_tokens: int = 160,
    ) -> None:
        self.retriever = retriever
        self.generator = generator
        self.fallback = fallback
        self.log = log
        self.answer_tokens = answer_tokens

    def ask(
        self,
        question: str,
        *,
        k: int = 5,
        mode: Mode = AskMode.AUTO,
        flt: SearchFilter | None = None,
        on_token: Callable[[str], None] | None = None,
    ) -> Answer:
        t0 = time.perf_counter()
        hits: list[Hit] = self.retriever.search(question, k=k, flt=flt)
        chunks = [h.chunk for h in hits]
        extractive = best_line(question, chunks) if mode != "llm" else None
        if mode == "extractive" or self.generator is None or (mode == "auto" and extractive is not None):
            answer = self._extractive(extractive, t0)
            self._log(question, answer, "extractive", chunks, 0, 0)
            return answer
        answer, used, tokens = self._generate(self.generator(), question, chunks, t0, on_token)
        route = "primary"
        if not answer.grounded and self.fallback is not None:
            logger.info("primary model %s gave no grounded answer; asking the fallback", answer.model)
            answer, used, tokens = self._generate(self.fallback(), question, chunks, t0, on_token)
            route = "fallback"
        self._log(question, answer, route, used, *tokens)
        return answer

    def _generate(
        self,
        generator: Generator,
        question: str,
        chunks: list[StoredChunk],
        t0: float,
        on_token: Callable[[str], None] | None,
    ) -> tuple[Answer, list[StoredChunk], tuple[int, int]]:
        messages, n = build_messages(
            question,
            chunks,
            window=generator.context_window,
            answer_tokens=self.answer_tokens,
            count=generator.count_tokens,
        )
        chunks = chunks[:n]
        if on_token is None:
            gen = generator.generate(messages, max_tokens=self.answer_tokens, temperature=0.0)
            raw, model, tokens = gen.text, gen.model, (gen.prompt_tokens, gen.completion_tokens)
        else:
            pieces = []
            for piece in generator.stream(messages, max_tokens=self.answer_tokens, temperature=0.0):
                on_token(piece)
                pieces.append(piece)
            raw, model, tokens = "".join(pieces), generator.name, (0, 0)
        text = re.sub(r"\s+", " ", raw).strip()
        backing = grounding_passages(text, chunks, _cited_indices(text, len(chunks)))
        clean = re.sub(r"\s*\[\d+\]", "", text).strip()
        lines = [(i, _locate(clean, chunks[i])) for i in backing]
        # The line the answer came from must be about what was asked: a figure copied from an
        # unrelated line ("Due Date: 2024-06-01" for a question about a football match) is no answer.
        asked = content_words(question) - DOC_TYPE_WORDS
        lines = [(i, ln) for i, ln in lines if not asked or asked & content_words(ln.text + " " + chunks[i].text[:200])]
        latency = time.perf_counter() - t0
        if not lines or is_injection(clean):
            return (
                Answer(answer=NOT_FOUND, citations=[], model=model, grounded=False, mode="llm", latency_s=latency),
                chunks,
                tokens,
            )
        cites = [_citation(chunks[i], ln) for i, ln in lines]
        return (
            Answer(answer=clean, citations=cites, model=model, grounded=True, mode="llm", latency_s=latency),
            chunks,
            tokens,
        )

    def _log(self, question: str, answer: Answer, route: str, chunks: list[StoredChunk], p: int, c: int) -> None:
        if self.log is not None:
            self.log(
                AskLog(
                    question=question,
                    answer=answer.answer,
                    mode=answer.mode,
                    model=answer.model,
                    route=route,
                    grounded=answer.grounded,
                    chunk_ids=[ch.id for ch in chunks],
                    latency_s=answer.latency_s,
                    prompt_tokens=p,
                    completion_tokens=c,
                )
            )

    def _extractive(self, found: LineAnswer | None, t0: float) -> Answer:
        if found is None:
            return Answer(
                answer=NOT_FOUND,
                citations=[],
                model="extractive",
                grounded=False,
                mode="extractive",
                latency_s=time.perf_counter() - t0,
            )
        return Answer(
            answer=found.text,
            citations=[_citation(found.chunk, found.line)],
            model="extractive",
            grounded=True,
            mode="extractive",
            latency_s=time.perf_counter() - t0,
        )
