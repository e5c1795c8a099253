"""Depth up-scaling (SOLAR 10.7B, arXiv:2312.15166): two copies of an n-layer model, the last M
layers cut from the first and the first M from the second, stacked into 2(n−M) layers.

Written plainly rather than through mergekit's passthrough merge: it is a re-indexing of
tensors, about forty lines here, and mergekit would add datasets and five more packages to
the environment for it (see models/README.md).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docpipe.errors import UsageError, shown
from docpipe.model.folder import ModelFolder
from docpipe.model.shards import DEFAULT_SHARD_BYTES, ShardWriter
from docpipe.model.staging import check_target, staged

Progress = Callable[[int, int], None]  # (done, total) layers


@dataclass(frozen=True)
class UpscaleReport:
    out: Path
    layers_before: int
    layers_after: int
    layer_sources: list[int]
    bytes_written: int
    shards: int


def layer_plan(n: int, drop: int) -> list[int]:
    """Source layer of each new layer: 0..n−M−1 from the first copy, then M..n−1 from the second."""
    if drop < 0 or 2 * drop >= n:
        raise UsageError(f"--drop {drop}: must be at least 0 and below n/2 = {n / 2:g} for a {n}-layer model")
    return list(range(n - drop)) + list(range(drop, n))


def upscaled_config(config: dict[str, Any], plan: list[int]) -> dict[str, Any]:
    new = dict(config)
    n = int(config["num_hidden_layers"])
    new["num_hidden_layers"] = len(plan)
    if isinstance(config.get("layer_types"), list):  # per-layer attention kinds (Qwen2/3): follow their source
        new["layer_types"] = [config["layer_types"][i] for i in plan]
    if config.get("max_window_layers") == n:
        new["max_window_layers"] = len(plan)
    return new


def upscale(
    base: ModelFolder,
    drop: int,
    out: Path,
    *,
    shard_bytes: int = DEFAULT_SHARD_BYTES,
    dtype: str | None = None,
    progress: Progress | None = None,
) -> UpscaleReport:
    plan = layer_plan(base.n_layers, drop)
    check_target(out)
    cast = _dtype(dtype)
    with staged(out) as tmp:
        writer = ShardWriter(tmp, shard_bytes)
        outer = base.outer_tensors()
        for name in (n for n in outer if "embed" in n):
            writer.add(name, _cast(base.read(name), cast))
        for new_index, source in enumerate(plan):
            for suffix in base.layer_tensors(source):
                writer.add(
                    f"model.layers.{new_index}.{suffix}", _cast(base.read(f"model.layers.{source}.{suffix}"), cast)
                )
            if progress:
                progress(new_index + 1, len(plan))
        for name in (n for n in outer if "embed" not in n):
            writer.add(name, _cast(base.read(name), cast))
        shards = writer.close()
        config = upscaled_config(base.config, plan)
        if cast is not None:
            config["dtype"] = dtype
        (tmp / "config.json").write_text(json.dumps(config, indent=2))
        base.copy_side_files(tmp)
        recipe = {"method": "depth-upscale", "base": str(base.path), "drop": drop, "layer_sources": plan}
        (tmp / "docpipe_recipe.json").write_text(json.dumps(recipe, indent=2))
    return UpscaleReport(out, base.n_layers, len(plan), plan, writer.total_bytes, len(shards))


DTYPES = ("float32", "bfloat16", "float16")


def _dtype(name: str | None) -> Any:
    if name is None:
        return None
    if name not in DTYPES:
        raise UsageError(f"--dtype {shown(name)}: one of {', '.join(DTYPES)}")
    import torch

    return getattr(torch, name)


def _cast(tensor: Any, dtype: Any) -> Any:
    return tensor if dtype is None or not tensor.is_floating_point() else tensor.to(dtype)
