"""The text a home holds, for continued pretraining: each stored document's chunks in reading
order (without the context line chunking puts first), a tenth of it held out.

What is held out depends on how many documents there are. From 10 documents on, a tenth of the
documents (⌈n/10⌉, chosen by content hash) is held out whole: the issue's rule, and a measure of
how the model does on documents it never saw. Below 10, one document is more than a tenth of the
home and a poor sample of it (three samples of two genres held out an English invoice after
training on a German one and an article, and adapting *raised* its perplexity): then every
document keeps its first 90 % in reading order for training and its last tenth is held out, so
the held-out text has every document's kind in proportion, and no trained text follows it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from docpipe.config import Home
from docpipe.errors import ModelBuildError, NothingIngestedError
from docpipe.index.chunking import chunk_body
from docpipe.index.store import Store

WHOLE_DOCUMENTS_FROM = 10  # with fewer documents, a tenth of each document's text is held out
Split = Literal["documents", "text"]


@dataclass(frozen=True)
class DocText:
    sha256: str
    name: str
    text: str


@dataclass(frozen=True)
class Corpus:
    train: list[DocText]
    held_out: list[DocText]  # whole documents, or the last tenth of each one (split == "text")
    split: Split = "documents"

    @property
    def documents(self) -> int:
        return len({d.sha256 for d in self.train} | {d.sha256 for d in self.held_out})


def split(docs: list[DocText], held_out: float = 0.1) -> Corpus:
    """The same home gives the same split on every run and machine, whatever the file names or
    the ingest order."""
    if len(docs) >= WHOLE_DOCUMENTS_FROM:
        by_hash = sorted(docs, key=lambda d: d.sha256)
        k = max(1, math.ceil(len(docs) * held_out - 1e-9))
        held = {d.sha256 for d in by_hash[:k]}
        return Corpus([d for d in docs if d.sha256 not in held], [d for d in docs if d.sha256 in held])
    train, tails = [], []
    for d in docs:
        head, tail = cut_tail(d.text, held_out)
        train.append(DocText(d.sha256, d.name, head))
        if tail:
            tails.append(DocText(d.sha256, d.name, tail))
    return Corpus([d for d in train if d.text], tails, "text")


def cut_tail(text: str, share: float) -> tuple[str, str]:
    """(head, tail): the tail is the last whole lines holding at least `share` of the characters,
    at least one line; a one-line text stays whole (nothing to learn it from)."""
    lines = text.splitlines()
    if len(lines) < 2:
        return text, ""
    want = share * len(text)
    k, size = 0, 0
    while k < len(lines) - 1 and (k == 0 or size < want):
        k += 1
        size += len(lines[-k]) + 1
    return "\n".join(lines[:-k]), "\n".join(lines[-k:])


def home_corpus(home: Home, held_out: float = 0.1) -> Corpus:
    if not home.has_store():
        raise NothingIngestedError(str(home))
    with Store(home.store) as store, store.snapshot():
        docs = [
            DocText(sha, name, "\n".join(chunk_body(t) for t in texts))
            for sha, name, texts in store.documents.reading_texts()
        ]
    docs = [d for d in docs if d.text.strip()]
    corpus = split(docs, held_out)
    if not corpus.train or not corpus.held_out:
        raise ModelBuildError(
            f"{home}: adapt needs text to learn from and text to hold out, the store has {len(docs)} "
            f"document(s) with text ({sum(len(d.text) for d in docs)} characters): ingest more with "
            "`docpipe ingest PATH`"
        )
    return corpus
