"""The layout role: models by kind (docpipe.registry), or an entry point in `docpipe.layout`."""

from __future__ import annotations

from docpipe.options import LayoutOptions
from docpipe.parse.layout.base import LayoutModel, Region
from docpipe.registry import Registry

LAYOUT: Registry[LayoutModel] = Registry(
    "layout", {"rapid_layout": "docpipe.parse.layout.rapid:RapidLayoutModel"}, LayoutOptions, label="layout model"
)

__all__ = ["LAYOUT", "LayoutModel", "Region"]
