"""The table-structure role: engines by kind (docpipe.registry), or an entry point in
`docpipe.tables`. Built in: `geometry` — ruled tables from a PDF's stroked lines (ruled.py),
borderless tables from aligned columns of words (columns.py); tables continued across pages
are joined by the document stage."""

from __future__ import annotations

from docpipe.options import TableOptions
from docpipe.parse.tables.base import FoundTable, TableEngine, TablePage
from docpipe.registry import Registry

TABLES: Registry[TableEngine] = Registry(
    "tables", {"geometry": "docpipe.parse.tables.geometry:GeometryTableEngine"}, TableOptions, label="table engine"
)

__all__ = ["TABLES", "FoundTable", "TableEngine", "TablePage"]
