"""Layout models by name."""

from __future__ import annotations

from collections.abc import Callable

from docpipe.parse.layout.base import LayoutModel, Region
from docpipe.parse.layout.rapid import RapidLayoutModel

LAYOUT_MODELS: dict[str, Callable[[], LayoutModel]] = {
    "rapid_layout": RapidLayoutModel,
}


def get_layout_model(name: str) -> LayoutModel:
    try:
        return LAYOUT_MODELS[name]()
    except KeyError:
        raise ValueError(f"unknown layout model {name!r}; choose from {sorted(LAYOUT_MODELS)}") from None


__all__ = ["LAYOUT_MODELS", "LayoutModel", "Region", "get_layout_model"]
