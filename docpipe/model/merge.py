"""Weight merges of checkpoints of one architecture, tensor by tensor: linear (weighted mean),
slerp (spherical interpolation of two), TIES (arXiv:2306.01708: trim each model's change from a
base to its largest entries, elect a sign per entry, average the changes that agree).

Computed in float32 and stored in each tensor's own dtype. Written plainly, not through
mergekit, for the reasons upscale.py gives.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from docpipe.errors import ModelBuildError, UsageError, shown
from docpipe.model.folder import ModelFolder
from docpipe.model.shards import DEFAULT_SHARD_BYTES, ShardWriter
from docpipe.model.staging import check_target, staged


class MergeMethod(StrEnum):
    LINEAR = "linear"
    SLERP = "slerp"
    TIES = "ties"


@dataclass(frozen=True)
class MergeReport:
    out: Path
    method: str
    weights: list[float]
    tensors: int
    bytes_written: int


def require_same_architecture(models: Sequence[ModelFolder]) -> None:
    """Same family, tensor names and shapes, or a one-line error naming the first difference."""
    first = models[0]
    for other in models[1:]:
        if other.kind != first.kind:
            raise ModelBuildError(f"{shown(other.path)} is {other.kind}, {shown(first.path)} is {first.kind}")
        differ = sorted(set(first.shapes) ^ set(other.shapes))
        if differ:
            owner = first if differ[0] in first.shapes else other
            raise ModelBuildError(
                f"{shown(other.path)}: tensor {differ[0]} is only in {shown(owner.path)} ({len(differ)} names differ)"
            )
        for name, shape in first.shapes.items():
            if other.shapes[name] != shape:
                raise ModelBuildError(
                    f"{shown(other.path)}: {name} is {list(other.shapes[name])}, in {shown(first.path)} {list(shape)}:"
                    " only models of one shape can be merged"
                )


def merge_weights(method: MergeMethod, n_models: int, weights: Sequence[float] | None) -> list[float]:
    """One weight per model (TIES: per model after the base A); equal when not given."""
    wanted = n_models - 1 if method is MergeMethod.TIES else n_models
    if n_models < 2:
        raise UsageError("merge needs at least two models")
    if method is MergeMethod.SLERP and n_models != 2:
        raise UsageError(f"slerp interpolates two models, not {n_models}")
    if weights is None:
        return [1.0] * wanted
    if len(weights) != wanted:
        raise UsageError(f"--weights: {method} of {n_models} models takes {wanted} weights, not {len(weights)}")
    if method is not MergeMethod.TIES and sum(weights) <= 0:
        raise UsageError("--weights must add up to more than 0")
    return list(weights)


def linear(tensors: Sequence[Any], weights: Sequence[float]) -> Any:
    total = sum(weights)
    out = tensors[0].float() * (weights[0] / total)
    for t, w in zip(tensors[1:], weights[1:], strict=True):
        out += t.float() * (w / total)
    return out


def slerp(a: Any, b: Any, t: float, eps: float = 1e-8) -> Any:
    import torch

    va, vb = a.float().flatten(), b.float().flatten()
    na, nb = va / (va.norm() + eps), vb / (vb.norm() + eps)
    dot = float(torch.clamp((na * nb).sum(), -1.0, 1.0))
    if abs(dot) > 0.9995:  # nearly parallel: the arc is a line
        return ((1 - t) * va + t * vb).reshape(a.shape)
    omega = torch.arccos(torch.tensor(dot))
    so = torch.sin(omega)
    return ((torch.sin((1 - t) * omega) / so) * va + (torch.sin(t * omega) / so) * vb).reshape(a.shape)


def ties(base: Any, others: Sequence[Any], weights: Sequence[float], density: float) -> Any:
    import torch

    b = base.float()
    deltas = []
    for t, w in zip(others, weights, strict=True):
        d = t.float() - b
        k = int(d.numel() * density)
        if k < d.numel():  # keep the k largest changes
            cut = d.abs().flatten().kthvalue(d.numel() - k).values if k > 0 else d.abs().max() + 1
            d = torch.where(d.abs() > cut, d, torch.zeros_like(d))
        deltas.append(d * w)
    stacked = torch.stack(deltas)
    sign = torch.sign(stacked.sum(dim=0))
    agree = (torch.sign(stacked) == sign) & (stacked != 0)
    count = agree.sum(dim=0).clamp(min=1)
    return b + (stacked * agree).sum(dim=0) / count


def merge(
    models: Sequence[ModelFolder],
    out: Path,
    *,
    method: MergeMethod = MergeMethod.LINEAR,
    weights: Sequence[float] | None = None,
    density: float = 0.5,
    shard_bytes: int = DEFAULT_SHARD_BYTES,
    progress: Callable[[int, int], None] | None = None,
) -> MergeReport:
    w = merge_weights(method, len(models), weights)
    if not 0 < density <= 1:
        raise UsageError(f"--density {density}: must be in (0, 1]")
    require_same_architecture(models)
    check_target(out)
    first = models[0]
    names = first.outer_tensors()
    names = (
        [n for n in names if "embed" in n]
        + [f"model.layers.{i}.{s}" for i in range(first.n_layers) for s in first.layer_tensors(i)]
        + [n for n in names if "embed" not in n]
    )
    with staged(out) as tmp:
        writer = ShardWriter(tmp, shard_bytes)
        for i, name in enumerate(names):
            tensors = [m.read(name) for m in models]
            if not tensors[0].is_floating_point():
                merged = tensors[0]
            elif method is MergeMethod.LINEAR:
                merged = linear(tensors, w)
            elif method is MergeMethod.SLERP:
                merged = slerp(tensors[0], tensors[1], w[1] / (w[0] + w[1]))
            else:
                merged = ties(tensors[0], tensors[1:], w, density)
            writer.add(name, merged.to(tensors[0].dtype))
            if progress:
                progress(i + 1, len(names))
        writer.close()
        (tmp / "config.json").write_text(json.dumps(first.config, indent=2))
        first.copy_side_files(tmp)
        recipe: dict[str, object] = {"method": str(method), "models": [str(m.path) for m in models], "weights": w}
        if method is MergeMethod.TIES:
            recipe["density"] = density
        (tmp / "docpipe_recipe.json").write_text(json.dumps(recipe, indent=2))
    return MergeReport(out, str(method), w, len(names), writer.total_bytes)
