"""Line items: from table elements (header names → columns), else from receipt lines
("NAME ..... 4.50", "2 x NAME 7.50", "NAME 2 @ 5.20 RM 10.40") above the totals."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from docpipe.document import BBox, Document, Element
from docpipe.extract.labels import CLOSING, ITEM_HEADERS
from docpipe.extract.normalize import CODE_ALT, find_dates, find_money, parse_amount
from docpipe.extract.pairs import PlacedLine, line_confidence

CENT = Decimal("0.01")
HEADER_SEARCH_ROWS = 3  # a title or a blank row may sit above the header
_TRAILING_MARK = re.compile(rf"(?:[$€£¥₹]|\bRM|\bRs\.?|\b(?:{CODE_ALT}))?[\s.·…_:*-]*$")
_LABEL_LINE = re.compile(r"^\s*[^\d:]{1,32}:")


@dataclass(frozen=True)
class Items:
    """The items found and where: one box (the first table, or the item lines) for provenance."""

    rows: list[dict[str, Any]]
    page: int
    bbox: BBox
    text: str
    confidence: float


def _item(description: str, quantity: Decimal | None, unit: Decimal | None, amount: Decimal | None) -> dict[str, Any]:
    return {
        "description": description,
        "quantity": float(quantity) if quantity is not None else None,
        "unit_price": float(unit) if unit is not None else None,
        "amount": float(amount) if amount is not None else None,
    }


# ---------------------------------------------------------------- tables


def map_columns(header: list[str]) -> dict[str, int]:
    """Field → column from header names; the most specific name wins a column."""
    options: list[tuple[int, int, int, str]] = []
    for col, name in enumerate(header):
        for prio, (field, patterns) in enumerate(ITEM_HEADERS.items()):
            rank = next((r for r, rx in enumerate(patterns) if rx.search(name)), None)
            if rank is not None:
                options.append((rank, prio, col, field))
    cols: dict[str, int] = {}
    for _, _, col, field in sorted(options):
        if field not in cols and col not in cols.values():
            cols[field] = col
    if "amount" not in cols and "unit_price" in cols and "quantity" not in cols:
        cols["amount"] = cols.pop("unit_price")  # "Item | Price": the price is the line's amount
    return cols


def _is_header(row: list[str], cols: dict[str, int]) -> bool:
    return "description" in cols and ("amount" in cols or "unit_price" in cols) and not any(find_money(c) for c in row)


def _closing_row(row: list[str]) -> bool:
    """A subtotal/tax/total row: some cell is just such a label ("Tax (8%)", "Gesamtbetrag")."""
    for cell in row:
        m = CLOSING.match(cell)
        if m and len(cell.strip()) <= len(m.group(0).strip()) + 12:
            return True
    return False


def _rows_to_items(grid: list[list[str]], cols: dict[str, int]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for row in grid:
        cell = {f: " ".join(row[c].split()) if c < len(row) else "" for f, c in cols.items()}
        if _closing_row(row) or _is_header(row, map_columns(row)):
            continue
        desc = cell.get("description", "")
        amount = parse_amount(cell["amount"]) if cell.get("amount") else None
        qty = parse_amount(cell["quantity"]) if cell.get("quantity") else None
        unit = parse_amount(cell["unit_price"]) if cell.get("unit_price") else None
        if amount is None and unit is None:
            others = [v for f, v in cell.items() if f != "description" and v]
            if desc and items and not others:  # wrapped description text
                items[-1]["description"] += " " + desc
            continue
        if not desc:
            continue
        items.append(_item(desc, qty, unit, amount))
    return items


def items_from_tables(doc: Document) -> Items | None:
    """Items of every table whose header names a description and an amount; a following
    table with the same columns and no header continues the previous one (page breaks)."""
    rows: list[dict[str, Any]] = []
    first: Element | None = None
    cols: dict[str, int] = {}
    n_cols = -1
    for e in doc.body:
        if e.table is None:
            continue
        grid = e.table.grid()
        header = next(
            (r for r in range(min(HEADER_SEARCH_ROWS, len(grid))) if _is_header(grid[r], map_columns(grid[r]))), None
        )
        if header is not None:
            cols, n_cols, grid = map_columns(grid[header]), e.table.n_cols, grid[header + 1 :]
        elif not cols or e.table.n_cols != n_cols:
            cols = {}  # a table of something else: what follows it continues nothing
            continue
        found = _rows_to_items(grid, cols)
        if found and first is None:
            first = e
        rows.extend(found)
    if not rows or first is None:
        return None
    return Items(rows, first.page, first.bbox, first.text[:300], first.confidence)


# ---------------------------------------------------------------- receipt lines


def parse_item_line(text: str) -> dict[str, Any] | None:
    """One priced line: description, quantity, unit price, amount (the last amount printed)."""
    money = find_money(text)
    if not money or _LABEL_LINE.match(text):
        return None
    amount = money[-1]
    qty: Decimal | None = None
    unit: Decimal | None = None
    desc = _TRAILING_MARK.sub("", text[: amount.start])
    if len(money) >= 2:  # "Eggs 2 @ 5.20 10.40", "Kangkung 3 x 2.50 7.50"
        prev = money[-2]
        if m := re.search(r"(\d+(?:[.,]\d+)?)\s*[@xX×]\s*(?:[$€£¥₹]|RM)?\s*$", text[: prev.start]):
            qty, unit, desc = parse_amount(m[1]), prev.value, text[: m.start()]
    if qty is None:
        if m := re.match(r"^\s*(\d+)\s*[xX×]\s+(.+)$", desc):  # "2 x Cappuccino"
            qty, desc = Decimal(m[1]), m[2]
        elif m := re.match(r"^(.+?)\s+[xX×]\s?(\d+)$", desc.strip()):  # "Cappuccino x2"
            desc, qty = m[1], Decimal(m[2])
    desc = _TRAILING_MARK.sub("", desc).strip(" .·…_-*")
    if not re.search(r"[^\W\d_]{2}", desc) or find_dates(desc):
        return None
    qty = qty if qty else Decimal(1)
    if unit is None:
        # A unit price is only derived when it divides exactly, so no rounding is invented.
        per = (amount.value / qty).quantize(CENT)
        unit = per if per * qty == amount.value else None
    return _item(" ".join(desc.split()), qty, unit, amount.value)


def items_from_lines(lines: list[PlacedLine], after_order: int) -> Items | None:
    """Priced lines after the header block (reading order `after_order`) and before the totals."""
    rows: list[dict[str, Any]] = []
    used: list[PlacedLine] = []
    for pl in lines:
        if pl.order <= after_order:
            continue
        if CLOSING.match(pl.text):
            if rows:
                break
            continue
        item = parse_item_line(pl.text)
        if item is not None:
            rows.append(item)
            used.append(pl)
    if not rows:
        return None
    page = used[0].page
    on_page = [pl for pl in used if pl.page == page]
    return Items(
        rows,
        page,
        BBox.union_all([pl.bbox for pl in on_page]),
        "\n".join(pl.text for pl in used)[:300],
        0.8 * min(line_confidence(pl.line) for pl in used),
    )
