"""A Hugging Face model folder read tensor by tensor: config, shards, layers, shapes."""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from docpipe.errors import ModelBuildError, shown

# Decoder-only families whose blocks are model.layers.N.* and whose config says num_hidden_layers:
# what depth up-scaling, merging and the GGUF export understand.
SUPPORTED = {"llama", "mistral", "qwen2", "qwen3"}
LAYER = re.compile(r"^model\.layers\.(\d+)\.(.+)$")
WEIGHT_FILES = {"model.safetensors.index.json", "config.json", "docpipe_recipe.json"}


@dataclass
class ModelFolder:
    path: Path
    config: dict[str, Any]
    shard_of: dict[str, str]  # tensor name -> shard file name
    _handles: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def open(cls, path: Path) -> ModelFolder:
        where = shown(path)
        cfg_file = path / "config.json"
        if not cfg_file.is_file():
            raise ModelBuildError(f"{where}: not a model folder (no config.json)")
        try:
            config = json.loads(cfg_file.read_text())
        except (OSError, ValueError) as e:
            raise ModelBuildError(f"{where}/config.json cannot be read ({e})") from None
        kind = config.get("model_type")
        if kind not in SUPPORTED:
            raise ModelBuildError(
                f"{where}: architecture {kind!r} ({', '.join(config.get('architectures') or ['?'])}) is not supported;"
                f" docpipe model reads {', '.join(sorted(SUPPORTED))}"
            )
        shards = sorted(path.glob("*.safetensors"))
        if not shards:
            raise ModelBuildError(f"{where}: no .safetensors weights (other formats are not read)")
        from safetensors import safe_open

        shard_of: dict[str, str] = {}
        for shard in shards:
            try:
                with safe_open(str(shard), "pt") as f:
                    shard_of.update({name: shard.name for name in f.keys()})  # noqa: SIM118 (not a dict)
            except Exception as e:  # safetensors raises its own SafetensorError on a damaged header
                raise ModelBuildError(f"{shown(shard)}: not a readable safetensors file ({e})") from None
        folder = cls(path, config, shard_of)
        found = folder.layer_indices()
        n = folder.n_layers
        if found != list(range(n)):
            raise ModelBuildError(f"{where}: config.json says {n} layers, the weights hold {len(found)}")
        return folder

    @property
    def kind(self) -> str:
        return str(self.config["model_type"])

    @property
    def n_layers(self) -> int:
        return int(self.config["num_hidden_layers"])

    def layer_indices(self) -> list[int]:
        return sorted({int(m.group(1)) for name in self.shard_of if (m := LAYER.match(name))})

    def layer_tensors(self, index: int) -> list[str]:
        """The suffixes (self_attn.q_proj.weight, ...) of layer `index`, in a stable order."""
        prefix = f"model.layers.{index}."
        return sorted(name[len(prefix) :] for name in self.shard_of if name.startswith(prefix))

    def outer_tensors(self) -> list[str]:
        """Everything outside the layers: embeddings, final norm, lm_head."""
        return sorted(name for name in self.shard_of if not LAYER.match(name))

    @cached_property
    def shapes(self) -> dict[str, tuple[int, ...]]:
        return {name: tuple(self._handle(name).get_slice(name).get_shape()) for name in self.shard_of}

    def dtype_of(self, name: str) -> str:
        return str(self._handle(name).get_slice(name).get_dtype())

    def read(self, name: str) -> Any:
        """One tensor (a torch.Tensor), copied out of the memory-mapped shard."""
        return self._handle(name).get_tensor(name)

    def _handle(self, name: str) -> Any:
        shard = self.shard_of[name]
        if shard not in self._handles:
            from safetensors import safe_open

            self._handles[shard] = safe_open(str(self.path / shard), "pt")
        return self._handles[shard]

    def nbytes(self) -> int:
        return sum(f.stat().st_size for f in self.path.glob("*.safetensors"))

    def copy_side_files(self, target: Path) -> None:
        """Tokenizer, generation config, chat template...: everything but weights and config."""
        for f in self.path.iterdir():
            if f.is_file() and f.suffix not in {".safetensors", ".bin", ".pt", ".pth"} and f.name not in WEIGHT_FILES:
                shutil.copy2(f, target / f.name)
