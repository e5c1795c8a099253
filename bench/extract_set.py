"""An extraction evaluation set with known truth: scanned receipts and invoices.

Receipts are thermal-printer style: narrow, monospaced, faded, noisy, slanted, saved as JPG
or PNG. Invoices come in three layouts and five locales, as text PDFs (reportlab) and as
scans of those pages (rendered, degraded, saved as PNG or image-only PDF). Dates, amounts
and currencies are printed the way each locale prints them: 25/12/2018, Dec 3, 2019,
03.12.19; 1.234,56 / 1,234.56 / 1 234,56 / RM 9.00; $, £, €, RM.

Every document gets <name>.truth.json: {"schema", "data"} in the record's shape. Nothing
here was seen while the rules were written; seeds make it reproducible.

    python bench/extract_set.py --out build/extract_set -n 40
"""

from __future__ import annotations

import argparse
import io
import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONTS = Path("/usr/share/fonts/truetype/dejavu")
CENT = Decimal("0.01")
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
MONTHS_LONG = [
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
]  # fmt: skip
MONATE = [
    "Januar", "Februar", "März", "April", "Mai", "Juni",
    "Juli", "August", "September", "Oktober", "November", "Dezember",
]  # fmt: skip


def q(v: Decimal) -> Decimal:
    return v.quantize(CENT, rounding=ROUND_HALF_UP)


def grouped(v: Decimal, thousands: str, decimal: str) -> str:
    return f"{v:,.2f}".replace(",", "\0").replace(".", decimal).replace("\0", thousands)


@dataclass(frozen=True)
class Locale:
    code: str
    currency: str
    money: Callable[[Decimal], str]  # with the currency mark
    bare: Callable[[Decimal], str]  # how item columns print it
    dates: list[Callable[[date], str]]
    tax_name: str
    tax_rate: Decimal
    vendors: list[str]
    streets: list[str]
    cities: list[str]
    labels: dict[str, list[str]]
    items: list[str]


LOCALES = [
    Locale(
        "us",
        "USD",
        lambda v: f"${v:,.2f}",
        lambda v: f"{v:,.2f}",
        [
            lambda d: f"{d.month:02d}/{d.day:02d}/{d.year}",
            lambda d: f"{MONTHS[d.month - 1]} {d.day}, {d.year}",
            lambda d: f"{MONTHS_LONG[d.month - 1]} {d.day}, {d.year}",
        ],
        "Sales Tax",
        Decimal("0.0825"),
        ["Blue Ridge Hardware", "Sunset Diner", "Maple Leaf Books", "Pioneer Office Supply", "Harbor Fresh Market",
         "Lone Star Auto Parts", "Golden Gate Coffee Co.", "Cedar Creek Pharmacy"],
        ["1420 Oak Avenue", "88 Pine Street", "2301 Lakeview Drive", "515 Main Street", "77 Commerce Blvd"],
        ["Springfield, IL 62704", "Austin, TX 78701", "Portland, OR 97205", "Denver, CO 80202", "Boston, MA 02108"],
        {"total": ["TOTAL", "Total Due", "Amount Due", "Grand Total", "Balance Due"], "subtotal": ["Subtotal"],
         "title": ["INVOICE"], "number": ["Invoice #", "Invoice No:", "Invoice Number"],
         "date": ["Invoice Date", "Date"], "due": ["Due Date", "Payment Due"], "bill": ["Bill To"],
         "cols": ["Description", "Qty", "Unit Price", "Amount"], "thanks": ["THANK YOU!", "Have a nice day"]},
        ["Copy paper A4", "Ballpoint pens (12)", "Stapler", "Coffee beans 1lb", "Bagel", "Latte", "Wiper blades",
         "Motor oil 5W-30", "Notebook", "Desk lamp", "Printer toner", "Cheeseburger", "Iced tea"],
    ),
    Locale(
        "gb",
        "GBP",
        lambda v: f"£{v:,.2f}",
        lambda v: f"{v:,.2f}",
        [lambda d: f"{d.day:02d}/{d.month:02d}/{d.year}", lambda d: f"{d.day} {MONTHS[d.month - 1]} {d.year}"],
        "VAT 20%",
        Decimal("0.20"),
        ["Thames Valley Traders Ltd", "The Crown & Anchor", "Highland Outfitters", "Bristol Print Works Ltd",
         "Camden Deli"],
        ["14 High Street", "3 Market Place", "221 Baker Street", "9 Kings Road"],
        ["Bristol BS1 4DJ", "Reading RG1 2AB", "Inverness IV1 1HY", "London NW1 6XE"],
        {"total": ["TOTAL", "Total Due", "Amount Due", "Invoice Total"], "subtotal": ["Subtotal", "Net Total"],
         "title": ["INVOICE", "TAX INVOICE"], "number": ["Invoice No.", "Invoice Number"],
         "date": ["Invoice Date", "Date of Issue"], "due": ["Due Date"], "bill": ["Invoice To", "Bill To"],
         "cols": ["Description", "Qty", "Unit Price", "Amount"], "thanks": ["Thank you for your custom"]},
        ["Cream tea", "Fish & chips", "Walking socks", "Flyers A5 (500)", "Business cards", "Pint of bitter",
         "Sandwich", "Waterproof jacket", "Poster A2"],
    ),
    Locale(
        "de",
        "EUR",
        lambda v: f"{grouped(v, '.', ',')} €",
        lambda v: grouped(v, ".", ","),
        [
            lambda d: f"{d.day:02d}.{d.month:02d}.{d.year % 100:02d}",
            lambda d: f"{d.day:02d}.{d.month:02d}.{d.year}",
            lambda d: f"{d.day}. {MONATE[d.month - 1]} {d.year}",
        ],
        "MwSt. 19%",
        Decimal("0.19"),
        ["Bäckerei Schmidt", "Elektro Weber GmbH", "Autohaus Krüger", "Buchhandlung am Markt", "Müller & Söhne KG",
         "Café Rosengarten"],
        ["Bahnhofstraße 12", "Hauptstraße 5", "Lindenallee 23", "Marktplatz 7"],
        ["10115 Berlin", "80331 München", "50667 Köln", "20457 Hamburg"],
        {"total": ["SUMME", "Gesamtbetrag", "Rechnungsbetrag", "Zu zahlen"], "subtotal": ["Zwischensumme", "Netto"],
         "title": ["RECHNUNG"], "number": ["Rechnungsnr.", "Rechnungsnummer"], "date": ["Rechnungsdatum", "Datum"],
         "due": ["Fällig am", "Zahlbar bis"], "bill": ["Rechnung an"],
         "cols": ["Beschreibung", "Menge", "Einzelpreis", "Betrag"], "thanks": ["Vielen Dank für Ihren Einkauf"]},
        ["Brötchen", "Kaffee", "Kabel NYM 3x1,5", "Steckdose", "Ölwechsel", "Roman Taschenbuch", "Apfelkuchen",
         "Montage (Std.)", "Bremsbeläge"],
    ),
    Locale(
        "fr",
        "EUR",
        lambda v: f"{grouped(v, ' ', ',')} €",
        lambda v: grouped(v, " ", ","),
        [lambda d: f"{d.day:02d}/{d.month:02d}/{d.year}"],
        "TVA 20%",
        Decimal("0.20"),
        ["Boulangerie Dupont", "Librairie du Centre", "Garage Martin SARL", "Fromagerie Lefèvre"],
        ["12 rue de la Paix", "5 avenue Victor Hugo", "27 boulevard Voltaire"],
        ["75002 Paris", "69002 Lyon", "13001 Marseille"],
        {"total": ["TOTAL TTC", "Montant total", "Net à payer"], "subtotal": ["Total HT"],
         "title": ["FACTURE"], "number": ["Facture n°", "N° de facture"], "date": ["Date de facture", "Date"],
         "due": ["Échéance"], "bill": ["Facturé à"],
         "cols": ["Désignation", "Qté", "Prix unitaire", "Montant"], "thanks": ["Merci de votre visite"]},
        ["Baguette", "Croissant", "Roman poche", "Vidange", "Comté 250g", "Pneu 205/55", "Café crème"],
    ),
    Locale(
        "my",
        "MYR",
        lambda v: f"RM {v:,.2f}",
        lambda v: f"{v:,.2f}",
        [lambda d: f"{d.day:02d}/{d.month:02d}/{d.year}", lambda d: f"{d.day:02d}-{d.month:02d}-{d.year}"],
        "SST 6%",
        Decimal("0.06"),
        ["Kedai Runcit Ah Seng", "Restoran Nasi Kandar Pelita", "Syarikat Perniagaan Maju", "Mydin Mart"],
        ["No. 12, Jalan Bukit Bintang", "Lot 5, Jalan Ampang", "No. 8, Jalan Pasar"],
        ["55100 Kuala Lumpur", "50450 Kuala Lumpur", "10200 Georgetown, Penang"],
        {"total": ["TOTAL", "Total Amount", "Grand Total"], "subtotal": ["Subtotal", "Sub Total"],
         "title": ["INVOICE", "TAX INVOICE"], "number": ["Invoice No", "Inv No."], "date": ["Date", "Invoice Date"],
         "due": ["Due Date"], "bill": ["Bill To"],
         "cols": ["Description", "Qty", "Unit Price", "Amount"], "thanks": ["Terima kasih", "THANK YOU"]},
        ["Nasi lemak", "Teh tarik", "Roti canai", "Milo ais", "Beras 5kg", "Minyak masak 2kg", "Gula 1kg"],
    ),
]  # fmt: skip


@dataclass
class Doc:
    """What a generated document says, and its truth."""

    locale: Locale
    vendor: str
    address: list[str]
    number: str
    issued: date
    due: date
    items: list[tuple[str, int, Decimal]]
    subtotal: Decimal
    tax: Decimal
    total: Decimal
    labels: dict[str, str] = field(default_factory=dict)

    def truth(self, kind: str) -> dict[str, Any]:
        data: dict[str, Any] = {
            "vendor_name": self.vendor,
            "vendor_address": ", ".join(self.address),
            "currency": self.locale.currency,
            "subtotal": float(self.subtotal),
            "tax": float(self.tax),
            "total": float(self.total),
            "line_items": [
                {"description": d, "quantity": n, "unit_price": float(p), "amount": float(q(p * n))}
                for d, n, p in self.items
            ],
        }
        if kind == "invoice":
            data |= {"invoice_number": self.number, "invoice_date": self.issued.isoformat()}
            data["due_date"] = self.due.isoformat()
        else:
            data["date"] = self.issued.isoformat()
        return data


def make_doc(rng: random.Random, loc: Locale, n_items: tuple[int, int]) -> Doc:
    items = []
    for name in rng.sample(loc.items, min(len(loc.items), rng.randint(*n_items))):
        price = q(Decimal(rng.randint(80, 9000 if rng.random() < 0.3 else 2500)) / 100)
        items.append((name, rng.choice([1, 1, 1, 2, 3, 4, 12]), price))
    sub = sum((q(p * n) for _, n, p in items), Decimal(0))
    tax = q(sub * loc.tax_rate)
    issued = date(2017, 1, 1) + timedelta(days=rng.randint(0, 365 * 7))
    labels = {k: rng.choice(v) for k, v in loc.labels.items() if k != "cols"}
    return Doc(
        locale=loc,
        vendor=rng.choice(loc.vendors),
        address=[rng.choice(loc.streets), rng.choice(loc.cities)],
        number=rng.choice(["INV-", "", "RE-", "F", "A"]) + f"{rng.randint(2017, 2024)}-{rng.randint(1, 99999):05d}",
        issued=issued,
        due=issued + timedelta(days=rng.choice([14, 30, 60])),
        items=items,
        subtotal=sub,
        tax=tax,
        total=sub + tax,
        labels=labels,
    )


# ---------------------------------------------------------------- scanning


def degrade(
    img: Image.Image, rng: random.Random, *, angle: float, noise: float, blur: float, fade: float
) -> Image.Image:
    """Slant, fade (thermal paper greys out), sensor noise, salt and pepper, blur."""
    nprng = np.random.default_rng(rng.randint(0, 2**31))
    g = img.convert("L").rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    a = np.asarray(g).astype(np.float32)
    a = 255 - (255 - a) * (1 - fade)  # ink lighter
    a += nprng.normal(0, noise, a.shape)
    speck = nprng.random(a.shape)
    a[speck < 0.0006] = 40
    a[speck > 0.9994] = 255
    out = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))
    return out.filter(ImageFilter.GaussianBlur(blur)) if blur else out


def mono(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONTS / ("DejaVuSansMono-Bold.ttf" if bold else "DejaVuSansMono.ttf")), size)


# ---------------------------------------------------------------- receipts


def receipt(rng: random.Random, doc: Doc) -> Image.Image:
    """A thermal receipt: 58 or 80 mm paper at 203 dpi, monospaced, centred header."""
    loc, lab = doc.locale, doc.labels
    width = rng.choice([464, 576])
    size = 22 if width == 464 else 24
    cols = width // int(size * 0.6) - 2
    rows: list[tuple[str, str, bool, bool]] = []  # left, right, bold, centred
    name = doc.vendor.upper() if rng.random() < 0.5 else doc.vendor
    rows.append((name, "", True, True))
    rows += [(a, "", False, True) for a in doc.address]
    if rng.random() < 0.7:
        rows.append((f"Tel: {rng.randint(100, 999)}-{rng.randint(1000, 9999)}", "", False, True))
    if loc.code == "my" and rng.random() < 0.6:
        rows.append((f"GST ID: {rng.randint(10**11, 10**12 - 1)}", "", False, True))
    rows.append(("-" * cols, "", False, False))
    when = rng.choice(loc.dates)(doc.issued)
    clock = f"{rng.randint(7, 22):02d}:{rng.randint(0, 59):02d}"
    style = rng.random()
    if style < 0.4:
        rows.append((f"Date: {when}", clock, False, False))
    elif style < 0.7:
        rows.append((f"{when} {clock}", f"#{rng.randint(1000, 99999)}", False, False))
    else:
        rows.append((f"Receipt {rng.randint(1000, 99999)}", "", False, False))
        rows.append((when, clock, False, False))
    rows.append(("-" * cols, "", False, False))
    for desc, n, price in doc.items:
        amount = loc.bare(q(price * n))
        if n == 1:
            rows.append((desc, amount, False, False))
        elif rng.random() < 0.5:
            rows.append((f"{n} x {desc}", amount, False, False))
        else:
            rows.append((desc, "", False, False))
            rows.append((f"  {n} @ {loc.bare(price)}", amount, False, False))
    rows.append(("-" * cols, "", False, False))
    rows.append(
        (lab["subtotal"].upper() if rng.random() < 0.5 else lab["subtotal"], loc.bare(doc.subtotal), False, False)
    )
    rows.append((loc.tax_name, loc.bare(doc.tax), False, False))
    rows.append((lab["total"].upper(), loc.money(doc.total), True, False))
    paid = q(doc.total + Decimal(rng.choice([0, 0, 1, 5, 10])))
    rows.append((rng.choice(["CASH", "VISA", "Card"]), loc.bare(paid), False, False))
    if paid != doc.total:
        rows.append(("CHANGE", loc.bare(paid - doc.total), False, False))
    rows.append(("", "", False, False))
    rows.append((lab["thanks"], "", False, True))
    f, fb = mono(size), mono(size, True)
    step = int(size * 1.45)
    img = Image.new("L", (width, 50 + step * len(rows) + 60), 255)
    d = ImageDraw.Draw(img)
    y = 40
    for left, right, bold, centred in rows:
        font = fb if bold else f
        if centred:
            d.text(((width - d.textlength(left, font=font)) / 2, y), left, font=font, fill=0)
        else:
            d.text((16, y), left, font=font, fill=0)
            if right:
                d.text((width - 16 - d.textlength(right, font=font), y), right, font=font, fill=0)
        y += step
    return degrade(
        img,
        rng,
        angle=rng.uniform(-2.5, 2.5),
        noise=rng.uniform(6, 16),
        blur=rng.choice([0, 0.4, 0.7]),
        fade=rng.uniform(0.05, 0.35),
    )


# ---------------------------------------------------------------- invoices


def invoice_pdf(rng: random.Random, doc: Doc, layout: int) -> bytes:
    from reportlab.lib.pagesizes import A4, letter
    from reportlab.pdfgen import canvas

    loc, lab = doc.locale, doc.labels
    page = letter if loc.code == "us" else A4
    w, h = page
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=page, invariant=1)
    sans, bold = "Helvetica", "Helvetica-Bold"
    when = rng.choice(loc.dates)
    meta = [
        (lab["number"].rstrip(":"), doc.number),
        (lab["date"], when(doc.issued)),
        (lab["due"], when(doc.due)),
    ]
    top = h - 60
    if layout == 0:  # vendor top left, title and meta top right
        c.setFont(bold, 18)
        c.drawString(50, top, doc.vendor)
        c.setFont(sans, 10)
        for i, a in enumerate(doc.address):
            c.drawString(50, top - 18 - 13 * i, a)
        c.setFont(bold, 20)
        c.drawRightString(w - 50, top, lab["title"])
        c.setFont(sans, 10)
        for i, (k, v) in enumerate(meta):
            c.drawString(w - 230, top - 26 - 14 * i, f"{k}:")
            c.drawRightString(w - 50, top - 26 - 14 * i, v)
        y = top - 100
    elif layout == 1:  # title left, vendor block right-aligned
        c.setFont(bold, 22)
        c.drawString(50, top, lab["title"])
        c.setFont(bold, 14)
        c.drawRightString(w - 50, top, doc.vendor)
        c.setFont(sans, 10)
        for i, a in enumerate(doc.address):
            c.drawRightString(w - 50, top - 16 - 13 * i, a)
        for i, (k, v) in enumerate(meta):
            c.drawString(50, top - 50 - 14 * i, f"{k}: {v}")
        y = top - 110
    else:  # a centred letterhead, address on one line, meta under a rule
        c.setFont(bold, 18)
        c.drawCentredString(w / 2, top, doc.vendor)
        c.setFont(sans, 9)
        c.drawCentredString(w / 2, top - 15, " · ".join(doc.address))
        c.line(50, top - 26, w - 50, top - 26)
        c.setFont(bold, 16)
        c.drawString(50, top - 55, lab["title"])
        c.setFont(sans, 10)
        for i, (k, v) in enumerate(meta):
            c.drawString(w - 250, top - 50 - 14 * i, k)
            c.drawRightString(w - 50, top - 50 - 14 * i, v)
        y = top - 110
    c.setFont(bold, 10)
    c.drawString(50, y, f"{lab['bill']}:")
    c.setFont(sans, 10)
    customer = rng.choice(["Northwind Logistics", "Hilltop Dental Clinic", "Okafor Consulting", "Studio Lindqvist"])
    c.drawString(50, y - 14, customer)
    c.drawString(50, y - 28, f"{rng.randint(1, 300)} Customer Way")
    y -= 70
    cols = loc.labels["cols"]
    xs = [50, w - 250, w - 160, w - 50]
    c.setFont(bold, 10)
    c.drawString(xs[0], y, cols[0])
    c.drawRightString(xs[1], y, cols[1])
    c.drawRightString(xs[2], y, cols[2])
    c.drawRightString(xs[3], y, cols[3])
    c.line(50, y - 4, w - 50, y - 4)
    c.setFont(sans, 10)
    for desc, n, price in doc.items:
        y -= 16
        c.drawString(xs[0], y, desc)
        c.drawRightString(xs[1], y, str(n))
        c.drawRightString(xs[2], y, loc.bare(price))
        c.drawRightString(xs[3], y, loc.bare(q(price * n)))
    y -= 10
    c.line(w - 250, y, w - 50, y)
    for label, value, font in (
        (lab["subtotal"], loc.money(doc.subtotal), sans),
        (loc.tax_name, loc.money(doc.tax), sans),
        (lab["total"], loc.money(doc.total), bold),
    ):
        y -= 16
        c.setFont(font, 10)
        c.drawString(w - 250, y, label)
        c.drawRightString(w - 50, y, value)
    c.setFont(sans, 8)
    c.drawString(50, 50, f"{doc.vendor} · {lab['thanks']}")
    c.showPage()
    c.save()
    return buf.getvalue()


def scan_of(pdf: bytes, rng: random.Random) -> tuple[Image.Image, int]:
    import pypdfium2 as pdfium

    dpi = rng.choice([150, 200])
    page = pdfium.PdfDocument(pdf)[0]
    img = page.render(scale=dpi / 72).to_pil()
    angle, noise = rng.uniform(-1.5, 1.5), rng.uniform(4, 10)
    return degrade(img, rng, angle=angle, noise=noise, blur=rng.choice([0, 0.5]), fade=0.1), dpi


# ---------------------------------------------------------------- the set


def build(out: Path, n: int, seed: int = 7) -> list[Path]:
    """n documents: half receipts, a quarter text-PDF invoices, a quarter scanned invoices."""
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    made: list[Path] = []
    for i in range(n):
        loc = LOCALES[i % len(LOCALES)]
        kind = "receipt" if i % 2 == 0 else "invoice"
        doc = make_doc(rng, loc, (2, 6) if kind == "receipt" else (2, 8))
        stem = f"{i:03d}_{kind}_{loc.code}"
        if kind == "receipt":
            img = receipt(rng, doc)
            path = out / (stem + (".jpg" if i % 4 == 0 else ".png"))
            if path.suffix == ".jpg":
                img.save(path, quality=rng.choice([70, 85]), dpi=(203, 203))
            else:
                img.save(path, dpi=(203, 203))
        else:
            pdf = invoice_pdf(rng, doc, layout=(i // 2) % 3)
            if i % 4 == 1:
                path = out / (stem + ".pdf")
                path.write_bytes(pdf)
            else:
                img, dpi = scan_of(pdf, rng)
                if i % 8 == 3:
                    path = out / (stem + "_scan.pdf")
                    img.save(path, "PDF", resolution=float(dpi))
                else:
                    path = out / (stem + "_scan.png")
                    img.save(path, dpi=(dpi, dpi))
        truth = {"source": path.name, "schema": kind, "data": doc.truth(kind)}
        path.with_name(path.name.rsplit(".", 1)[0] + ".truth.json").write_text(
            json.dumps(truth, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        made.append(path)
    return made


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("build/extract_set"))
    ap.add_argument("-n", type=int, default=40)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    made = build(args.out, args.n, args.seed)
    print(f"{len(made)} documents with truth in {args.out}")


if __name__ == "__main__":
    main()
