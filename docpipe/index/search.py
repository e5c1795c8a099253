"""Hybrid retrieval: dense (FAISS) and keyword (FTS5 BM25) rankings fused by reciprocal rank."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from docpipe.index.embed import Embedder
from docpipe.index.store import SearchFilter, Store, StoredChunk
from docpipe.index.vectors import VectorIndex

RRF_K = 60  # the constant from Cormack et al. (2009); damps the head of each ranking


@dataclass(frozen=True)
class Hit:
    chunk: StoredChunk
    score: float
    dense: float | None


def rrf(rankings: list[list[int]], k: int = RRF_K) -> dict[int, float]:
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, cid in enumerate(ranking):
            scores[cid] = scores.get(cid, 0.0) + 1.0 / (k + rank + 1)
    return scores


class Retriever:
    def __init__(self, store: Store, embedder: Embedder, vectors: VectorIndex) -> None:
        self.store = store
        self.embedder = embedder
        self.vectors = vectors

    def dense(self, qvec: np.ndarray, depth: int, flt: SearchFilter) -> list[tuple[int, float]]:
        if flt.empty:
            return self.vectors.search(qvec, depth)
        # Filtered: exact scores over just the allowed chunks, straight from the store.
        ids, mat = self.store.vectors_for(self.store.filtered_chunk_ids(flt), self.embedder.name)
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
        keyword = self.store.keyword_search(query, depth, flt)
        fused = rrf([[cid for cid, _ in dense], keyword])
        top = sorted(fused, key=lambda c: -fused[c])[:k]
        chunks = self.store.chunks(top)
        return [Hit(chunks[c], fused[c], dense_score.get(c)) for c in top if c in chunks]
