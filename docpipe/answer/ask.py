"""ask = retrieve (with the document step) + prompt + generate + ground + cite.

The model reads numbered passages and replies with a short answer and the numbers of the
passages it used; citations are those passages' lines (page and box). An answer is accepted
only when grounded: the figures and names it states are in the passages it cites. Otherwise
the fallback endpoint is asked, if configured, else docpipe says it does not know. A
question that names something no document holds ("the Starbucks receipt") is refused
before any model runs.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Sequence
from typing import Protocol

from pydantic import BaseModel

from docpipe.answer.answer_kind import Kind, asked_kind, first_fact, fits, is_label, pasted
from docpipe.answer.extractive import DOC_TYPE_WORDS, LineAnswer, best_line, content_words
from docpipe.answer.labelled import best_labelled, label_score
from docpipe.answer.prompt import (
    ANSWER_CHARS,
    REFUSAL,
    YES_NO_QUESTION,
    AnswerStream,
    answer_schema,
    build_messages,
    is_injection,
    parse_reply,
)
from docpipe.answer.request import AskMode
from docpipe.answer.select import needs_whole
from docpipe.answer.table_lookup import table_answer
from docpipe.answer.tidy import fact_of, tidy
from docpipe.index.chunking import SpanLine
from docpipe.index.focus import GLUE
from docpipe.index.records import AskLog, Hit, Retrieval, SearchFilter, StoredChunk
from docpipe.index.terms import STOPWORDS
from docpipe.llm.base import Generator

logger = logging.getLogger("docpipe.ask")

Mode = AskMode  # the old name; a str of the same value compares equal
NOT_FOUND = "I don't know: the documents do not contain the answer."
PASSAGE_BUDGET = 1000  # tokens of passages: what two CPU cores read in a few seconds


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
_NAME = re.compile(r"\b[A-ZÄÖÜÀ-Þ][\w&.-]{2,}")
_YES_NO = re.compile(r"^(yes|no|ja|nein|oui|non|sí|si)\b", re.I)


def _norm_figure(s: str) -> str:
    return re.sub(r"[^\d]", "", s)


def _figures(text: str) -> set[str]:
    return {f for f in (_norm_figure(m) for m in _FIGURE.findall(text)) if f}


_IDENTIFIER = re.compile(r"\b(?=[\w-]*\d)(?=[\w-]*[A-Za-z])[\w][\w-]{3,}\b")


def _identifiers(text: str) -> set[str]:
    """Tokens mixing letters and digits (invoice, order and account numbers)."""
    return {m.lower() for m in _IDENTIFIER.findall(text)}


# A currency code the model adds to a figure ("7.00 EUR") names nothing the passage must hold.
CURRENCY_CODES = frozenset("eur usd gbp chf jpy cny inr myr sgd aud cad sek nok dkk pln czk krw rub brl mxn".split())


def _names(text: str) -> set[str]:
    """Capitalised words that are not glue ("The", "What"): names the answer asserts."""
    words = (m.lower().strip(".-") for m in _NAME.findall(text))
    return {w for w in words if w not in STOPWORDS and w not in GLUE and w not in CURRENCY_CODES}


def is_refusal(answer: str) -> bool:
    low = answer.lower()
    return not low.strip() or "don't know" in low or "do not know" in low or low.startswith(REFUSAL.lower())


def grounding_passages(
    answer: str, chunks: list[StoredChunk], cited: list[int], question: str = "", named: Sequence[str] = ()
) -> list[int]:
    """Passages (indices) that back the answer: the cited ones that hold its figures and names
    (one of them, or together for a list; else a passage of a cited or named document that
    does; else, when no document is named, the one document holding the answer's identifier).
    Empty when the answer is a refusal or states a figure or name the cited documents do not
    hold (made up, taken from the question, or read off another document: the cafe's tax for a
    question about the market receipt)."""
    if is_refusal(answer):
        return []
    texts = [c.text.lower() for c in chunks]
    figures = _figures(answer)
    names = _names(answer) - _names(question) if question else _names(answer)

    words = [set(re.findall(r"\w+", t)) for t in texts]

    def has_names(i: int) -> bool:
        return all(set(re.findall(r"\w+", n)) <= words[i] for n in names)

    def holds(i: int) -> bool:
        return figures <= _figures(chunks[i].text) and has_names(i)

    if _YES_NO.match(answer):  # yes/no: only to a yes/no question, citing a passage about it
        if not YES_NO_QUESTION.match(question.strip()):
            return []
        asked = content_words(question) - DOC_TYPE_WORDS
        return [i for i in cited if asked & content_words(chunks[i].text)]
    if figures or names:
        if named:  # the question names its documents: another document's figure never answers
            cited = [i for i in cited if chunks[i].document in named]  # (SmolLM2 gave the scan's total for ACME)
        good = [i for i in cited if holds(i)]
        if good:
            return good
        # The facts of a list or comparison may sit in several cited passages together.
        joined = " ".join(texts[i] for i in cited)
        together: set[str] = set().union(*(words[i] for i in cited))
        if cited and figures <= _figures(joined) and all(set(re.findall(r"\w+", n)) <= together for n in names):
            return cited
        # A small model may misnumber a passage: a passage that holds the facts, of a cited
        # document or of one the question names ("the ACME invoice"), is cited instead.
        # Any other document's never is (the cafe's tax for a question on the market receipt).
        read = set(named) or {chunks[i].document for i in cited}
        found = [i for i in range(len(chunks)) if chunks[i].document in read and holds(i)][:1]
        if found or named:
            return found
        # No document named: an identifier in the answer (letters and digits: INV-2024-0117)
        # that one document alone holds places it there. Bare amounts never do: the cafe's
        # $1.23 of tax must not answer for the market receipt.
        ids = _identifiers(answer)
        holders = [i for i in range(len(chunks)) if holds(i) and ids <= _identifiers(chunks[i].text)]
        if ids and len({chunks[i].document for i in holders}) == 1:
            return holders[:1]
        # Or the one passage holding the figures under a title or heading that names what the
        # question asks about: the model read the "Freshwater Ducks" table, passage 1, and
        # cited 2, an invoice (realdocs). A receipt's heading never names a tax or a total.
        asked = content_words(question) - DOC_TYPE_WORDS
        titled = [i for i in range(len(chunks)) if holds(i) and asked & _title_words(chunks[i])]
        return titled if len(titled) == 1 else []
    said = content_words(answer)  # a summary or a phrase: most of its words in what it cites

    def says(i: int) -> bool:
        return len(said & content_words(chunks[i].text)) >= max(1, len(said) // 2)

    good = [i for i in cited if says(i)]
    if good or not said:
        return good
    # As for figures: a misnumbered passage of a cited or named document ("GBP" for the
    # currency, written in the invoice's passage next to the one the model cited).
    read = set(named) or {chunks[i].document for i in cited}
    return [i for i in range(len(chunks)) if chunks[i].document in read and says(i)][:1]


def restates(answer: str, question: str) -> bool:
    """The answer opens with the question's own words and states no figure the question lacks
    ("The Latin professor at Hampden-Sydney College looked up one of the more obscure Latin
    words..."): it repeats what was asked instead of answering it (the 0.5B model does,
    measured on realdocs). An answer that opens with anything of its own ("Richard
    McClintock", "The professor was ...") does not."""
    opening = [w for w in re.findall(r"\w+", answer.lower()) if w not in STOPWORDS][:4]
    asked = set(re.findall(r"\w+", question.lower()))
    return len(opening) >= 3 and set(opening) <= asked and _figures(answer) <= _figures(question)


def _answers_kind(answer: str, question: str, passages: str) -> bool:
    """The model's answer is the kind of fact asked for (docpipe.answer.answer_kind): not a
    pasted passage, not a field's label, an amount for an amount, a date for a date."""
    kind = asked_kind(question)
    why = (
        "pasted"
        if pasted(answer, question)
        else "a label"
        if is_label(answer, question, passages)
        else f"not a {kind}"
        if not fits(answer, kind, passages)
        else ""
    )
    if why:
        logger.debug("the answer %r is %s: no answer as it stands", answer, why)
    return not why


def _locate(answer: str, chunk: StoredChunk) -> SpanLine:
    """The line of a chunk that best holds the answer: its figures first, then its words."""
    figures = _figures(answer)
    words = content_words(answer)
    best: tuple[float, SpanLine] | None = None
    for span in chunk.spans:
        for line in span.lines_or_whole():
            score = 3 * len(figures & _figures(line.text)) + len(words & content_words(line.text))
            if best is None or score > best[0]:
                best = (score, line)
    assert best is not None
    return best[1]


def _title_words(chunk: StoredChunk) -> set[str]:
    """Content words of the passage's title and heading (its context line after the file
    name: "paper.pdf — DocLayNet — Results"), not of its document type."""
    head = chunk.text.partition("\n")[0]
    if not head.startswith(chunk.document):
        return set()
    return content_words(head[len(chunk.document) :]) - DOC_TYPE_WORDS


def _about(question: str, chunk: StoredChunk, line: SpanLine, named: Sequence[str] = ()) -> bool:
    """The line holding the answer's figure, or the line before it (a label above its value),
    shares a word or a figure with the question. A figure on a line about something else is
    no answer, however grounded: "10,83" (a price) for "How many employees...", "78.7M" (a
    table's token count) for "What peak learning rate...", measured on realdocs. The words
    naming a document the question names do not count: every line of the Bouygues invoice
    names Bouygues, so "1" on one of them is no employee count. A figure of the question's
    does count: "2022 | 170" answers "How many ducks were counted in 2022?". A question
    with no Latin-script word (Persian) cannot be compared this way and passes."""
    asked = content_words(question)
    if not asked:
        return True
    naming = {w for d in named for w in content_words(re.sub(r"[_\W]+", " ", d.rsplit(".", 1)[0]))}
    asked = (asked - naming) or asked
    texts = [ln.text for span in chunk.spans for ln in (span.lines or [])]
    at = texts.index(line.text) if line.text in texts else 0
    near = " ".join(texts[max(0, at - 1) : at + 1] or [line.text])
    return bool(asked & content_words(near)) or bool(_figures(question) & _figures(line.text))


def _by_label(
    question: str,
    replied: str,
    text: str,
    lines: list[tuple[int, SpanLine]],
    used: list[StoredChunk],
    cited: list[int],
    named: Sequence[str],
) -> tuple[str, list[tuple[int, SpanLine]]]:
    """The value after the label that names the question best (docpipe.answer.labelled), in
    the document the question names or the model cited, for a question asking for an amount,
    a date or a count that the model answered: instead of a refusal (the model read another
    document's total, or a value of the wrong kind) or of a value whose own label names the
    question less ("1403/09/19" after "date of submission" for the date of admission). Only
    when the model's figure is one a passage holds: it read a value, the wrong one."""
    kind = asked_kind(question)
    read = _figures(replied)
    if kind is None or not read or not any(read <= _figures(c.text) for c in used):
        return text, lines  # a figure no passage holds was made up: refused, never replaced
    docs = set(named) or {used[i].document for i in cited}
    if len(docs) != 1:
        return text, lines  # which document is asked about is not settled
    best = best_labelled(question, kind, used, docs)
    if best is None:
        return text, lines
    if lines:
        held = max(label_score(question, ln.text, kind) for _, ln in lines)
        if best.score <= held or _norm_figure(best.value) in _figures(text):
            return text, lines
    logger.debug("the value %r after the label that names the question stands for %r", best.value, text)
    return best.value, [(best.chunk, best.line)]


def _citation(chunk: StoredChunk, line: SpanLine) -> Citation:
    return Citation(document=chunk.document, page=line.page, bbox=line.bbox.as_list(), text=line.text)


def _concise(text: str) -> str:
    """One line, at most ANSWER_CHARS characters, cut at a word."""
    text = re.sub(r"\s+", " ", text).strip().rstrip(",;")
    if len(text) <= ANSWER_CHARS:
        return text
    return text[:ANSWER_CHARS].rsplit(" ", 1)[0].rstrip(",;:") + "…"


GeneratorFactory = Callable[[], Generator]


class Retriever(Protocol):
    """What answering needs of retrieval (docpipe.index.search.Retriever is one): answering
    stays free of the store and its SQLite."""

    def search(self, query: str, k: int = 5, flt: SearchFilter | None = None) -> list[Hit]: ...


def unknown_subject(r: Retrieval) -> bool:
    """Most of the names in the question are in no document: "the total of invoice INV-100 from
    Contoso Ltd" over documents that never say INV-100 or Contoso (a stray "Ltd" elsewhere
    does not make it answerable)."""
    return bool(r.names) and 2 * len(r.unmatched_names) > len(r.names)


class Asker:
    """auto and llm: the LLM over the retrieved passages, accepted only when grounded, else
    the fallback endpoint if one is configured, else "I don't know"; extractive: the
    best-supported line, no LLM (also what auto does when no generator is configured).
    Every answer is logged."""

    def __init__(
        self,
        retriever: Retriever,
        generator: GeneratorFactory | None,
        *,
        fallback: GeneratorFactory | None = None,
        log: Callable[[AskLog], None] | None = None,
        answer_tokens: int = 160,
        passage_budget: int = PASSAGE_BUDGET,
    ) -> None:
        self.retriever = retriever
        self.generator = generator
        self.fallback = fallback
        self.log = log
        self.answer_tokens = answer_tokens
        self.passage_budget = passage_budget

    def retrieve(self, question: str, k: int, flt: SearchFilter | None) -> Retrieval:
        retrieve = getattr(self.retriever, "retrieve", None)
        if retrieve is not None:
            found: Retrieval = retrieve(question, k=k, flt=flt)
            return found
        return Retrieval(self.retriever.search(question, k=k, flt=flt))

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
        found = self.retrieve(question, k, flt)
        chunks = [h.chunk for h in found.hits]
        if mode == "extractive" or self.generator is None:
            answer = self._extractive(best_line(question, chunks[:k]), t0)
            self._log(question, answer, "extractive", chunks[:k], 0, 0)
            return answer
        if unknown_subject(found):
            answer = Answer(
                answer=NOT_FOUND,
                citations=[],
                model="retrieval",
                grounded=False,
                mode="llm",
                latency_s=time.perf_counter() - t0,
            )
            self._log(question, answer, "retrieval", chunks[:k], 0, 0)
            return answer
        named = found.named_documents
        if mode == AskMode.AUTO:
            fast = self._labelled(question, chunks, named, t0, on_token)
            if fast is not None:
                self._log(question, fast, "labelled", chunks, 0, 0)
                return fast
        answer, used, tokens = self._generate(self.generator(), question, chunks, t0, on_token, named)
        route = "primary"
        if not answer.grounded and self.fallback is not None:
            logger.info("primary model %s gave no grounded answer; asking the fallback", answer.model)
            answer, used, tokens = self._generate(self.fallback(), question, chunks, t0, on_token, named)
            route = "fallback"
        self._log(question, answer, route, used, *tokens)
        return answer

    def _labelled(
        self,
        question: str,
        chunks: list[StoredChunk],
        named: Sequence[str],
        t0: float,
        on_token: Callable[[str], None] | None,
    ) -> Answer | None:
        """The fast path that skips the model: for an amount asked of the one document the
        question names, the value after the label that names the question best
        (docpipe.answer.labelled). On realdocs it answered 10 of 46 questions, all 10 right
        (the model too); for counts it gave 1 answer, wrong ("4" class labels), so counts,
        dates and unnamed documents still go to the model."""
        if asked_kind(question) != Kind.AMOUNT or len(named) != 1:
            return None
        best = best_labelled(question, Kind.AMOUNT, chunks, set(named))
        if best is None or is_injection(best.line.text):
            return None
        if on_token is not None:
            on_token(best.value)
        return Answer(
            answer=best.value,
            citations=[_citation(chunks[best.chunk], best.line)],
            model="labelled",
            grounded=True,
            mode="llm",
            latency_s=time.perf_counter() - t0,
        )

    def _generate(
        self,
        generator: Generator,
        question: str,
        chunks: list[StoredChunk],
        t0: float,
        on_token: Callable[[str], None] | None,
        named: Sequence[str] = (),
    ) -> tuple[Answer, list[StoredChunk], tuple[int, int]]:
        messages, used = build_messages(
            question,
            chunks,
            window=generator.context_window,
            answer_tokens=self.answer_tokens,
            budget=self.passage_budget,
            count=generator.count_tokens,
        )
        schema = answer_schema(len(used))
        if on_token is None:
            gen = generator.generate(messages, max_tokens=self.answer_tokens, temperature=0.0, json_schema=schema)
            raw, model, tokens = gen.text, gen.model, (gen.prompt_tokens, gen.completion_tokens)
        else:
            shown = AnswerStream(on_token)
            for piece in generator.stream(messages, max_tokens=self.answer_tokens, temperature=0.0, json_schema=schema):
                shown.feed(piece)
            raw, model, tokens = shown.raw, generator.name, (0, 0)
        logger.debug("model %s replied %r to %d passages", model, raw, len(used))
        text, numbers = parse_reply(raw)
        read = "\n".join(c.text for c in used)
        text = _concise(tidy(text, read))
        cited = [n - 1 for n in dict.fromkeys(numbers) if 0 < n <= len(used)]
        replied = text
        cell = table_answer(question, text, used)  # the neighbouring cell read for the one asked
        if cell is not None:
            logger.debug("the question names the cell %r of the table %r was read from", cell.value, text)
            text, cited = cell.value, [cell.chunk, *(i for i in cited if i != cell.chunk)]
        elif restates(text, question):  # no fact: the line that best answers it, from what the model read
            line = best_line(question, used)
            if line is not None:
                logger.debug("the answer %r restates the question; the line %r stands instead", text, line.text)
                text, cited = _concise(line.text), [used.index(line.chunk)]
        elif not is_refusal(text) and not _answers_kind(text, question, read):
            kept = first_fact(text, question, read) if pasted(text, question) else None
            if kept is not None and _answers_kind(kept, question, read):
                logger.debug("the pasted answer %r is cut to its first sentence %r", text, kept)
                text = kept
            else:
                text, cited = NOT_FOUND, []
        backing = grounding_passages(text, used, cited, question, named)
        lines = [(i, _locate(text, used[i])) for i in backing]
        # A figure is cited where the passage says what it is a figure of; not in a list or a
        # summary, whose figures belong to its items ("Cappuccino $7.50" for "What did I buy?").
        if _figures(text) and not needs_whole(question):
            lines = [(i, ln) for i, ln in lines if _about(question, used[i], ln, named)]
        if not is_refusal(replied):
            text, lines = _by_label(question, replied, text, lines, used, cited, named)
        latency = time.perf_counter() - t0
        if not lines or is_injection(text):
            refused = Answer(answer=NOT_FOUND, citations=[], model=model, grounded=False, mode="llm", latency_s=latency)
            return refused, used, tokens
        cites = [_citation(used[i], ln) for i, ln in lines]
        stated = fact_of(text, question)
        return (
            Answer(answer=stated, citations=cites, model=model, grounded=True, mode="llm", latency_s=latency),
            used,
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
