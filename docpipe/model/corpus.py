"""The text a home holds, for continued pretraining: each stored document's chunks in reading
order (without the context line chunking puts first), a tenth of the documents held out."""

from __future__ import annotations

import math
from dataclasses import dataclass

from docpipe.config import Home
from docpipe.errors import ModelBuildError, NothingIngestedError
from docpipe.index.chunking import chunk_body
from docpipe.index.store import Store


@dataclass(frozen=True)
class DocText:
    sha256: str
    name: str
    text: str


@dataclass(frozen=True)
class Corpus:
    train: list[DocText]
    held_out: list[DocText]


def split(docs: list[DocText], held_out: float = 0.1) -> Corpus:
    """Hold out ⌈fraction·n⌉ documents (at least one), chosen by content hash: the same home gives
    the same split on every run and machine, whatever the file names or ingest order."""
    by_hash = sorted(docs, key=lambda d: d.sha256)
    k = max(1, math.ceil(len(docs) * held_out - 1e-9))
    held = {d.sha256 for d in by_hash[:k]}
    return Corpus([d for d in docs if d.sha256 not in held], [d for d in docs if d.sha256 in held])


def home_corpus(home: Home, held_out: float = 0.1) -> Corpus:
    if not home.has_store():
        raise NothingIngestedError(str(home))
    with Store(home.store) as store, store.snapshot():
        docs = [
            DocText(sha, name, "\n".join(chunk_body(t) for t in texts))
            for sha, name, texts in store.documents.reading_texts()
        ]
    docs = [d for d in docs if d.text.strip()]
    if len(docs) < 2:
        raise ModelBuildError(
            f"{home}: adapt needs at least 2 documents with text (one to learn from, one held out), "
            f"the store has {len(docs)}: ingest more with `docpipe ingest PATH`"
        )
    return split(docs, held_out)
