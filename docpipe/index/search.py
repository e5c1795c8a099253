"""Hybrid retrieval: dense (FAISS) and keyword (FTS5 BM25) rankings fused by reciprocal rank,
after a document step: the passages of the documents a question names come first."""

from __future__ import annotations

import re

import numpy as np

from docpipe.index.embed import Embedder
from docpipe.index.focus import focus
from docpipe.index.records import Hit, Retrieval, SearchFilter
from docpipe.index.store import Store
from docpipe.index.vectors import VectorIndex

NAMED_DEPTH = 16  # passages of a named document ranked: a short invoice whole, a long one's best
RRF_K = 60  # the constant from Cormack et al. (2009); damps the head of each ranking


EXACT_WEIGHT = 3.0  # an identifier the user typed, found verbatim, outranks any paraphrase
_IDENTIFIER = re.compile(r"[\w$€£.,/-]*\d[\w$€£.,/-]*")


def rrf(rankings: list[list[int]], k: int = RRF_K, weights: list[float] | None = None) -> dict[int, float]:
    scores: dict[int, float] = {}
    for i, ranking in enumerate(rankings):
        w = weights[i] if weights else 1.0
        for rank, cid in enumerate(ranking):
            scores[cid] = scores.get(cid, 0.0) + w / (k + rank + 1)
    return scores


def identifiers(query: str) -> list[str]:
    """Tokens users copy from documents (invoice numbers, amounts, dates): they carry digits."""
    out = []
    for m in _IDENTIFIER.findall(query):
        token = m.strip(".,?!;:")
        if len(token) >= 3:
            out.append(token)
    return out


class Retriever:
    def __init__(self, store: Store, embedder: Embedder, vectors: VectorIndex) -> None:
        self.store = store
        self.embedder = embedder
        self.vectors = vectors

    def dense(self, qvec: np.ndarray, depth: int, flt: SearchFilter) -> list[tuple[int, float]]:
        if flt.empty:
            return self.vectors.search(qvec, depth)
        # Filtered: exact scores over just the allowed chunks, straight from the store.
        ids, mat = self.store.embeddings.for_chunks(self.store.documents.chunk_ids(flt), self.embedder.name)
        if not ids:
            return []
        scores = mat @ qvec
        top = np.argsort(-scores)[:depth]
        return [(ids[i], float(scores[i])) for i in top]

    def search(self, query: str, k: int = 5, flt: SearchFilter | None = None) -> list[Hit]:
        flt = flt or SearchFilter()
        depth = max(4 * k, 20)
        qvec = self.embedder.embed([query])[0]
        dense = self.dense(qvec, depth, flt)
        dense_score = dict(dense)
        keyword = self.store.keyword.search(query, depth, flt)
        exact = self.store.keyword.phrases(identifiers(query), depth, flt)
        fused = rrf([[cid for cid, _ in dense], keyword, exact], weights=[1.0, 1.0, EXACT_WEIGHT])
        top = sorted(fused, key=lambda c: -fused[c])[:k]
        chunks = self.store.documents.chunks(top)
        return [Hit(chunks[c], fused[c], dense_score.get(c)) for c in top if c in chunks]

    def retrieve(self, query: str, k: int = 5, flt: SearchFilter | None = None) -> Retrieval:
        """search(), led by the documents the question names (docpipe.index.focus): their best
        passages first, then the best of the rest. A filter the caller gives wins over names."""
        flt = flt or SearchFilter()
        if not flt.empty:
            return Retrieval(self.search(query, k, flt))
        found = focus(query, self.store.keyword)
        hits: list[Hit] = []
        for name in found.documents:
            # Deeper than k: the total line of an invoice rarely shares a word with "how much
            # is the gross amount"; the prompt's token budget decides how many are read.
            hits += self.search(query, max(k, NAMED_DEPTH), SearchFilter(document=name))
        seen = {h.chunk.id for h in hits}
        hits += [h for h in self.search(query, k) if h.chunk.id not in seen]
        return Retrieval(hits, found.documents, found.names, found.unmatched)
