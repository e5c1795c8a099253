"""Safetensors shards written as tensors arrive, so memory holds one shard, not the model."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

DEFAULT_SHARD_BYTES = 2 << 30  # 2 GiB: a 7B-class layer is ~0.4 GB in bf16, so a few layers per shard


class ShardWriter:
    """add() tensors in order; close() names the shards model-0000i-of-0000n and writes the index
    (a single shard is plain model.safetensors, as save_pretrained writes it)."""

    def __init__(self, folder: Path, max_bytes: int = DEFAULT_SHARD_BYTES) -> None:
        self.folder = folder
        self.max_bytes = max_bytes
        self._pending: dict[str, Any] = {}
        self._pending_bytes = 0
        self._written: list[tuple[Path, list[str]]] = []
        self.total_bytes = 0

    def add(self, name: str, tensor: Any) -> None:
        size = tensor.numel() * tensor.element_size()
        if self._pending and self._pending_bytes + size > self.max_bytes:
            self._flush()
        tensor = tensor.contiguous()
        if any(t.data_ptr() == tensor.data_ptr() for t in self._pending.values()):
            tensor = tensor.clone()  # a layer read twice (DUS) may come back as one buffer: safetensors refuses aliases
        self._pending[name] = tensor
        self._pending_bytes += size

    def _flush(self) -> None:
        from safetensors.torch import save_file

        path = self.folder / f".shard-{len(self._written):05d}.safetensors"
        save_file(self._pending, str(path), metadata={"format": "pt"})
        self._written.append((path, list(self._pending)))
        self.total_bytes += self._pending_bytes
        self._pending, self._pending_bytes = {}, 0

    def close(self) -> list[Path]:
        if self._pending:
            self._flush()
        n = len(self._written)
        if n == 1:
            final = self.folder / "model.safetensors"
            os.replace(self._written[0][0], final)
            return [final]
        weight_map: dict[str, str] = {}
        finals = []
        for i, (path, names) in enumerate(self._written, start=1):
            final = self.folder / f"model-{i:05d}-of-{n:05d}.safetensors"
            os.replace(path, final)
            finals.append(final)
            weight_map.update({name: final.name for name in names})
        index = {"metadata": {"total_size": self.total_bytes}, "weight_map": weight_map}
        (self.folder / "model.safetensors.index.json").write_text(json.dumps(index, indent=2))
        return finals
