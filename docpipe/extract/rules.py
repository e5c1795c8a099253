"""Rule-based field extraction over the layout: labels, the values beside or below them,
tables for line items. No model, so it runs anywhere and every value has a box."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from docpipe.document import BBox, Document, Element, Line, Word
from docpipe.extract.normalize import MONEY, find_currency, last_money, parse_amount, parse_date


@dataclass(frozen=True)
class Found:
    """A value with where it came from."""

    value: object
    page: int
    bbox: BBox
    text: str
    confidence: float


@dataclass(frozen=True)
class PlacedLine:
    line: Line
    page: int
    element: Element

    @property
    def text(self) -> str:
        return self.line.text


def placed_lines(doc: Document) -> list[PlacedLine]:
    out: list[PlacedLine] = []
    for e in doc.body:
        pages = [p.page for p in e.prov]
        idx, prev_y = 0, -1.0
        for ln in e.lines:
            if out and ln.bbox.y0 < prev_y - 1 and idx + 1 < len(pages):
                idx += 1  # a table joined across pages: its lines restart at the top
            out.append(PlacedLine(ln, pages[idx], e))
            prev_y = ln.bbox.y0
    return out


def _value_words(line: Line, label_end: int) -> tuple[str, BBox, float]:
    """Text after the label, with the box of just those words when they are known."""
    value = line.text[label_end:].strip(" :#.-\t")
    n_label = len(line.text[:label_end].split())
    words: list[Word] = line.words[n_label:] if len(line.words) == len(line.text.split()) else []
    if words:
        return value, BBox.union_all([w.bbox for w in words]), min(w.confidence for w in words)
    return value, line.bbox, 1.0


def _neighbour_value(lines: list[PlacedLine], i: int) -> PlacedLine | None:
    """The line right of a bare label on the same baseline, else the one just below it."""
    me = lines[i]
    right = [
        pl
        for pl in lines
        if pl.page == me.page
        and pl is not me
        and pl.line.bbox.x0 > me.line.bbox.x1
        and pl.line.bbox.y_overlap(me.line.bbox) > 0.5 * me.line.bbox.height
    ]
    if right:
        return min(right, key=lambda pl: pl.line.bbox.x0)
    below = [
        pl
        for pl in lines
        if pl.page == me.page
        and pl.line.bbox.y0 >= me.line.bbox.y1 - 1
        and pl.line.bbox.y0 - me.line.bbox.y1 < 1.5 * me.line.bbox.height
        and pl.line.bbox.x_overlap(me.line.bbox) > 0
    ]
    return min(below, key=lambda pl: pl.line.bbox.y0) if below else None


def find_labelled(
    lines: list[PlacedLine], patterns: list[str], exclude: str | None = None, want: str = "any"
) -> tuple[str, PlacedLine, BBox, float, int] | None:
    """First value for the most specific label pattern: (text, line, value box, conf, rank)."""
    for rank, pattern in enumerate(patterns):
        rx = re.compile(pattern, re.I)
        for i, pl in enumerate(lines):
            m = rx.search(pl.text)
            if not m or (exclude and re.search(exclude, pl.text, re.I)):
                continue
            value, box, conf = _value_words(pl.line, m.end())
            if not _accepts(value, want):
                nb = _neighbour_value(lines, i)
                if nb is None or not _accepts(nb.text, want):
                    continue
                value, box, conf, pl = nb.text, nb.line.bbox, _conf(nb.line), nb
            return value, pl, box, conf, rank
    return None


def _conf(line: Line) -> float:
    return min((w.confidence for w in line.words), default=1.0)


def _accepts(value: str, want: str) -> bool:
    if not value.strip():
        return False
    if want == "money":
        return bool(MONEY.search(value))
    if want == "date":
        return parse_date(value) is not None
    if want == "id":
        return bool(re.search(r"\d", value))
    return True


TOTAL_LABELS = [
    r"\b(total\s+due|amount\s+due|balance\s+due|grand\s+total|total\s+amount|amount\s+payable|gesamtbetrag"
    r"|rechnungsbetrag|total\s+to\s+pay)\b",
    r"\btotal\b|\bsumme\b",
]
SUBTOTAL_LABELS = [r"\b(sub\s*-?\s*total|zwischensumme|net\s+amount|nettobetrag|net\s+total)\b"]
TAX_LABELS = [r"\b(sales\s+tax|tax|vat|gst|mwst\.?|ust\.?|hst)\b"]
NUMBER_LABELS = [
    r"\b(invoice\s*(no|number|nr|#|id)\.?|inv\s*(no|#)\.?|rechnungs-?\s*(nummer|nr)\.?|bill\s*(no|number|#))\s*:?",
    r"\b(no|nr|number)\.?\s*:",
]
DATE_LABELS = [
    r"\b(invoice\s+date|date\s+of\s+issue|issue\s+date|rechnungsdatum|billing\s+date)\b",
    r"\b(date|datum)\b",
]
DUE_LABELS = [r"\b(due\s+date|payment\s+due|due\s+on|fällig(\s+am)?|zahlbar\s+bis|pay\s+by)\b"]
_NOT_VENDOR = re.compile(r"^(invoice|rechnung|receipt|tax invoice|bill to|ship to|quittung|beleg)\b", re.I)


def _money_found(hit: tuple[str, PlacedLine, BBox, float, int] | None, rank_conf: float = 0.1) -> Found | None:
    if hit is None:
        return None
    value, pl, box, conf, rank = hit
    money = last_money(value)
    if money is None:
        return None
    return Found(float(money[0]), pl.page, box, pl.text, max(0.05, conf - rank_conf * rank))


def extract_totals(lines: list[PlacedLine]) -> dict[str, Found]:
    out: dict[str, Found] = {}
    total = _money_found(find_labelled(lines, TOTAL_LABELS, exclude=r"sub\s*-?\s*total|zwischen", want="money"))
    if total:
        out["total"] = total
    sub = _money_found(find_labelled(lines, SUBTOTAL_LABELS, want="money"))
    if sub:
        out["subtotal"] = sub
    tax = _money_found(find_labelled(lines, TAX_LABELS, exclude=r"\btotal\b|excl|incl|summe", want="money"))
    if tax:
        out["tax"] = tax
    return out


def extract_identity(lines: list[PlacedLine], date_field: str) -> dict[str, Found]:
    out: dict[str, Found] = {}
    hit = find_labelled(lines, NUMBER_LABELS, exclude=r"\b(date|datum|phone|tel|fax|vat\s+no|tax\s+id)\b", want="id")
    if hit:
        value, pl, box, conf, rank = hit
        token = next((t for t in value.split() if re.search(r"\d", t)), value.split()[0])
        out["invoice_number"] = Found(token.strip(".,;:"), pl.page, box, pl.text, conf - 0.1 * rank)
    dayfirst = True
    for field, patterns, exclude in (
        (date_field, DATE_LABELS, r"\b(due|fällig|zahlbar)\b"),
        ("due_date", DUE_LABELS, None),
    ):
        hit = find_labelled(lines, patterns, exclude=exclude, want="date")
        if hit:
            value, pl, box, conf, rank = hit
            d = parse_date(value, dayfirst=dayfirst)
            if d is not None:
                out[field] = Found(d.isoformat(), pl.page, box, pl.text, conf - 0.1 * rank)
    if date_field not in out:  # receipts often print a bare date near the top
        for pl in lines[:12]:
            d = parse_date(pl.text)
            if d is not None:
                out[date_field] = Found(d.isoformat(), pl.page, pl.line.bbox, pl.text, _conf(pl.line) - 0.2)
                break
    return out


def extract_vendor(doc: Document) -> dict[str, Found]:
    """The first prominent text on page 1 that is not a document-type word or a label."""
    first = [e for e in doc.body if e.page == 1 and e.lines and e.label != "table"]
    for k, e in enumerate(first):
        name_line = e.lines[0]
        if _NOT_VENDOR.search(name_line.text) or ":" in name_line.text or not re.search(r"[A-Za-z]{2}", name_line.text):
            continue
        out = {"vendor_name": Found(name_line.text.strip(), 1, name_line.bbox, name_line.text, _conf(name_line))}
        rest = list(e.lines[1:])
        if not rest and k + 1 < len(first):
            nxt = first[k + 1]
            close = nxt.bbox.y0 - e.bbox.y1 < 2 * name_line.bbox.height
            if close and nxt.bbox.x_overlap(e.bbox) > 0:
                rest = list(nxt.lines)
        address: list[Line] = []
        for ln in rest[:3]:
            if ":" in ln.text or _NOT_VENDOR.search(ln.text) or parse_date(ln.text) or MONEY.search(ln.text):
                break
            address.append(ln)
        if address:
            text = ", ".join(ln.text.strip() for ln in address)
            box = BBox.union_all([ln.bbox for ln in address])
            out["vendor_address"] = Found(
                text, 1, box, "\n".join(ln.text for ln in address), min(_conf(ln) for ln in address)
            )
        return out
    return {}


_HEADERS = {
    "description": r"description|item|artikel|beschreibung|bezeichnung|product|service|details",
    "quantity": r"qty|quantity|menge|anzahl|units|hrs|hours",
    "unit_price": r"unit\s*price|price|rate|einzelpreis|preis|unit\s*cost",
    "amount": r"amount|total|betrag|gesamt|line\s*total|sum",
}


def _map_columns(header: list[str]) -> dict[str, int]:
    cols: dict[str, int] = {}
    for field in ("unit_price", "quantity", "description", "amount"):
        for i, h in enumerate(header):
            if i not in cols.values() and re.search(_HEADERS[field], h, re.I):
                cols[field] = i
                break
    return cols


def extract_table_items(doc: Document) -> tuple[list[dict[str, object]], Found | None]:
    for e in doc.body:
        if e.table is None:
            continue
        grid = e.table.grid()
        cols = _map_columns(grid[0]) if grid else {}
        if "description" not in cols or "amount" not in cols:
            continue
        items: list[dict[str, object]] = []
        for row in grid[e.table.header_rows() or 1 :]:
            desc = row[cols["description"]].strip()
            amount = last_money(row[cols["amount"]])
            if not desc or amount is None:
                continue  # totals rows and blank rows
            qty = parse_amount(row[cols["quantity"]]) if "quantity" in cols else None
            unit = last_money(row[cols["unit_price"]]) if "unit_price" in cols else None
            items.append(
                {
                    "description": desc,
                    "quantity": float(qty) if qty is not None else None,
                    "unit_price": float(unit[0]) if unit else None,
                    "amount": float(amount[0]),
                }
            )
        if items:
            return items, Found(items, e.page, e.bbox, e.text[:200], e.confidence)
    return [], None


_QTY_X = re.compile(r"^(\d+)\s*[xX×]\s+(.+)$")
_AT = re.compile(r"^(.+?)\s*(\d+)\s*@\s*\d[\d.,]*$")
_STOP = re.compile(r"\b(sub\s*-?total|total|tax|vat|gst|cash|change|balance|summe)\b", re.I)


def extract_line_items_from_lines(lines: list[PlacedLine], vendor_box: BBox | None) -> list[dict[str, object]]:
    """Receipt style: 'NAME ..... 4.50', '2 x NAME 7.50', 'NAME 3 @ 2.50 RM 7.50'."""
    items: list[dict[str, object]] = []
    for pl in lines:
        if vendor_box is not None and pl.line.bbox.y1 <= vendor_box.y1 + 1:
            continue
        if _STOP.search(pl.text):
            if items:
                break
            continue
        money = last_money(pl.text)
        if money is None:
            continue
        desc = pl.text[: pl.text.rfind(money[1])]
        desc = re.sub(r"(\bRM|[$€£])?[\s.]*$", "", desc).strip()
        qty = Decimal(1)
        if m := _QTY_X.match(desc):
            qty, desc = Decimal(m[1]), m[2]
        elif m := _AT.match(desc):
            desc, qty = m[1], Decimal(m[2])
        if not re.search(r"[A-Za-z]{2}", desc) or parse_date(desc):
            continue
        amount = money[0]
        items.append(
            {
                "description": desc.strip(),
                "quantity": float(qty),
                "unit_price": float((amount / qty).quantize(Decimal("0.01"))),
                "amount": float(amount),
            }
        )
    return items


def extract_with_rules(doc: Document, fields: tuple[str, ...]) -> dict[str, Found]:
    lines = placed_lines(doc)
    date_field = "date" if "date" in fields and "invoice_date" not in fields else "invoice_date"
    found: dict[str, Found] = {}
    found.update(extract_vendor(doc))
    found.update(extract_identity(lines, date_field))
    found.update(extract_totals(lines))
    currency = find_currency(" ".join(pl.text for pl in lines))
    if currency:
        where = next((pl for pl in lines if MONEY.search(pl.text)), lines[0])
        found["currency"] = Found(currency, where.page, where.line.bbox, where.text, 0.8)
    if "line_items" in fields:
        items, prov = extract_table_items(doc)
        if not items:
            vendor = found.get("vendor_address") or found.get("vendor_name")
            items = extract_line_items_from_lines(lines, vendor.bbox if vendor else None)
            if items:
                prov = Found(items, lines[0].page, BBox.union_all([pl.line.bbox for pl in lines]), "", 0.6)
        if prov is not None:
            found["line_items"] = Found(items, prov.page, prov.bbox, prov.text, prov.confidence)
    return {k: v for k, v in found.items() if k in fields}
