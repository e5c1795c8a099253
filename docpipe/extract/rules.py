"""Rule-based extraction: candidates from the layout, scored, one value per field. No model,
so it runs anywhere, and every value comes with the page and box it was read from."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from itertools import pairwise, product
from typing import Any

from docpipe.document import BBox, Document
from docpipe.extract import labels as L
from docpipe.extract.items import items_from_lines, items_from_tables
from docpipe.extract.normalize import (
    ambiguous_order_hint,
    compact_date,
    currency_marks,
    find_amounts,
    find_currency,
    find_dates,
    find_money,
    fold_stray_accents,
)
from docpipe.extract.pairs import Hit, Parser, PlacedLine, find_values, placed_lines, span_box
from docpipe.extract.receipt_header import find_receipt_header
from docpipe.extract.schemas import Schema
from docpipe.extract.vendor import VendorLines, address_box, address_text, find_vendor

BUILTIN_FIELDS = frozenset(
    {"vendor_name", "vendor_address", "invoice_number", "invoice_date", "date", "due_date", "currency"}
    | {"subtotal", "tax", "total", "line_items"}
)
BARE_DATE_LINES = 25  # an invoice's or letter's unlabelled date sits among its first lines
_ID = re.compile(r"[#№]?([A-Za-z0-9][\w/.\-]*)")


@dataclass(frozen=True)
class Found:
    """A value with where it came from."""

    value: Any
    page: int
    bbox: BBox
    text: str
    confidence: float


def _from_hit(hit: Hit, value: Any = None) -> Found:
    return Found(hit.value if value is None else value, hit.placed.page, hit.bbox, hit.text, hit.confidence)


# ---------------------------------------------------------------- parsers: text → (value, span)


def parse_money(text: str) -> tuple[Decimal, int, int] | None:
    """The first money-like amount; or a bare number when it is all the text holds ("Total: 500")."""
    money = find_money(text)
    if money:
        return money[0].value, money[0].start, money[0].end
    amounts = [a for a in find_amounts(text) if not a.percent]
    if len(amounts) == 1 and not re.search(r"[^\W\d_]", text.replace(text[amounts[0].start : amounts[0].end], "")):
        a = amounts[0]
        return a.value, a.start, a.end
    return None


def date_parser(dayfirst: bool) -> Parser:
    def parse(text: str) -> tuple[date, int, int] | None:
        found = find_dates(text, dayfirst=dayfirst)
        return (found[0].value, found[0].start, found[0].end) if found else None

    return parse


def parse_id(text: str) -> tuple[str, int, int] | None:
    """The first token with a digit that is not part of a date or an amount: INV-2024-0117."""
    blocked = [(d.start, d.end) for d in find_dates(text)] + [(a.start, a.end) for a in find_money(text)]
    for m in _ID.finditer(text):
        token = m.group(1).rstrip(".,;:")
        if len(token) < 2 and not token.isdigit():
            continue
        s, e = m.start(1), m.start(1) + len(token)
        if re.search(r"\d", token) and not any(s < be and bs < e for bs, be in blocked):
            return token, s, e
    return None


def parse_text(text: str) -> tuple[str, int, int] | None:
    m = re.search(r"\S(?:.*\S)?", text)
    if m is None:
        return None
    s = m.start() + len(m.group(0)) - len(m.group(0).lstrip(":#-–—= \t"))
    value = text[s : m.end()]
    return (value, s, m.end()) if value else None


# ---------------------------------------------------------------- fields


def _first(hits: list[Hit]) -> Hit | None:
    return min(hits, key=lambda h: (h.rank, h.placed.page, h.placed.order)) if hits else None


def find_invoice_number(lines: list[PlacedLine]) -> Found | None:
    hit = _first(find_values(lines, L.INVOICE_NUMBER, parse_id, L.INVOICE_NUMBER_NOT))
    if hit:
        return _from_hit(hit)
    # "FACTURA" / "INV/2024/00005": a title naming the document's type, its number the line under it
    for pl, nxt in pairwise(lines):
        if L.DOC_TYPE.fullmatch(pl.text.strip()) and (found := parse_id(nxt.text)):
            value, s, e = found
            if nxt.text.strip() == value:
                box, conf = span_box(nxt.line, s, e)
                return Found(value, nxt.page, box, nxt.text, 0.8 * conf)
    return None


def find_dates_fields(lines: list[PlacedLine], date_field: str, dayfirst: bool) -> dict[str, Found]:
    parse = date_parser(dayfirst)
    out: dict[str, Found] = {}
    if hit := _first(find_values(lines, L.INVOICE_DATE, parse, L.INVOICE_DATE_NOT)):
        out[date_field] = _from_hit(hit, hit.value.isoformat())
    if hit := _first(find_values(lines, L.DUE_DATE, parse)):
        out["due_date"] = _from_hit(hit, hit.value.isoformat())
    if date_field not in out:  # receipts print a bare date: near the top, or by the till's numbers
        reach = len(lines) if date_field == "date" else BARE_DATE_LINES
        for pl in lines[:reach]:
            d = next((d for d in find_dates(pl.text, dayfirst=dayfirst) if not _other_date(pl.text[: d.start])), None)
            if d is not None:
                box, conf = span_box(pl.line, d.start, d.end)
                out[date_field] = Found(d.value.isoformat(), pl.page, box, pl.text, 0.7 * conf)
                break
    if date_field not in out and date_field == "date":  # no date in any printed form: "27032018" alone
        for pl in lines:
            if (d := compact_date(pl.text, dayfirst=dayfirst)) is not None:
                box, conf = span_box(pl.line, d.start, d.end)
                out[date_field] = Found(d.value.isoformat(), pl.page, box, pl.text, 0.5 * conf)
                break
    return out


def _other_date(before: str) -> bool:
    """The words printed just before a date name another date (due, delivery, expiry)."""
    near: list[str] = []
    for word in reversed(before.split()[-3:]):
        if re.search(r"\d", word):
            break  # "Order No. 1000070 17/04/2018": the label names the number, not the date
        near.insert(0, word)
    return bool(near) and bool(
        L.INVOICE_DATE_NOT.search(" ".join(near)) or any(rx.search(" ".join(near)) for rx in L.DUE_DATE)
    )


def _pick_amounts(totals: list[Hit], subs: list[Hit], taxes: list[Hit]) -> dict[str, Found]:
    """The best-ranked total (the largest of equals), subtotal and tax - unless another
    combination of the candidates adds up (subtotal + tax = total) where the best does not."""
    totals = sorted(totals, key=lambda h: (h.rank, -h.value, -h.placed.order))
    subs = sorted(subs, key=lambda h: (h.rank, -h.value, h.placed.order))
    taxes = sorted(taxes, key=lambda h: (h.rank, h.placed.order))
    out: dict[str, Found] = {}
    for name, hits in (("total", totals), ("subtotal", subs), ("tax", taxes)):
        if hits:
            out[name] = _from_hit(hits[0], float(hits[0].value))
    if not (totals and subs and taxes) or subs[0].value + taxes[0].value == totals[0].value:
        return out
    for t, s, x in product(totals[:5], subs[:5], taxes[:5]):
        if s.value + x.value == t.value:
            chosen = {"total": t, "subtotal": s, "tax": x}
            return {name: _from_hit(h, float(h.value)) for name, h in chosen.items()}
    # Several tax rates, each on its own line: their sum may be what closes the invoice.
    distinct = {h.placed.order: h for h in taxes if h.rank == taxes[0].rank}
    tax_sum = sum((h.value for h in distinct.values()), Decimal(0))
    if len(distinct) > 1 and subs[0].value + tax_sum == totals[0].value:
        first = min(distinct.values(), key=lambda h: h.placed.order)
        same_page = [h.bbox for h in distinct.values() if h.placed.page == first.placed.page]
        text = "\n".join(h.text for h in sorted(distinct.values(), key=lambda h: h.placed.order))
        conf = min(h.confidence for h in distinct.values())
        out["tax"] = Found(float(tax_sum), first.placed.page, BBox.union_all(same_page), text, conf)
    return out


_ROUNDING = re.compile(r"^\s*round\w*(?:\s+adj\w*\.?)?\s*:?\s*(?:RM)?\s*([-−]?)\s*(?:RM)?\s*(\d*[.,]\d{2})\b", re.I)
_PAYMENT = re.compile(r"\b(?:cash|change|tender\w*|paid|visa|master\w*|card|credit)\b", re.I)
ROUNDING_REACH = 3  # lines after the total where the till prints its rounding adjustment


def _rounded(total: Found, lines: list[PlacedLine]) -> Found:
    """A total in cents that the till rounds to 5 sen: "Total 14.18" and "Rounding 0.02" under
    it make 14.20 the amount paid."""
    cents = Decimal(str(total.value)) * 100
    if cents % 5 == 0:
        return total
    at = next((i for i, pl in enumerate(lines) if pl.text == total.text and pl.page == total.page), None)
    if at is None:
        return total
    for pl in lines[at + 1 : at + 1 + ROUNDING_REACH]:
        if _PAYMENT.search(pl.text):
            break  # rounding printed with the change belongs to the cash tendered
        m = _ROUNDING.match(pl.text)
        if m is None:
            continue
        adj = Decimal(m.group(2).replace(",", ".")) * (-1 if m.group(1) else 1)
        paid = Decimal(str(total.value)) + adj
        if 0 < abs(adj) < Decimal("0.05") and (paid * 100) % 5 == 0:
            box, conf = span_box(pl.line, m.start(2), m.end(2))
            return Found(float(paid), pl.page, BBox.union_all([total.bbox, box]), f"{total.text}\n{pl.text}", conf)
        break
    return total


COLUMN_GAP = 3.0  # line heights between two amounts of one column of totals


def _column_sum(total: Hit, lines: list[PlacedLine]) -> Found | None:
    """A total read under its column's header ("Endbetrag") may head a column of totals, one
    per tax rate, closed by their sum (-5,77 / -3,02 / -8,79): the sum is the invoice's total."""
    if total.where != "below":
        return None
    values, prev = [total.value], total.placed
    for pl in lines[prev.order + 1 :]:
        if pl.page != prev.page or pl.bbox.y0 < prev.bbox.y0:
            continue
        if pl.bbox.y0 - prev.bbox.y1 > COLUMN_GAP * prev.bbox.height:
            break
        boxed = [(m.value, *span_box(pl.line, m.start, m.end)) for m in find_money(pl.text)]
        under = next((b for b in boxed if b[1].x_overlap(total.bbox) > 0), None)
        if under is None:
            break
        values.append(under[0])
        prev = pl
        if len(values) >= 3 and values[-1] == sum(values[:-1], Decimal(0)):
            text = "\n".join(p.text for p in lines[total.placed.order : pl.order + 1])
            return Found(float(values[-1]), pl.page, under[1], text, under[2])
    return None


def _paid_less_change(lines: list[PlacedLine]) -> Found | None:
    """No total printed ("Net Amt : 36.00" is no total label): what was paid less the change
    given back ("Received 36.00", "Change : 0.00") is what the purchase cost."""
    paid = min(find_values(lines, L.PAID, parse_money), key=lambda h: h.placed.order, default=None)
    if paid is None:
        return None
    change = next((h for h in find_values(lines, L.CHANGE, parse_money) if h.placed.order > paid.placed.order), None)
    if change is None or not 0 <= change.value < paid.value:
        return None
    text = f"{paid.text}\n{change.text}"
    return Found(float(paid.value - change.value), paid.placed.page, paid.bbox, text, 0.6 * paid.confidence)


def find_amount_fields(lines: list[PlacedLine]) -> dict[str, Found]:
    totals = find_values(lines, L.TOTAL, parse_money, L.TOTAL_NOT)
    found = _pick_amounts(
        totals, find_values(lines, L.SUBTOTAL, parse_money), find_values(lines, L.TAX, parse_money, L.TAX_NOT)
    )
    if "total" in found:
        chosen = next((h for h in totals if h.bbox == found["total"].bbox and h.text == found["total"].text), None)
        summed = _column_sum(chosen, lines) if chosen is not None else None
        found["total"] = summed or _rounded(found["total"], lines)
    elif (spent := _paid_less_change(lines)) is not None:
        found["total"] = spent
    return found


CREDIT_TITLE_LINES = 25  # a credit note says so in its title, among the first lines


def credited(found: dict[str, Found], lines: list[PlacedLine]) -> dict[str, Found]:
    """On a credit note the amounts are what is credited: positive, the document's type
    carries the sign (a corrective invoice, "Rechnungskorrektur", keeps its minus)."""
    if not any(L.CREDIT_NOTE.match(pl.text) for pl in lines[:CREDIT_TITLE_LINES]):
        return found
    out = dict(found)
    for name in ("total", "subtotal", "tax"):
        if name in out and out[name].value < 0:
            f = out[name]
            out[name] = Found(-f.value, f.page, f.bbox, f.text, f.confidence)
    return out


def find_currency_field(doc: Document, lines: list[PlacedLine]) -> Found | None:
    texts = [pl.text for pl in lines] + [e.text for e in doc.furniture]
    code = find_currency("\n".join(texts))
    if code is None:
        return None
    for pl in lines:
        mark = next((m for m in currency_marks(pl.text) if m.code == code), None)
        if mark is not None:
            box, conf = span_box(pl.line, mark.start, mark.end)
            return Found(code, pl.page, box, pl.text, 0.9 * conf)
    return None  # named only in the page furniture: no box in the body to point at


def find_vendor_fields(vendor: VendorLines | None) -> dict[str, Found]:
    if vendor is None:
        return {}
    name = vendor.name
    out = {"vendor_name": Found(name.text.strip(), 1, name.bbox, name.text, vendor.confidence)}
    if vendor.address:
        out["vendor_address"] = Found(
            address_text(vendor.address),
            1,
            address_box(vendor.address),
            "\n".join(ln.text for ln in vendor.address),
            vendor.confidence,
        )
    return out


def find_line_items(doc: Document, lines: list[PlacedLine], vendor: VendorLines | None) -> Found | None:
    items = items_from_tables(doc)
    if items is None:  # receipts: priced lines after the vendor block
        held = [] if vendor is None else [vendor.name, *vendor.address]
        after = max((pl.order for pl in lines if any(pl.line is ln for ln in held)), default=-1)
        items = items_from_lines(lines, after)
    if items is None:
        return None
    return Found(items.rows, items.page, items.bbox, items.text, items.confidence)


def _field_kind(schema: Schema, field: str) -> str | None:
    prop = schema.field_schema(field)
    kind = schema.field_type(field)
    if kind in ("number", "integer"):
        return kind
    if kind == "string" or kind is None:
        fmt = str(prop.get("format", ""))
        return "date" if fmt.startswith("date") or field.endswith("date") else "text"
    return None  # arrays and objects of user schemas need more than a label


def find_user_field(lines: list[PlacedLine], schema: Schema, field: str, dayfirst: bool) -> Found | None:
    """A field of a user schema, by labels made from its name, title or `x-labels`."""
    kind = _field_kind(schema, field)
    if kind is None:
        return None
    prop = schema.field_schema(field)
    extra = [str(prop["title"])] if isinstance(prop.get("title"), str) else []
    if isinstance(prop.get("description"), str):
        extra += L.description_labels(prop["description"])
    extra += [str(x) for x in prop.get("x-labels", []) if isinstance(x, str)]
    parse: Parser = {"number": parse_money, "integer": parse_money, "date": date_parser(dayfirst)}.get(kind, parse_text)
    hit = _first(find_values(lines, L.field_label_patterns(field, extra), parse))
    if hit is None:
        return None
    value: Any = hit.value
    if kind == "number":
        value = float(value)
    elif kind == "integer":
        value = int(value) if value == int(value) else float(value)
    elif kind == "date":
        value = value.isoformat()
    return _from_hit(hit, value)


def dayfirst_hint(doc_text: str, currency: str | None) -> bool:
    """How to read 03/04/2024: as the document's unambiguous dates do, else month-first only
    for US dollars (most of the world writes the day first)."""
    hint = ambiguous_order_hint(doc_text)
    if hint is not None:
        return hint
    return currency != "USD"


def extract_with_rules(doc: Document, schema: Schema) -> dict[str, Found]:
    fields = set(schema.fields)
    lines = placed_lines(doc)
    date_field = "date" if "date" in fields and "invoice_date" not in fields else "invoice_date"
    vendor = find_receipt_header(doc) if date_field == "date" else find_vendor(doc)
    found = find_vendor_fields(vendor)
    text = "\n".join(pl.text for pl in lines)
    for name in ("vendor_name", "vendor_address"):
        if name in found and (folded := fold_stray_accents(found[name].value, text)) != found[name].value:
            found[name] = replace(found[name], value=folded)
    currency = find_currency_field(doc, lines)
    if currency is not None:
        found["currency"] = currency
    dayfirst = dayfirst_hint("\n".join(pl.text for pl in lines), currency.value if currency else None)
    if number := find_invoice_number(lines):
        found["invoice_number"] = number
    found |= find_dates_fields(lines, date_field, dayfirst)
    found |= credited(find_amount_fields(lines), lines)
    if "line_items" in fields and (items := find_line_items(doc, lines, vendor)):
        found["line_items"] = items
    for field in fields - BUILTIN_FIELDS:
        if f := find_user_field(lines, schema, field, dayfirst):
            found[field] = f
    return {k: v for k, v in found.items() if k in fields}
