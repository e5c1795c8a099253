"""A BERT sentence encoder in numpy: the shipped all-MiniLM-L6-v2 without torch in the process.

The same forward pass as sentence-transformers (BertModel, mean pooling over the attention mask,
L2 normalisation), read from the folder's model.safetensors and tokenizer.json, so its vectors
match the torch engine's to float32 rounding and the stored ones are searched as they are. Asking
a question embeds one query: torch and transformers cost ~1 s and several hundred MB of RSS for it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from docpipe.options import NumpyBertOptions
from docpipe.runtime import default_threads

_LOADED: dict[str, _Bert] = {}  # one model per folder per process


@dataclass(frozen=True)
class _Layer:
    qkv_w: np.ndarray  # (hidden, 3 * hidden): query, key and value in one matmul
    qkv_b: np.ndarray
    out_w: np.ndarray
    out_b: np.ndarray
    ln1: tuple[np.ndarray, np.ndarray]
    up_w: np.ndarray
    up_b: np.ndarray
    down_w: np.ndarray
    down_b: np.ndarray
    ln2: tuple[np.ndarray, np.ndarray]


@dataclass(frozen=True)
class _Bert:
    tokenizer: Any  # tokenizers.Tokenizer, without truncation or padding (both done here)
    words: np.ndarray
    positions: np.ndarray
    token_type: np.ndarray  # row 0: every input is one segment
    ln: tuple[np.ndarray, np.ndarray]
    layers: tuple[_Layer, ...]
    heads: int
    eps: float
    max_seq_length: int
    sep_id: int


def _layer_norm(x: np.ndarray, ln: tuple[np.ndarray, np.ndarray], eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = np.square(x - mean).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * ln[0] + ln[1]


_ERF_P = np.float32(0.3275911)
_ERF_A = tuple(np.float32(a) for a in (1.061405429, -1.453152027, 1.421413741, -0.284496736, 0.254829592))
_ROWS = 256  # elementwise work in blocks of rows that stay in cache: ~5x faster than whole arrays


def _gelu(x: np.ndarray) -> np.ndarray:
    """BERT's exact (erf) GELU, not the tanh one: x·Φ(x) = max(x, 0) − |x|·(1 − erf(|x|/√2))/2, with
    erf by Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7); numpy has no erf, scipy is a big import."""
    out = np.empty_like(x)
    for s in range(0, x.shape[0], _ROWS):
        xs, o = x[s : s + _ROWS], out[s : s + _ROWS]
        z = np.abs(xs)
        z *= np.float32(0.7071067811865476)
        t = z * _ERF_P
        t += 1
        np.reciprocal(t, out=t)
        poly = t * _ERF_A[0]
        for a in _ERF_A[1:]:
            poly += a
            poly *= t
        np.square(z, out=z)
        np.negative(z, out=z)
        np.exp(z, out=z)
        poly *= z  # 1 − erf(|x|/√2)
        np.abs(xs, out=z)
        z *= np.float32(0.5)
        poly *= z
        np.maximum(xs, 0, out=o)
        o -= poly
    return out


def _load(folder: Path) -> _Bert:
    from safetensors.numpy import load_file
    from tokenizers import Tokenizer

    config = json.loads((folder / "config.json").read_text())
    if config.get("model_type") != "bert" or config.get("hidden_act", "gelu") != "gelu":
        raise ValueError(f"{folder}: the numpy engine reads BERT models with GELU only, not {config.get('model_type')}")
    pooling = folder / "1_Pooling" / "config.json"
    if pooling.exists() and not json.loads(pooling.read_text()).get("pooling_mode_mean_tokens", False):
        raise ValueError(f"{folder}: the numpy engine pools by mean only; use kind sentence-transformers")
    st_config = folder / "sentence_bert_config.json"
    max_len = int(json.loads(st_config.read_text()).get("max_seq_length", 256)) if st_config.exists() else 256
    w = load_file(str(folder / "model.safetensors"))
    prefix = "bert." if "bert.embeddings.word_embeddings.weight" in w else ""

    def t(name: str) -> np.ndarray:
        return np.ascontiguousarray(w[prefix + name], dtype=np.float32)

    def lin(name: str) -> tuple[np.ndarray, np.ndarray]:
        return np.ascontiguousarray(t(name + ".weight").T), t(name + ".bias")  # x @ W.T as x @ (W.T)

    def ln(name: str) -> tuple[np.ndarray, np.ndarray]:
        return t(name + ".weight"), t(name + ".bias")

    layers = []
    for i in range(int(config["num_hidden_layers"])):
        p = f"encoder.layer.{i}."
        q, k, v = (lin(p + f"attention.self.{n}") for n in ("query", "key", "value"))
        out_w, out_b = lin(p + "attention.output.dense")
        up_w, up_b = lin(p + "intermediate.dense")
        down_w, down_b = lin(p + "output.dense")
        layers.append(
            _Layer(
                np.ascontiguousarray(np.concatenate([q[0], k[0], v[0]], axis=1)),
                np.concatenate([q[1], k[1], v[1]]),
                out_w,
                out_b,
                ln(p + "attention.output.LayerNorm"),
                up_w,
                up_b,
                down_w,
                down_b,
                ln(p + "output.LayerNorm"),
            )
        )
    tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    sep = tok.token_to_id("[SEP]")
    return _Bert(
        tokenizer=tok,
        words=t("embeddings.word_embeddings.weight"),
        positions=t("embeddings.position_embeddings.weight"),
        token_type=t("embeddings.token_type_embeddings.weight")[0],
        ln=ln("embeddings.LayerNorm"),
        layers=tuple(layers),
        heads=int(config["num_attention_heads"]),
        eps=float(config.get("layer_norm_eps", 1e-12)),
        max_seq_length=min(max_len, int(config.get("max_position_embeddings", 512))),
        sep_id=int(sep if sep is not None else 102),
    )


def _blas_limited() -> Any:
    """One OpenBLAS thread while batches run in parallel Python threads (numpy releases the GIL).
    numpy's elementwise work is single-threaded and the attention products are hundreds of tiny
    matrices on which OpenBLAS's own threads cost more than they compute (measured 40x slower with
    2 threads than 1): splitting the batches over the cores uses them for everything."""
    global _BLAS
    if _BLAS is None:
        from threadpoolctl import ThreadpoolController

        _BLAS = ThreadpoolController().select(user_api="blas")
    return _BLAS.limit(limits=1)


_BLAS: Any = None


def _forward(m: _Bert, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Mean-pooled, L2-normalised sentence vectors of a padded batch (ids, mask: (batch, length))."""
    b, n = ids.shape
    hidden = m.words.shape[1]
    d = hidden // m.heads
    x = (m.words[ids] + m.positions[:n] + m.token_type).reshape(b * n, hidden)  # 2-D: one GEMM per linear
    x = _layer_norm(x, m.ln, m.eps)
    # Padded keys get a large negative score, as transformers adds finfo.min times (1 - mask).
    bias = ((1.0 - mask[:, None, None, :].astype(np.float32)) * np.float32(-1e30)).astype(np.float32)
    scale = np.float32(1.0 / np.sqrt(d))
    for layer in m.layers:
        qkv = (x @ layer.qkv_w + layer.qkv_b).reshape(b, n, 3, m.heads, d)
        q = np.ascontiguousarray(qkv[:, :, 0].transpose(0, 2, 1, 3))  # (b, heads, n, d)
        q *= scale
        kt = np.ascontiguousarray(qkv[:, :, 1].transpose(0, 2, 3, 1))  # (b, heads, d, n)
        v = np.ascontiguousarray(qkv[:, :, 2].transpose(0, 2, 1, 3))
        scores = q @ kt
        scores += bias
        scores -= scores.max(-1, keepdims=True)
        np.exp(scores, out=scores)
        scores /= scores.sum(-1, keepdims=True)
        ctx = (scores @ v).transpose(0, 2, 1, 3).reshape(b * n, hidden)
        x = _layer_norm(ctx @ layer.out_w + layer.out_b + x, layer.ln1, m.eps)
        up = _gelu(x @ layer.up_w + layer.up_b)
        x = _layer_norm(up @ layer.down_w + layer.down_b + x, layer.ln2, m.eps)
    weights = mask.reshape(b * n, 1).astype(np.float32)
    pooled = (x * weights).reshape(b, n, hidden).sum(1) / np.maximum(weights.reshape(b, n).sum(1, keepdims=True), 1e-9)
    return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)


class NumpyBertEmbedder:
    """A sentence-transformers BERT folder (mean pooling) run in numpy; by default the shipped
    all-MiniLM-L6-v2. Same name as the torch engine's for the same folder: the same vectors."""

    options_type = NumpyBertOptions

    def __init__(self, options: NumpyBertOptions | None = None) -> None:
        options = options or NumpyBertOptions()
        self.model_path = str(options.model_path) if options.model_path else None
        self.batch_size = options.batch_size
        self.threads = options.threads or default_threads()
        self._model: _Bert | None = None

    @property
    def name(self) -> str:
        return Path(self.model_path).name if self.model_path else "all-MiniLM-L6-v2"

    def warm_up(self) -> None:
        if self._model is not None:
            return
        from docpipe.index.embed import default_model_path

        path = self.model_path or str(default_model_path())
        if path not in _LOADED:
            _LOADED[path] = _load(Path(path))
        self._model = _LOADED[path]

    def _loaded(self) -> _Bert:
        self.warm_up()
        assert self._model is not None
        return self._model

    @property
    def dim(self) -> int:
        return int(self._loaded().words.shape[1])

    @property
    def max_tokens(self) -> int:
        """Longest input the model reads; anything longer is truncated, as sentence-transformers does."""
        return self._loaded().max_seq_length

    def count_tokens(self, text: str) -> int:
        return len(self._loaded().tokenizer.encode(text, add_special_tokens=True).ids)

    def embed(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        m = self._loaded()
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        # sentence-transformers strips each text and cuts [CLS] text [SEP] to max_seq_length.
        encoded = m.tokenizer.encode_batch([str(t).strip() for t in texts], add_special_tokens=True)
        cut = m.max_seq_length
        ids = [e.ids if len(e.ids) <= cut else [*e.ids[: cut - 1], m.sep_id] for e in encoded]
        order = sorted(range(len(ids)), key=lambda i: -len(ids[i]))  # similar lengths together: less padding
        # Enough batches for every thread, none larger than batch_size.
        size = max(1, min(self.batch_size, -(-len(order) // self.threads)))
        batches = [order[s : s + size] for s in range(0, len(order), size)]

        def run(rows: list[int]) -> None:
            n = max(len(ids[i]) for i in rows)
            batch = np.zeros((len(rows), n), dtype=np.int64)
            mask = np.zeros((len(rows), n), dtype=np.int64)
            for j, i in enumerate(rows):
                batch[j, : len(ids[i])] = ids[i]
                mask[j, : len(ids[i])] = 1
            out[rows] = _forward(m, batch, mask)

        with _blas_limited():
            if len(batches) == 1:
                run(batches[0])
                return out
            from concurrent.futures import ThreadPoolExecutor

            from tqdm import tqdm

            with ThreadPoolExecutor(self.threads) as pool:
                for _ in tqdm(pool.map(run, batches), total=len(batches), desc="embedding", disable=not progress):
                    pass
        return out
