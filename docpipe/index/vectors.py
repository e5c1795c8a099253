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

from docpipe.devices import choose_faiss_backend
from docpipe.index.store import Store


class VectorIndex:
    def __init__(self, home: Path, model: str, dim: int) -> None:
        self.path = home / "index.faiss"
        self.manifest_path = home / "index.json"
        self.model = model
        self.dim = dim
        self.index: Any = None
        self.backend = choose_faiss_backend(faiss)

    def _manifest(self) -> dict[str, Any] | None:
        try:
            return dict(json.loads(self.manifest_path.read_text()))
        except (OSError, ValueError):
            return None

    def load(self, store: Store) -> None:
        """Load the index from disk, rebuilding it if it does not match the store."""
        count, top, _ = store.embedding_state()
        m = self._manifest()
        fresh = m == {"model": self.model, "dim": self.dim, "count": count, "max_id": top}
        if fresh and self.path.exists():
            try:
                self.index = faiss.read_index(str(self.path))
                self._to_device()
                return
            except RuntimeError:
                pass  # corrupt file: rebuild below
        self.rebuild(store)

    def rebuild(self, store: Store) -> None:
        index = faiss.IndexIDMap2(faiss.IndexFlatIP(self.dim))
        ids: list[int] = []
        vecs: list[np.ndarray] = []
        for cid, vec in store.iter_embeddings(self.model):
            ids.append(cid)
            vecs.append(vec)
        if vecs:
            index.add_with_ids(np.vstack(vecs).astype(np.float32), np.asarray(ids, dtype=np.int64))
        self.index = index
        count, top, _ = store.embedding_state()
        self.save(count, top)
        self._to_device()

    def save(self, count: int, max_id: int) -> None:
        cpu = faiss.index_gpu_to_cpu(self.index) if self.backend == "gpu" else self.index
        tmp = self.path.with_suffix(".faiss.tmp")
        faiss.write_index(cpu, str(tmp))
        _fsync_replace(tmp, self.path)
        manifest = {"model": self.model, "dim": self.dim, "count": count, "max_id": max_id}
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
        scores, ids = self.index.search(query.reshape(1, -1).astype(np.float32), k)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]


def _fsync_replace(tmp: Path, final: Path) -> None:
    fd = os.open(tmp, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, final)
