"""Generate the sample documents and their expected JSON, deterministically.

    .venv/bin/python samples/make_samples.py [--out DIR]

Totals are computed from the line items with Decimal, so what is printed and what the
expected JSON says always agree. Fixed seeds and reportlab's invariant mode make reruns
byte-identical.
"""

from __future__ import annotations

import argparse
import io
import json
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont
from reportlab.lib.pagesizes import letter
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

HERE = Path(__file__).resolve().parent
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
CENT = Decimal("0.01")


def q(v: Decimal) -> Decimal:
    return v.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class Item:
    description: str
    quantity: int
    unit_price: Decimal

    @property
    def amount(self) -> Decimal:
        return q(self.unit_price * self.quantity)


def us(v: Decimal) -> str:
    return f"${v:,.2f}"


def de(v: Decimal) -> str:
    s = f"{v:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")
    return f"€ {s}"


def items_json(items: list[Item]) -> list[dict[str, Any]]:
    return [
        {
            "description": i.description,
            "quantity": i.quantity,
            "unit_price": float(i.unit_price),
            "amount": float(i.amount),
        }
        for i in items
    ]


def totals(items: list[Item], rate: Decimal) -> tuple[Decimal, Decimal, Decimal]:
    sub = sum((i.amount for i in items), Decimal(0))
    tax = q(sub * rate)
    return sub, tax, sub + tax


def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_DIR / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")), size)


def new_canvas(path: Path) -> canvas.Canvas:
    return canvas.Canvas(str(path), pagesize=letter, invariant=1)


# -- 1. born-digital one-page invoice --------------------------------------------------------

ACME_ITEMS = [
    Item("Steel bracket, galvanized", 12, Decimal("14.50")),
    Item("Hex bolt M10 x 60 (box of 50)", 4, Decimal("22.75")),
    Item("Safety gloves, size L", 25, Decimal("6.80")),
    Item("Cordless drill 18V", 2, Decimal("189.00")),
    Item("Shipping and handling", 1, Decimal("45.00")),
]


def make_acme(out: Path) -> dict[str, Any]:
    sub, tax, total = totals(ACME_ITEMS, Decimal("0.08"))
    c = new_canvas(out / "invoice_acme.pdf")
    w, h = letter
    c.setFont("Helvetica", 8)
    c.drawString(50, h - 30, "ACME Industrial Supply Co. - Customer copy")
    c.setFont("Helvetica-Bold", 16)
    c.drawString(50, h - 70, "ACME Industrial Supply Co.")
    c.setFont("Helvetica", 10)
    c.drawString(50, h - 86, "4100 Foundry Road")
    c.drawString(50, h - 99, "Pittsburgh, PA 15201")
    c.setFont("Helvetica-Bold", 24)
    c.drawRightString(w - 50, h - 72, "INVOICE")
    c.setFont("Helvetica", 10)
    for k, (label, value) in enumerate(
        [("Invoice No:", "INV-2024-0117"), ("Invoice Date:", "March 14, 2024"), ("Due Date:", "April 13, 2024")]
    ):
        y = h - 110 - 14 * k
        c.drawString(380, y, label)
        c.drawRightString(w - 50, y, value)
    c.setFont("Helvetica-Bold", 10)
    c.drawString(50, h - 150, "Bill To:")
    c.setFont("Helvetica", 10)
    for k, line in enumerate(["Riverside Construction LLC", "88 Canal Street", "Cleveland, OH 44113"]):
        c.drawString(50, h - 164 - 13 * k, line)
    y = h - 240
    c.setFont("Helvetica-Bold", 10)
    c.drawString(50, y, "Description")
    c.drawRightString(360, y, "Qty")
    c.drawRightString(460, y, "Unit Price")
    c.drawRightString(w - 50, y, "Amount")
    c.line(50, y - 5, w - 50, y - 5)
    c.setFont("Helvetica", 10)
    for it in ACME_ITEMS:
        y -= 18
        c.drawString(50, y, it.description)
        c.drawRightString(360, y, str(it.quantity))
        c.drawRightString(460, y, us(it.unit_price))
        c.drawRightString(w - 50, y, us(it.amount))
    c.line(50, y - 8, w - 50, y - 8)
    y -= 40
    for label, value, bold in (("Subtotal", sub, False), ("Tax (8%)", tax, False), ("Total Due", total, True)):
        c.setFont("Helvetica-Bold" if bold else "Helvetica", 11 if bold else 10)
        c.drawString(380, y, label)
        c.drawRightString(w - 50, y, us(value))
        y -= 16
    c.setFont("Helvetica", 9)
    c.drawString(50, y - 30, "Payment terms: net 30 days. Please quote the invoice number with your payment.")
    c.setFont("Helvetica", 8)
    c.drawString(50, 30, "ACME Industrial Supply Co. - Page 1 of 1")
    c.save()
    return {
        "source": "invoice_acme.pdf",
        "schema": "invoice",
        "pages": 1,
        "data": {
            "vendor_name": "ACME Industrial Supply Co.",
            "vendor_address": "4100 Foundry Road, Pittsburgh, PA 15201",
            "invoice_number": "INV-2024-0117",
            "invoice_date": "2024-03-14",
            "due_date": "2024-04-13",
            "currency": "USD",
            "subtotal": float(sub),
            "tax": float(tax),
            "total": float(total),
            "line_items": items_json(ACME_ITEMS),
        },
        # Only what every reader agrees on: the Bill To block (left) and the invoice
        # number block (right) may come in either order.
        "reading_order": [
            "ACME Industrial Supply Co.",
            "4100 Foundry Road",
            "Invoice No",
            "Description",
            "Steel bracket",
            "Shipping and handling",
            "Subtotal",
            "Total Due",
            "Payment terms",
        ],
        "furniture": ["Page 1 of 1"],
        "questions": [
            {"question": "What is the total due on the ACME invoice?", "answer_contains": us(total)[1:]},
            {"question": "What is the invoice number of the ACME invoice?", "answer_contains": "INV-2024-0117"},
            {"question": "When is the ACME invoice due?", "answer_contains": "April 13, 2024"},
        ],
    }


# -- 2. two-page invoice whose table continues ------------------------------------------------

PARTS = ["Ventil", "Dichtung", "Schraube", "Flansch", "Lager", "Kupplung", "Filter", "Sensor", "Kabel", "Relais"]


def nordlicht_items() -> list[Item]:
    rng = np.random.default_rng(7)
    items = []
    for k in range(42):
        name = f"{PARTS[k % len(PARTS)]} Typ {chr(65 + k % 26)}-{100 + 7 * k}"
        qty = int(rng.integers(1, 20))
        price = q(Decimal(int(rng.integers(150, 9000))) / 100)
        items.append(Item(name, qty, price))
    return items


def make_multipage(out: Path) -> dict[str, Any]:
    items = nordlicht_items()
    sub, tax, total = totals(items, Decimal("0.19"))
    c = new_canvas(out / "invoice_multipage.pdf")
    w, h = letter
    cols = (50, 380, 470, w - 50)

    def header_row(y: float) -> None:
        c.setFont("Helvetica-Bold", 10)
        c.drawString(cols[0], y, "Beschreibung")
        c.drawRightString(cols[1], y, "Menge")
        c.drawRightString(cols[2], y, "Einzelpreis")
        c.drawRightString(cols[3], y, "Betrag")
        c.line(50, y - 5, w - 50, y - 5)
        c.setFont("Helvetica", 10)

    def footer(n: int) -> None:
        c.setFont("Helvetica", 8)
        c.drawString(50, 30, f"Nordlicht GmbH - Seite {n} von 2")
        c.drawRightString(w - 50, 30, f"Page {n} of 2")

    c.setFont("Helvetica-Bold", 16)
    c.drawString(50, h - 60, "Nordlicht GmbH")
    c.setFont("Helvetica", 10)
    c.drawString(50, h - 76, "Hafenstraße 12")
    c.drawString(50, h - 89, "20457 Hamburg")
    c.setFont("Helvetica-Bold", 22)
    c.drawRightString(w - 50, h - 62, "RECHNUNG")
    c.setFont("Helvetica", 10)
    for k, (label, value) in enumerate(
        [("Rechnungsnummer:", "RE-2024-5531"), ("Datum:", "03.12.2024"), ("Fällig am:", "02.01.2025")]
    ):
        c.drawString(360, h - 100 - 14 * k, label)
        c.drawRightString(w - 50, h - 100 - 14 * k, value)
    y = h - 180
    header_row(y)
    page = 1
    for it in items:
        y -= 17
        if y < 80:
            footer(page)
            c.showPage()
            page += 1
            y = h - 70
            header_row(y)
            y -= 17
        c.drawString(cols[0], y, it.description)
        c.drawRightString(cols[1], y, str(it.quantity))
        c.drawRightString(cols[2], y, de(it.unit_price))
        c.drawRightString(cols[3], y, de(it.amount))
    c.line(50, y - 8, w - 50, y - 8)
    y -= 40
    for label, value in (("Zwischensumme", sub), ("MwSt. 19%", tax), ("Gesamtbetrag", total)):
        c.setFont("Helvetica-Bold" if label == "Gesamtbetrag" else "Helvetica", 10)
        c.drawString(360, y, label)
        c.drawRightString(w - 50, y, de(value))
        y -= 16
    footer(page)
    c.save()
    return {
        "source": "invoice_multipage.pdf",
        "schema": "invoice",
        "pages": 2,
        "data": {
            "vendor_name": "Nordlicht GmbH",
            "vendor_address": "Hafenstraße 12, 20457 Hamburg",
            "invoice_number": "RE-2024-5531",
            "invoice_date": "2024-12-03",
            "due_date": "2025-01-02",
            "currency": "EUR",
            "subtotal": float(sub),
            "tax": float(tax),
            "total": float(total),
            "line_items": items_json(items),
        },
        "reading_order": [
            "Nordlicht GmbH",
            "Rechnungsnummer",
            "Beschreibung",
            items[0].description,
            items[-1].description,
            "Zwischensumme",
            "Gesamtbetrag",
        ],
        "furniture": ["Page 1 of 2", "Page 2 of 2"],
        "questions": [
            {"question": "What is the Gesamtbetrag of the Nordlicht invoice?", "answer_contains": de(total)[2:]},
            {"question": "What is the Rechnungsnummer?", "answer_contains": "RE-2024-5531"},
            # Asked in English of a German invoice, among English invoices that say "Total Due".
            {"question": "What is the total due on the Nordlicht invoice?", "answer_contains": de(total)[2:]},
        ],
    }


# -- 3. two-column article -------------------------------------------------------------------

COLUMN_TEXT = {
    "left": [
        ("Harbour history", None),
        (
            None,
            "Column one, paragraph one. The old harbour was built in 1842 to serve the grain trade and "
            "quickly became the busiest quay on the northern coast.",
        ),
        (
            None,
            "Column one, paragraph two. Fishing fleets moved in after the railway arrived, and the "
            "market hall opened its doors every morning before dawn.",
        ),
        (
            None,
            "Column one, paragraph three. By the turn of the century steam ships had replaced most "
            "sailing vessels, and the quay walls were raised twice.",
        ),
    ],
    "right": [
        ("Harbour today", None),
        (
            None,
            "Column two, paragraph one. Today the basin hosts a marina with four hundred berths and a "
            "small museum devoted to the lighthouse keepers.",
        ),
        (
            None,
            "Column two, paragraph two. Visitors arrive by ferry in summer, and the restored cranes "
            "are lit every evening from the promenade.",
        ),
        (
            None,
            "Column two, paragraph three. The town council plans a tidal energy pilot at the outer "
            "breakwater, with first power expected in three years.",
        ),
    ],
}


def _wrap(text: str, font_name: str, size: float, width: float) -> list[str]:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    lines: list[str] = []
    cur = ""
    for word in text.split():
        trial = f"{cur} {word}".strip()
        if stringWidth(trial, font_name, size) <= width:
            cur = trial
        else:
            lines.append(cur)
            cur = word
    if cur:
        lines.append(cur)
    return lines


def make_two_column(out: Path) -> dict[str, Any]:
    c = new_canvas(out / "two_column.pdf")
    _, h = letter
    c.setFont("Helvetica-Bold", 20)
    c.drawString(50, h - 70, "The Northern Harbour: Then and Now")
    c.setFont("Helvetica-Oblique", 10)
    c.drawString(50, h - 90, "A short history for visitors, by the Harbour Society")
    col_w = 240
    for x, key in ((50, "left"), (322, "right")):
        y = h - 130
        for heading, para in COLUMN_TEXT[key]:
            if heading:
                c.setFont("Helvetica-Bold", 13)
                c.drawString(x, y, heading)
                y -= 22
                continue
            assert para is not None
            c.setFont("Helvetica", 10)
            for line in _wrap(para, "Helvetica", 10, col_w):
                c.drawString(x, y, line)
                y -= 13
            y -= 12
    c.setFont("Helvetica", 8)
    c.drawString(50, 30, "Harbour Society Newsletter - Page 1 of 1")
    c.save()
    markers = [
        "The Northern Harbour",
        "Harbour history",
        "Column one, paragraph one.",
        "Column one, paragraph two.",
        "Column one, paragraph three.",
        "Harbour today",
        "Column two, paragraph one.",
        "Column two, paragraph two.",
        "Column two, paragraph three.",
    ]
    return {
        "source": "two_column.pdf",
        "schema": None,
        "pages": 1,
        "reading_order": markers,
        "furniture": ["Page 1 of 1"],
        "questions": [{"question": "When was the old harbour built?", "answer_contains": "1842"}],
    }


# -- raster helpers -------------------------------------------------------------------------------


def degrade(img: Image.Image, seed: int, angle: float, noise: float, blur: float) -> Image.Image:
    rng = np.random.default_rng(seed)
    g = img.convert("L").rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=255)
    a = np.asarray(g).astype(np.float32) + rng.normal(0, noise, (g.height, g.width))
    salt = rng.random((g.height, g.width))
    a[salt < 0.0008] = 0
    a[salt > 0.9992] = 255
    out = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))
    return out.filter(ImageFilter.GaussianBlur(blur)) if blur else out


# -- 4. scanned invoice (image-only PDF) --------------------------------------------------------

BH_ITEMS = [
    Item("Container handling 40ft", 3, Decimal("320.00")),
    Item("Customs documentation", 1, Decimal("85.50")),
    Item("Warehouse storage (days)", 14, Decimal("12.25")),
    Item("Pallet wrapping", 20, Decimal("3.40")),
]


def make_scanned(out: Path) -> dict[str, Any]:
    sub, tax, total = totals(BH_ITEMS, Decimal("0.065"))
    dpi = 200
    W, H = int(8.5 * dpi), int(11 * dpi)
    img = Image.new("L", (W, H), 255)
    d = ImageDraw.Draw(img)
    px = dpi / 72  # points to pixels
    body, bold, big = font(round(11 * px)), font(round(11 * px), True), font(round(18 * px), True)

    def text(x: float, y: float, s: str, f: ImageFont.FreeTypeFont = body, right: bool = False) -> None:
        if right:
            x -= d.textlength(s, font=f) / px
        d.text((x * px, y * px), s, font=f, fill=0)

    text(50, 50, "Blue Harbor Logistics", big)
    text(50, 76, "1200 Wharf Avenue")
    text(50, 92, "Baltimore, MD 21230")
    text(562, 50, "INVOICE", big, right=True)
    for k, (label, value) in enumerate(
        [("Invoice No:", "BH-88213"), ("Date:", "2024-05-02"), ("Due Date:", "2024-06-01")]
    ):
        text(360, 90 + 17 * k, label)
        text(562, 90 + 17 * k, value, right=True)
    text(50, 160, "Bill To:", bold)
    text(50, 177, "Harbor Freight Partners")
    y = 240
    text(50, y, "Description", bold)
    text(360, y, "Qty", bold, right=True)
    text(460, y, "Unit Price", bold, right=True)
    text(562, y, "Amount", bold, right=True)
    for it in BH_ITEMS:
        y += 22
        text(50, y, it.description)
        text(360, y, str(it.quantity), right=True)
        text(460, y, us(it.unit_price), right=True)
        text(562, y, us(it.amount), right=True)
    y += 50
    for label, value in (("Subtotal", sub), ("Tax (6.5%)", tax), ("Total Due", total)):
        text(380, y, label, bold if label == "Total Due" else body)
        text(562, y, us(value), bold if label == "Total Due" else body, right=True)
        y += 20
    scan = degrade(img, seed=4, angle=1.2, noise=10, blur=0.5)
    buf = io.BytesIO()
    scan.save(buf, format="JPEG", quality=80)
    c = new_canvas(out / "scanned_invoice.pdf")
    c.drawImage(ImageReader(io.BytesIO(buf.getvalue())), 0, 0, width=letter[0], height=letter[1])
    c.save()
    return {
        "source": "scanned_invoice.pdf",
        "schema": "invoice",
        "pages": 1,
        "data": {
            "vendor_name": "Blue Harbor Logistics",
            "vendor_address": "1200 Wharf Avenue, Baltimore, MD 21230",
            "invoice_number": "BH-88213",
            "invoice_date": "2024-05-02",
            "due_date": "2024-06-01",
            "currency": "USD",
            "subtotal": float(sub),
            "tax": float(tax),
            "total": float(total),
            "line_items": items_json(BH_ITEMS),
        },
        "reading_order": [
            "Blue Harbor Logistics",
            "1200 Wharf Avenue",
            "Invoice No",
            "Description",
            "Container handling",
            "Pallet wrapping",
            "Subtotal",
            "Total Due",
        ],
        "furniture": [],
        "questions": [
            {"question": "What is the total due on the Blue Harbor invoice?", "answer_contains": us(total)[1:]},
            {"question": "What is the Blue Harbor invoice number?", "answer_contains": "BH-88213"},
        ],
    }


# -- 5/6. receipts ------------------------------------------------------------------------------------


def receipt_image(lines: list[tuple[str, str, bool]], width: int = 576, size: int = 26) -> Image.Image:
    """Thermal-receipt style: narrow, left label, right-aligned value."""
    f, fb = font(size), font(size, True)
    height = 60 + len(lines) * int(size * 1.55) + 60
    img = Image.new("L", (width, height), 255)
    d = ImageDraw.Draw(img)
    y = 40
    for left, right, bold in lines:
        ff = fb if bold else f
        if right == "<center>":
            d.text(((width - d.textlength(left, font=ff)) / 2, y), left, font=ff, fill=0)
        else:
            d.text((28, y), left, font=ff, fill=0)
            if right:
                d.text((width - 28 - d.textlength(right, font=ff), y), right, font=ff, fill=0)
        y += int(size * 1.55)
    return img


CAFE_ITEMS = [
    Item("Cappuccino", 2, Decimal("3.75")),
    Item("Blueberry muffin", 1, Decimal("2.95")),
    Item("Orange juice", 1, Decimal("3.25")),
]


def make_cafe(out: Path) -> dict[str, Any]:
    sub, tax, total = totals(CAFE_ITEMS, Decimal("0.08"))
    lines = [
        ("Corner Cafe", "<center>", True),
        ("17 Elm Street, Portland, OR", "<center>", False),
        ("Date: 25/12/2023  10:42", "", False),
        ("", "", False),
    ]
    for it in CAFE_ITEMS:
        label = f"{it.quantity} x {it.description}" if it.quantity > 1 else it.description
        lines.append((label, us(it.amount), False))
    lines += [
        ("", "", False),
        ("SUBTOTAL", us(sub), False),
        ("TAX 8%", us(tax), False),
        ("TOTAL", us(total), True),
        ("", "", False),
        ("Thank you!", "<center>", False),
    ]
    img = degrade(receipt_image(lines), seed=5, angle=-0.6, noise=8, blur=0.4)
    img.save(out / "receipt_cafe.png", dpi=(200, 200))
    return {
        "source": "receipt_cafe.png",
        "schema": "receipt",
        "pages": 1,
        "data": {
            "vendor_name": "Corner Cafe",
            "vendor_address": "17 Elm Street, Portland, OR",
            "date": "2023-12-25",
            "currency": "USD",
            "subtotal": float(sub),
            "tax": float(tax),
            "total": float(total),
            "line_items": items_json(CAFE_ITEMS),
        },
        "reading_order": ["Corner Cafe", "Cappuccino", "Orange juice", "SUBTOTAL", "TOTAL", "Thank you"],
        "furniture": [],
        "questions": [{"question": "What was the total at Corner Cafe?", "answer_contains": f"{total:.2f}"}],
    }


MARKET_ITEMS = [
    Item("Rice 5kg", 1, Decimal("18.90")),
    Item("Eggs (10)", 2, Decimal("5.20")),
    Item("Kangkung", 3, Decimal("2.50")),
]


def make_market(out: Path) -> dict[str, Any]:
    sub = sum((i.amount for i in MARKET_ITEMS), Decimal(0))
    tax = Decimal("0.00")
    total = sub + tax
    lines = [
        ("FRESH MARKET SDN BHD", "<center>", True),
        ("No. 8, Jalan Pasar, Kuala Lumpur", "<center>", False),
        ("Dec 3, 2023", "<center>", False),
        ("", "", False),
    ]
    for it in MARKET_ITEMS:
        lines.append((f"{it.description}  {it.quantity} @ {it.unit_price:.2f}", f"RM {it.amount:.2f}", False))
    lines += [
        ("", "", False),
        ("TOTAL", f"RM {total:.2f}", True),
        ("CASH", "RM 50.00", False),
        ("CHANGE", f"RM {Decimal(50) - total:.2f}", False),
    ]
    img = degrade(receipt_image(lines, width=640, size=24), seed=6, angle=0.8, noise=9, blur=0.5)
    img.convert("RGB").save(out / "receipt_market.jpg", quality=85, dpi=(200, 200))
    return {
        "source": "receipt_market.jpg",
        "schema": "receipt",
        "pages": 1,
        "data": {
            "vendor_name": "FRESH MARKET SDN BHD",
            "vendor_address": "No. 8, Jalan Pasar, Kuala Lumpur",
            # The receipt prints no subtotal or tax line: the truth is "absent", not a computed value.
            "date": "2023-12-03",
            "currency": "MYR",
            "subtotal": None,
            "tax": None,
            "total": float(total),
            "line_items": items_json(MARKET_ITEMS),
        },
        "reading_order": ["FRESH MARKET", "Rice 5kg", "Kangkung", "TOTAL", "CHANGE"],
        "furniture": [],
        "questions": [{"question": "What was the total at Fresh Market?", "answer_contains": f"{total:.2f}"}],
    }


MAKERS = [make_acme, make_multipage, make_two_column, make_scanned, make_cafe, make_market]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=HERE)
    args = ap.parse_args()
    (args.out / "expected").mkdir(parents=True, exist_ok=True)
    for make in MAKERS:
        exp = make(args.out)
        stem = exp["source"].rsplit(".", 1)[0]
        (args.out / "expected" / f"{stem}.json").write_text(json.dumps(exp, indent=2, ensure_ascii=False) + "\n")
        print(f"wrote {exp['source']}")


if __name__ == "__main__":
    main()
