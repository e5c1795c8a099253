"""Extraction schemas: built-in invoice and receipt, a JSON Schema file, or a pydantic model."""

from __future__ import annotations

import importlib
import json
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
    due_date: str | None = None
    currency: str | None = None  # ISO 4217
    subtotal: float | None = None
    tax: float | None = None
    total: float | None = None
    line_items: list[LineItem] = []


class ReceiptData(BaseModel):
    vendor_name: str | None = None
    vendor_address: str | None = None
    date: str | None = None
    currency: str | None = None
    subtotal: float | None = None
    tax: float | None = None
    total: float | None = None
    line_items: list[LineItem] = []


@dataclass(frozen=True)
class Schema:
    name: str
    json_schema: dict[str, Any]
    fields: tuple[str, ...]
    builtin: bool = False


def _from_model(name: str, model: type[BaseModel], builtin: bool = False) -> Schema:
    js = model.model_json_schema()
    return Schema(name, js, tuple(js.get("properties", {})), builtin)


BUILTIN: dict[str, Callable[[], Schema]] = {
    "invoice": lambda: _from_model("invoice", InvoiceData, True),
    "receipt": lambda: _from_model("receipt", ReceiptData, True),
}


def load_schema(name_or_path: str) -> Schema:
    if name_or_path in BUILTIN:
        return BUILTIN[name_or_path]()
    path = Path(name_or_path)
    if path.suffix == ".json" or path.exists():
        try:
            js = json.loads(path.read_text())
        except (OSError, ValueError) as e:
            raise ValueError(f"{path}: not a readable JSON Schema ({e})") from None
        props = js.get("properties") if isinstance(js, dict) else None
        if not isinstance(props, dict) or not props:
            raise ValueError(f"{path}: a JSON Schema with top-level 'properties' is needed")
        return Schema(path.stem, js, tuple(props))
    if ":" in name_or_path:
        module, _, attr = name_or_path.partition(":")
        try:
            model = getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError) as e:
            raise ValueError(f"cannot load schema {name_or_path!r}: {e}") from None
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            raise ValueError(f"{name_or_path} is not a pydantic model")
        return _from_model(attr, model)
    raise ValueError(f"unknown schema {name_or_path!r}: use invoice, receipt, a .json file or module:Class")
