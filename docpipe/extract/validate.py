"""Arithmetic and plausibility checks. A failed check is reported and lowers the confidence
of the fields involved; values are never changed to make the sums work."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

CENT = Decimal("0.01")
EARLIEST = date(1990, 1, 1)
LATEST_AHEAD = timedelta(days=730)  # a due date may be up to two years out

Problem = tuple[str, list[str]]  # (message, fields involved)


def _d(v: Any) -> Decimal | None:
    if v is None or isinstance(v, bool):
        return None
    try:
        return Decimal(str(v)).quantize(CENT)
    except (InvalidOperation, ValueError):
        return None


def check_totals(data: dict[str, Any]) -> list[Problem]:
    sub, tax, total = _d(data.get("subtotal")), _d(data.get("tax")), _d(data.get("total"))
    if sub is not None and tax is not None and total is not None and sub + tax != total:
        return [(f"subtotal {sub} + tax {tax} = {sub + tax}, not the total {total}", ["subtotal", "tax", "total"])]
    return []


def check_line_items(data: dict[str, Any]) -> list[Problem]:
    items = [it for it in data.get("line_items") or [] if isinstance(it, dict)]
    problems: list[Problem] = []
    for i, it in enumerate(items, start=1):
        q, p, a = _d(it.get("quantity")), _d(it.get("unit_price")), _d(it.get("amount"))
        if q is not None and p is not None and a is not None and (q * p).quantize(CENT) != a:
            problems.append((f"line {i}: {q} × {p} = {(q * p).quantize(CENT)}, not {a}", ["line_items"]))
    amounts = [_d(it.get("amount")) for it in items]
    if not items or any(a is None for a in amounts):
        return problems
    total_of_lines = sum((a for a in amounts if a is not None), Decimal(0))
    sub, tax, total = _d(data.get("subtotal")), _d(data.get("tax")), _d(data.get("total"))
    # Lines add up to the subtotal; with no subtotal and no tax, to the total.
    target, name = (sub, "subtotal") if sub is not None else (total if not tax else None, "total")
    if target is not None and total_of_lines != target:
        problems.append((f"line items sum to {total_of_lines}, not the {name} {target}", ["line_items", name]))
    return problems


def _iso(v: Any) -> date | None:
    try:
        return date.fromisoformat(v) if isinstance(v, str) else None
    except ValueError:
        return None


def check_dates(data: dict[str, Any], today: date) -> list[Problem]:
    problems: list[Problem] = []
    issued: date | None = None
    for field in ("invoice_date", "date", "due_date"):
        v = data.get(field)
        if v is None:
            continue
        d = _iso(v)
        if d is None:
            problems.append((f"{field} {v!r} is not an ISO 8601 date", [field]))
            continue
        if not EARLIEST <= d <= today + LATEST_AHEAD:
            problems.append((f"{field} {v} is implausible", [field]))
        if field != "due_date":
            issued = issued or d
        elif issued is not None and d < issued:
            problems.append((f"due date {v} is before the invoice date {issued}", ["due_date"]))
    return problems


def validate(data: dict[str, Any], today: date | None = None) -> list[Problem]:
    """Every failed check, as (message, fields involved)."""
    return check_totals(data) + check_line_items(data) + check_dates(data, today or date.today())
