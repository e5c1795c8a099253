"""The FAISS index: derived from the store's embeddings, never the only copy of anything.

Written atomically (temp file + rename) with a manifest of what it holds; when the manifest
does not match the store (a crash between the two, another embedding model), it is rebuilt
from SQLite instead of answering from stale vectors.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from docpipe.config import Home
from docpipe.errors import EmbeddingModelMismatch
from docpipe.index.store import Store
from docpipe.runtime import choose_faiss_backend

HNSW_FROM = 200_000  # exact flat search stays under ~30 ms per query below this on 2 CPU cores
HNSW_M = 32


def index_kind(n_vectors: int, hnsw_from: int = HNSW_FROM) -> str:
    """Flat (exact) while brute force is fast enough, HNSW (approximate, no training) past it."""
    return "hnsw" if n_vectors >= hnsw_from else "flat"


def new_index(dim: int, kind: str) -> Any:
    if kind == "hnsw":
        hnsw = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        hnsw.hnsw.efSearch = 64  # recall ~0.99 on MiniLM vectors at ~1 ms per query
        return faiss.IndexIDMap2(hnsw)
    return faiss.IndexIDMap2(faiss.IndexFlatIP(dim))


class VectorIndex:
    def __init__(self, home: Home | Path, model: str, dim: int, hnsw_from: int = HNSW_FROM) -> None:
        paths = home if isinstance(home, Home) else Home(home)
        self.hnsw_from = hnsw_from
        self.path = paths.vectors
        self.manifest_path = paths.vectors_manifest
        self.model = model
        self.dim = dim
        self.index: Any = None
        self.kind = "flat"
        self.backend = choose_faiss_backend(faiss)

    def _manifest(self) -> dict[str, Any] | None:
        try:
            return dict(json.loads(self.manifest_path.read_text()))
        except (OSError, ValueError):
            return None

    def load(self, store: Store, *, persist: bool = False) -> bool:
        """Load the index from disk, rebuilding it when it does not match the store.

        Readers pass persist=False: they rebuild in memory and leave the file to the writer
        that holds the ingest lock. Returns whether a rebuild was needed.
        """
        with store.snapshot():
            count, top, models = store.embeddings.state()
            if models and models != {self.model}:
                raise EmbeddingModelMismatch(
                    f"the store holds vectors from {', '.join(sorted(models))} but the embedding model is "
                    f"{self.model}: run `docpipe index rebuild --reembed` (or set DOCPIPE_EMBED_MODEL back)"
                )
            m = self._manifest()
            expected = {"model": self.model, "dim": self.dim, "count": count, "max_id": top}
            if m is not None and {k: m.get(k) for k in expected} == expected and self.path.exists():
                try:
                    self.index = faiss.read_index(str(self.path))
                    self._to_device()
                    return False
                except RuntimeError:
                    pass  # corrupt file: rebuild below
            self._build(store, count, top, persist)
        return True

    def rebuild(self, store: Store) -> None:
        with store.snapshot():
            count, top, _ = store.embeddings.state()
            self._build(store, count, top, persist=True)

    def _build(self, store: Store, count: int, top: int, persist: bool) -> None:
        self.kind = index_kind(count, self.hnsw_from)
        index = new_index(self.dim, self.kind)
        ids: list[int] = []
        vecs: list[np.ndarray] = []
        for cid, vec in store.embeddings.each(self.model):
            ids.append(cid)
            vecs.append(vec)
            if len(vecs) >= 50_000:  # bounded memory while adding
                index.add_with_ids(np.vstack(vecs), np.asarray(ids, dtype=np.int64))
                ids, vecs = [], []
        if vecs:
            index.add_with_ids(np.vstack(vecs).astype(np.float32), np.asarray(ids, dtype=np.int64))
        self.index = index
        if persist:
            self.save(count, top)
        self._to_device()

    def save(self, count: int, max_id: int) -> None:
        cpu = faiss.index_gpu_to_cpu(self.index) if self.backend == "gpu" else self.index
        tmp = self.path.with_suffix(".faiss.tmp")
        faiss.write_index(cpu, str(tmp))
        _fsync_replace(tmp, self.path)
        manifest = {"model": self.model, "dim": self.dim, "count": count, "max_id": max_id, "kind": self.kind}
        tmp_m = self.manifest_path.with_suffix(".json.tmp")
        tmp_m.write_text(json.dumps(manifest))
        _fsync_replace(tmp_m, self.manifest_path)

    def _to_device(self) -> None:
        if self.backend == "gpu":  # pragma: no cover - needs CUDA
            self._gpu_res = faiss.StandardGpuResources()
            self.index = faiss.index_cpu_to_gpu(self._gpu_res, 0, self.index)

    def search(self, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        if self.index is None or self.index.ntotal == 0:
            return []
        # One query: OpenMP threads cost more to start than they save (6.8 vs 13 ms at 100k).
        threads = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(1)
        try:
            scores, ids = self.index.search(query.reshape(1, -1).astype(np.float32), k)
        finally:
            faiss.omp_set_num_threads(threads)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]


def _fsync_replace(tmp: Path, final: Path) -> None:
    fd = os.open(tmp, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, final)
