"""Bases docpipe ships, by name: the GGUFs of docpipe.llm.gguf (inside installed packages,
pinned by sha256), converted once into a Hugging Face folder in the cache (transformers
dequantizes the GGUF on load)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from docpipe.errors import DocpipeError, ModelBuildError, shown
from docpipe.llm.gguf import SHIPPED, ShippedModel, shipped_path
from docpipe.model.folder import ModelFolder


def resolve_base(base: str, cache_dir: Path) -> ModelFolder:
    """A model folder, or the name of a shipped model (converted into cache_dir on first use)."""
    path = Path(base)
    if path.exists():
        return ModelFolder.open(path)
    if base not in SHIPPED:
        raise ModelBuildError(f"{shown(base)}: no such model folder, nor a shipped model ({', '.join(SHIPPED)})")
    return ModelFolder.open(shipped_folder(SHIPPED[base], cache_dir))


def shipped_folder(model: ShippedModel, cache_dir: Path) -> Path:
    target = cache_dir / "models" / model.name
    if (target / "config.json").is_file():
        return target
    try:
        source = shipped_path(model, cache_dir)  # refuses a file whose sha256 is not the pinned one
    except DocpipeError as e:
        raise ModelBuildError(str(e)) from None
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(source.parent), gguf_file=source.name)
    hf: Any = AutoModelForCausalLM.from_pretrained(str(source.parent), gguf_file=source.name, dtype=torch.float32)
    # The weights are plain float32 after loading; only the GGUF bookkeeping says otherwise.
    hf.hf_quantizer = None
    if hasattr(hf.config, "quantization_config"):
        del hf.config.quantization_config
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{model.name}-", dir=target.parent))
    try:
        hf.save_pretrained(tmp)
        tok.save_pretrained(tmp)
        os.replace(tmp, target)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
        if not (target / "config.json").is_file():  # another process may have won the race
            raise
    return target
