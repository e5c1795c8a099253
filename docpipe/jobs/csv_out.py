"""CSV for spreadsheet users, made from results.jsonl (which stays the source of truth).

OUT/results.csv has one row per document: source, status, one column per scalar field,
nested objects as JSON in their cell, and the errors joined by "; ". Every array of objects
(an invoice's line_items) gets its own sheet, OUT/<field>.csv, one row per item keyed by
source and 1-based line number, so totals can be summed with a pivot table. Files are
UTF-8 with a byte-order mark (Excel otherwise misreads "Müller") and replaced atomically.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from docpipe.extract.schemas import Schema


def _resolve(schema: Schema, node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        target: Any = schema.json_schema
        for part in ref[2:].split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        return target if isinstance(target, dict) else {}
    return node


def item_columns(schema: Schema, field: str) -> list[str] | None:
    """The keys of an array-of-objects field's items, or None when the field is not one."""
    if schema.field_type(field) != "array":
        return None
    prop = schema.field_schema(field)
    options = prop.get("anyOf") or [prop]
    for opt in options:
        if isinstance(opt, dict) and opt.get("type") == "array" and isinstance(opt.get("items"), dict):
            items = _resolve(schema, opt["items"])
            props = items.get("properties")
            if isinstance(props, dict) and props:
                return list(props)
    return None


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return value


class _Sheet:
    def __init__(self, path: Path, header: list[str]) -> None:
        self.path = path
        self.tmp = path.with_name(f".{path.name}.tmp")
        self.file: IO[str] = self.tmp.open("w", encoding="utf-8-sig", newline="")
        self.writer = csv.writer(self.file)
        self.writer.writerow(header)

    def commit(self) -> None:
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()
        os.replace(self.tmp, self.path)


def write_csv(records: Iterable[dict[str, Any]], schema: Schema, out_dir: Path) -> list[Path]:
    """Stream the records into results.csv and one sheet per array-of-objects field."""
    tables = {f: cols for f in schema.fields if (cols := item_columns(schema, f)) is not None}
    scalars = [f for f in schema.fields if f not in tables]
    main = _Sheet(out_dir / "results.csv", ["source", "status", *scalars, "errors"])
    sheets = {f: _Sheet(out_dir / f"{f}.csv", ["source", "line", *cols]) for f, cols in tables.items()}
    for rec in records:
        data = rec.get("data") or {}
        main.writer.writerow(
            [rec.get("source"), rec.get("status"), *(_cell(data.get(f)) for f in scalars), "; ".join(rec["errors"])]
        )
        for field, cols in tables.items():
            for i, item in enumerate(data.get(field) or [], start=1):
                row = item if isinstance(item, dict) else {}
                sheets[field].writer.writerow([rec.get("source"), i, *(_cell(row.get(c)) for c in cols)])
    for sheet in [main, *sheets.values()]:
        sheet.commit()
    return [main.path, *(s.path for s in sheets.values())]
