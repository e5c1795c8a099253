"""Arithmetic and plausibility checks. A failed check is reported and lowers confidence;
values are never changed to make the sums work."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

CENT = Decimal("0.01")


def _d(v: Any) -> Decimal | None:
    return None if v is None else Decimal(str(v)).quantize(CENT)


def validate(data: dict[str, Any], today: date | None = None) -> list[tuple[str, list[str]]]:
    """(message, fields involved) for every failed check."""
    problems: list[tuple[str, list[str]]] = []
    sub, tax, total = _d(data.get("subtotal")), _d(data.get("tax")), _d(data.get("total"))
    if sub is not None and tax is not None and total is not None and sub + tax != total:
        problems.append(
            (f"subtotal {sub} + tax {tax} = {sub + tax}, not the total {total}", ["subtotal", "tax", "total"])
        )
    items = data.get("line_items") or []
    for i, it in enumerate(items):
        q, p, a = _d(it.get("quantity")), _d(it.get("unit_price")), _d(it.get("amount"))
        if q is not None and p is not None and a is not None and (q * p).quantize(CENT) != a:
            problems.append((f"line {i + 1}: {q} × {p} = {(q * p).quantize(CENT)}, not {a}", ["line_items"]))
    amounts = [_d(it.get("amount")) for it in items]
    if items and all(a is not None for a in amounts):
        s = sum((a for a in amounts if a is not None), Decimal(0))
        target, name = (sub, "subtotal") if sub is not None else (total if tax in (None, 0) else None, "total")
        if target is not None and s != target:
            problems.append((f"line items sum to {s}, not the {name} {target}", ["line_items", name]))
    today = today or date.today()
    issued = None
    for field in ("invoice_date", "date", "due_date"):
        v = data.get(field)
        if v is None:
            continue
        d = date.fromisoformat(v)
        if not (date(1990, 1, 1) <= d <= today + timedelta(days=730)):
            problems.append((f"{field} {v} is implausible", [field]))
        if field in ("invoice_date", "date"):
            issued = d
        elif issued is not None and d < issued:
            problems.append((f"due date {v} is before the invoice date {issued}", ["due_date"]))
    return problems
