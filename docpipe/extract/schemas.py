"""Extraction schemas: built-in invoice and receipt, a JSON Schema file, or a pydantic model."""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel


class LineItem(BaseModel):
    description: str | None = None
    quantity: float | None = None
    unit_price: float | None = None
    amount: float | None = None


class InvoiceData(BaseModel):
    vendor_name: str | None = None
    vendor_address: str | None = None
    invoice_number: str | None = None
    invoice_date: str | None = None  # ISO 8601
    due_date: str | None = None  # ISO 8601
    currency: str | None = None  # ISO 4217
    subtotal: float | None = None
    tax: float | None = None
    total: float | None = None
    line_items: list[LineItem] = []


class ReceiptData(BaseModel):
    vendor_name: str | None = None
    vendor_address: str | None = None
    date: str | None = None  # ISO 8601
    currency: str | None = None  # ISO 4217
    subtotal: float | None = None
    tax: float | None = None
    total: float | None = None
    line_items: list[LineItem] = []


@dataclass(frozen=True)
class Schema:
    """What to extract: a name for the record, the JSON Schema, and its top-level field names."""

    name: str
    json_schema: dict[str, Any]
    fields: tuple[str, ...]
    builtin: bool = False

    def field_schema(self, field: str) -> dict[str, Any]:
        props = self.json_schema.get("properties", {})
        prop = props.get(field, {}) if isinstance(props, dict) else {}
        return prop if isinstance(prop, dict) else {}

    def field_type(self, field: str) -> str | None:
        """The JSON type of a field, looking through `anyOf: [X, null]` as pydantic writes optionals."""
        prop = self.field_schema(field)
        options = prop.get("anyOf") or prop.get("oneOf") or [prop]
        for opt in options:
            t = opt.get("type") if isinstance(opt, dict) else None
            if isinstance(t, list):
                t = next((x for x in t if x != "null"), None)
            if isinstance(t, str) and t != "null":
                return t
            if isinstance(opt, dict) and "$ref" in opt:
                return "object"
        return None

    def empty_value(self, field: str) -> Any:
        return [] if self.field_type(field) == "array" else None


def _from_model(name: str, model: type[BaseModel], builtin: bool = False) -> Schema:
    js = model.model_json_schema()
    return Schema(name, js, tuple(js.get("properties", {})), builtin)


BUILTIN: dict[str, Callable[[], Schema]] = {
    "invoice": lambda: _from_model("invoice", InvoiceData, builtin=True),
    "receipt": lambda: _from_model("receipt", ReceiptData, builtin=True),
}


def _from_file(path: Path) -> Schema:
    try:
        js = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ValueError(f"{path}: not a readable JSON Schema ({e})") from None
    props = js.get("properties") if isinstance(js, dict) else None
    if not isinstance(props, dict) or not props:
        raise ValueError(f"{path}: a JSON Schema needs an object with top-level 'properties'")
    return Schema(path.stem, js, tuple(props))


def _import_module(module: str) -> Any:
    """A dotted module (found from the current folder too), or a .py file by its path."""
    if module.endswith(".py") or "/" in module:
        path = Path(module)
        if not path.is_file():
            raise ImportError(f"no such file {module}")
        spec = importlib.util.spec_from_file_location(path.stem, path)
        if spec is None or spec.loader is None:
            raise ImportError(f"{module} is not a Python module")
        mod = importlib.util.module_from_spec(spec)
        sys.modules.setdefault(path.stem, mod)  # pickling the model's instances finds it by name
        spec.loader.exec_module(mod)
        return mod
    if "" not in sys.path and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())  # the `docpipe` script does not put the cwd on the path
    return importlib.import_module(module)


def _from_import(spec: str) -> Schema:
    module, _, attr = spec.rpartition(":")
    if not module or not attr:
        raise ValueError(f"cannot load schema {spec!r}: write module:Class or path/to/file.py:Class")
    try:
        mod = _import_module(module)
    except Exception as e:  # whatever the user's module raises on import: one line, not a traceback
        raise ValueError(f"cannot load schema {spec!r}: {type(e).__name__}: {e}") from None
    model = getattr(mod, attr, None)
    if model is None:
        raise ValueError(f"cannot load schema {spec!r}: module {module!r} has no {attr!r}")
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        raise ValueError(f"schema {spec!r} is not a pydantic model class (BaseModel subclass)")
    return _from_model(attr, model)


def load_schema(name_or_path: str) -> Schema:
    """A built-in by name, else a JSON Schema file, else `module:Class` for a pydantic model."""
    if name_or_path in BUILTIN:
        return BUILTIN[name_or_path]()
    path = Path(name_or_path)
    if path.suffix.lower() == ".json" or (path.is_file() and path.suffix.lower() != ".py"):
        return _from_file(path)
    if ":" in name_or_path:
        return _from_import(name_or_path)
    raise ValueError(
        f"unknown schema {name_or_path!r}: use {', '.join(sorted(BUILTIN))}, a JSON Schema file or module:Class"
    )
