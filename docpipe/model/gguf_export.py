"""A model folder as one GGUF file for llama.cpp, written with the `gguf` package's writer.

What llama.cpp's convert_hf_to_gguf.py does for these families, for the part docpipe builds:
tensor names through gguf's TensorNameMap, Llama's q/k rows permuted back to llama.cpp's rotary
layout, hyperparameters as metadata, and a GPT-2-style BPE tokenizer (tokens, types, merges,
special ids, chat template). Tensors are streamed: every tensor's info is declared first, then
the data is written one tensor at a time, so memory holds one tensor.

Not covered: SentencePiece / byte-fallback tokenizers (Llama-2, Mistral-7B v0.1): their scores
and byte tokens need the tokenizer.model reader of llama.cpp's converter.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docpipe.errors import ModelBuildError, UsageError, shown
from docpipe.model.folder import ModelFolder

ARCH = {"llama": "llama", "mistral": "llama", "qwen2": "qwen2", "qwen3": "qwen3"}
PERMUTED = {"llama"}  # families whose HF q/k rows are in rotate-half order
# The pre-tokenizer llama.cpp should apply: its converter detects it by hashing; we know ours.
PRE_BY_VOCAB = {49152: "smollm", 128256: "llama-bpe"}
OUTTYPES = ("f16", "f32")


@dataclass(frozen=True)
class GgufReport:
    out: Path
    tensors: int
    bytes_written: int
    arch: str
    pre_tokenizer: str


def _permute(w: Any, n_head: int) -> Any:
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def _tokenizer(folder: ModelFolder) -> tuple[list[bytes], list[int], list[str]]:
    import gguf

    path = folder.path / "tokenizer.json"
    if not path.is_file():
        raise ModelBuildError(f"{shown(folder.path)}: no tokenizer.json (the GGUF export reads a fast tokenizer)")
    tj = json.loads(path.read_text())
    model = tj["model"]
    if model.get("type") != "BPE" or model.get("byte_fallback"):
        raise ModelBuildError(
            f"{shown(path)}: a SentencePiece-style tokenizer; the GGUF export writes GPT-2-style BPE only"
            " (use llama.cpp's convert_hf_to_gguf.py for this one)"
        )
    n_vocab = int(folder.config["vocab_size"])
    tokens: list[bytes] = [f"[PAD{i}]".encode() for i in range(n_vocab)]
    types = [int(gguf.TokenType.UNUSED)] * n_vocab
    for text, i in model["vocab"].items():
        if i < n_vocab:
            tokens[i], types[i] = text.encode(), int(gguf.TokenType.NORMAL)
    for added in tj.get("added_tokens") or []:
        i = added["id"]
        if i < n_vocab:
            kind = gguf.TokenType.CONTROL if added.get("special") else gguf.TokenType.USER_DEFINED
            tokens[i], types[i] = added["content"].encode(), int(kind)
    merges = [m if isinstance(m, str) else " ".join(m) for m in model.get("merges") or []]
    return tokens, types, merges


def export_gguf(
    folder: ModelFolder, out: Path, *, outtype: str = "f16", progress: Callable[[int, int], None] | None = None
) -> GgufReport:
    import gguf
    import numpy as np

    if outtype not in OUTTYPES:
        raise UsageError(f"--outtype {shown(outtype)}: one of {', '.join(OUTTYPES)}")
    if folder.kind not in ARCH:
        raise ModelBuildError(f"{shown(folder.path)}: no GGUF mapping for {folder.kind}")
    if out.exists():
        raise ModelBuildError(f"{shown(out)} already exists: choose a new file name or remove it")
    cfg = folder.config
    arch_name = ARCH[folder.kind]
    arch = next(a for a, name in gguf.MODEL_ARCH_NAMES.items() if name == arch_name)
    n_head, n_kv = int(cfg["num_attention_heads"]), int(cfg.get("num_key_value_heads") or cfg["num_attention_heads"])
    head_dim = int(cfg.get("head_dim") or cfg["hidden_size"] // n_head)
    names = gguf.get_tensor_name_map(arch, folder.n_layers)
    tokens, types, merges = _tokenizer(folder)
    pre = "qwen2" if arch_name.startswith("qwen") else PRE_BY_VOCAB.get(int(cfg["vocab_size"]), "default")

    plan: list[tuple[str, str]] = []  # (HF name, GGUF name)
    for hf_name in folder.shard_of:
        gg = names.get_name(hf_name, try_suffixes=(".weight", ".bias"))
        if gg is None:
            raise ModelBuildError(f"{shown(folder.path)}: tensor {hf_name} has no GGUF name for {arch_name}")
        plan.append((hf_name, gg))
    plan.sort(key=lambda p: p[1])

    def converted(hf_name: str) -> Any:
        t = folder.read(hf_name).float().numpy()
        if folder.kind in PERMUTED or arch_name in PERMUTED:
            if hf_name.endswith("q_proj.weight"):
                t = _permute(t, n_head)
            elif hf_name.endswith("k_proj.weight"):
                t = _permute(t, n_kv)
        # Norms and biases stay float32, as llama.cpp's converter keeps 1-D tensors.
        return t.astype(np.float16) if outtype == "f16" and t.ndim > 1 else t.astype(np.float32)

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.partial")
    try:
        w = gguf.GGUFWriter(str(tmp), arch_name)
        w.add_name(folder.path.name)
        w.add_context_length(int(cfg.get("max_position_embeddings", 4096)))
        w.add_embedding_length(int(cfg["hidden_size"]))
        w.add_block_count(folder.n_layers)
        w.add_feed_forward_length(int(cfg["intermediate_size"]))
        w.add_head_count(n_head)
        w.add_head_count_kv(n_kv)
        w.add_key_length(head_dim)
        w.add_value_length(head_dim)
        w.add_rope_dimension_count(head_dim)
        rope = cfg.get("rope_parameters") or {}
        w.add_rope_freq_base(float(rope.get("rope_theta") or cfg.get("rope_theta") or 10000.0))
        w.add_layer_norm_rms_eps(float(cfg.get("rms_norm_eps", 1e-6)))
        w.add_vocab_size(int(cfg["vocab_size"]))
        w.add_file_type(int(gguf.LlamaFileType.MOSTLY_F16 if outtype == "f16" else gguf.LlamaFileType.ALL_F32))
        w.add_tokenizer_model("gpt2")
        w.add_tokenizer_pre(pre)
        w.add_token_list(tokens)
        w.add_token_types(types)
        special = gguf.SpecialVocab(folder.path, load_merges=False, n_vocab=int(cfg["vocab_size"]))
        special.merges = merges
        special.add_to_gguf(w, quiet=True)
        template = folder.path / "chat_template.jinja"
        if special.chat_template is None and template.is_file():
            w.add_chat_template(template.read_text())
        total = 0
        for hf_name, gg in plan:
            shape = folder.shapes[hf_name]
            itemsize = 2 if outtype == "f16" and len(shape) > 1 else 4
            nbytes = int(np.prod(shape)) * itemsize
            total += nbytes
            w.add_tensor_info(gg, shape, np.dtype(np.float16 if itemsize == 2 else np.float32), nbytes)
        w.write_header_to_file()
        w.write_kv_data_to_file()
        w.write_ti_data_to_file()
        for i, (hf_name, _) in enumerate(plan):
            w.write_tensor_data(converted(hf_name))
            if progress:
                progress(i + 1, len(plan))
        w.close()
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return GgufReport(out, len(plan), total, arch_name, pre)
