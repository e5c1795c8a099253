"""The peer benchmark's documents, generated with their truth: text per page in reading order,
the lines whose order is scored, table grids and invoice fields.

    .venv/bin/python -m bench.peers.docset OUT_DIR [--quick]

Every page is a list of lines drawn in reading order; the same list is drawn with reportlab
(born-digital PDF) or with Pillow at 200 DPI and degraded (scans), so truth and drawing
cannot disagree. Fixed seeds make reruns identical. The text avoids the characters Markdown
uses (`*`, `_`, `|`, `#`) so tools that answer in Markdown are scored on words, not markup.
"""

from __future__ import annotations

import argparse
import io
import json
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, Literal

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
LETTER = (612.0, 792.0)
DPI = 200
Align = Literal["left", "right", "center"]


@dataclass
class Frag:
    x: float
    text: str
    align: Align = "left"


@dataclass
class Line:
    y: float  # baseline, points from the top
    frags: list[Frag]
    size: float = 10
    bold: bool = False
    furniture: bool = False

    @property
    def text(self) -> str:
        return " ".join(f.text for f in self.frags)


@dataclass
class Page:
    width: float = LETTER[0]
    height: float = LETTER[1]
    lines: list[Line] = field(default_factory=list)
    rules: list[tuple[float, float, float, float]] = field(default_factory=list)
    tables: list[list[list[str]]] = field(default_factory=list)

    def add(self, y: float, *frags: Frag, size: float = 10, bold: bool = False, **kw: bool) -> None:
        self.lines.append(Line(y, list(frags), size, bold, **kw))

    def truth_text(self) -> str:
        return "\n".join(ln.text for ln in self.lines if not ln.furniture)


# -- text generation ------------------------------------------------------------------------------

NOUNS = [
    "harbour",
    "council",
    "budget",
    "survey",
    "network",
    "station",
    "river",
    "market",
    "school",
    "bridge",
    "library",
    "museum",
    "factory",
    "garden",
    "railway",
    "district",
    "festival",
    "archive",
    "workshop",
    "quarry",
]
VERBS = [
    "expanded",
    "reported",
    "measured",
    "reviewed",
    "opened",
    "restored",
    "funded",
    "planned",
    "recorded",
    "approved",
    "published",
    "connected",
    "reduced",
    "doubled",
]
ADJ = ["northern", "annual", "public", "regional", "historic", "modern", "quiet", "central", "small", "coastal"]


def sentence(rng: random.Random) -> str:
    n1, n2 = rng.sample(NOUNS, 2)
    return (
        f"The {rng.choice(ADJ)} {n1} {rng.choice(VERBS)} its {n2} in {rng.randint(1890, 2024)}, "
        f"and {rng.randint(2, 90)} new {rng.choice(NOUNS)}s followed within {rng.randint(2, 12)} months."
    )


def wrap(text: str, font_name: str, size: float, width: float) -> list[str]:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    out: list[str] = []
    cur = ""
    for word in text.split():
        trial = f"{cur} {word}".strip()
        if stringWidth(trial, font_name, size) <= width or not cur:
            cur = trial
        else:
            out.append(cur)
            cur = word
    return [*out, cur] if cur else out


# -- born-digital multi-page reports ---------------------------------------------------------------

COL_X = (50.0, 322.0)
COL_W = 240.0


def columns(page: Page, rng: random.Random, top: float, n_paras: int, tag: str) -> None:
    """Two columns of headed paragraphs; the left column is read before the right one."""
    for c, x in enumerate(COL_X):
        y = top
        page.add(
            y,
            Frag(x, f"{tag} {'ABCD'[c]}. {rng.choice(ADJ).title()} {rng.choice(NOUNS)}s"),
            size=12,
            bold=True,
        )
        y += 20
        for p in range(n_paras):
            para = f"Paragraph {c + 1}.{p + 1}. " + " ".join(sentence(rng) for _ in range(3))
            for ln in wrap(para, "Helvetica", 10, COL_W):
                page.add(y, Frag(x, ln))
                y += 13
            y += 10


def table(page: Page, rng: random.Random, top: float, ruled: bool) -> float:
    head = ["Region", "Sites", "Visitors", "Budget", "Change"]
    xs = [50.0, 250.0, 340.0, 450.0, 562.0]  # first column left-aligned, the rest right-aligned
    rows = [head] + [
        [
            f"{rng.choice(ADJ).title()} {rng.choice(NOUNS)}",
            str(rng.randint(2, 60)),
            f"{rng.randint(1000, 99999):,}",
            f"{rng.randint(10, 900)}.{rng.randint(0, 99):02d}",
            f"{rng.choice('+-')}{rng.randint(1, 30)}%",
        ]
        for _ in range(8)
    ]
    y = top
    for r, row in enumerate(rows):
        frags = [Frag(xs[0], row[0])] + [Frag(x, v, "right") for x, v in zip(xs[1:], row[1:], strict=True)]
        page.add(y, *frags, bold=r == 0)
        if ruled or r == 0:
            page.rules.append((46, y + 5, 566, y + 5))
        y += 18
    if ruled:
        page.rules.append((46, top - 13, 566, top - 13))
        for x in (46.0, 200.0, 256.0, 346.0, 456.0, 566.0):
            page.rules.append((x, top - 13, x, y - 13))
    page.tables.append(rows)
    return y


def report(seed: int, n_pages: int, ruled: bool) -> list[Page]:
    rng = random.Random(seed)
    title = f"{rng.choice(ADJ).title()} {rng.choice(NOUNS).title()} Report {2020 + seed % 5}"
    pages = []
    for n in range(1, n_pages + 1):
        p = Page()
        top = 70.0
        if n == 1:
            p.add(70, Frag(50, title), size=20, bold=True)
            p.add(92, Frag(50, f"Prepared by the {rng.choice(NOUNS)} office, edition {seed}"), size=10)
            top = 130
        if n == 2:
            p.add(70, Frag(50, f"Section {n}. Figures by region"), size=14, bold=True)
            y = table(p, rng, 100, ruled)
            top = y + 20
        columns(p, rng, top, 2 if n == 2 else 3, f"{n}")
        p.add(770, Frag(50, f"{title} - Page {n} of {n_pages}"), size=8, furniture=True)
        pages.append(p)
    return pages


# -- invoices and receipts ------------------------------------------------------------------------

CENT = Decimal("0.01")
VENDORS = [
    # name, street, city, currency symbol, number label, date label, date style, total label
    (
        "Kestrel Tooling Ltd",
        "14 Mill Lane",
        "Leeds LS2 7HX",
        "GBP",
        "Invoice No:",
        "Invoice Date:",
        "long",
        "Total Due",
    ),
    (
        "Pinewood Office Supply",
        "920 Market Street",
        "Denver, CO 80202",
        "USD",
        "Invoice #",
        "Date:",
        "iso",
        "Amount Due",
    ),
    (
        "Harborline Freight Inc.",
        "3 Dock Road",
        "Savannah, GA 31401",
        "USD",
        "Invoice Number:",
        "Issued:",
        "us",
        "Total",
    ),
    ("Alder Print Works", "77 Quarry Street", "Bristol BS1 4DJ", "GBP", "Invoice No:", "Date:", "long", "Balance Due"),
]
SYMBOL = {"USD": "$", "GBP": "£", "EUR": "€"}
ITEMS = [
    "Steel bracket",
    "Copy paper A4 (box)",
    "Toner cartridge",
    "Freight handling",
    "Pallet wrap",
    "Safety gloves",
    "Label printer",
    "Cable ties (pack)",
    "Storage crate",
    "Delivery fee",
    "Drill bits set",
]


def money(cur: str, v: Decimal) -> str:
    return f"{SYMBOL[cur]}{v:,.2f}"


def fmt_date(d: date, style: str) -> str:
    if style == "iso":
        return d.isoformat()
    if style == "us":
        return d.strftime("%m/%d/%Y")
    return d.strftime("%B %d, %Y").replace(" 0", " ")


def invoice(seed: int) -> tuple[Page, dict[str, Any]]:
    rng = random.Random(1000 + seed)
    name, street, city, cur, no_label, date_label, style, total_label = VENDORS[seed % len(VENDORS)]
    number = f"{name[:2].upper()}-{rng.randint(10000, 99999)}"
    issued = date(2024, 1, 1) + timedelta(days=rng.randint(0, 330))
    items = [
        (d, rng.randint(1, 20), Decimal(rng.randint(150, 30000)) / 100) for d in rng.sample(ITEMS, rng.randint(3, 6))
    ]
    sub = sum((Decimal(q) * u for _, q, u in items), Decimal(0)).quantize(CENT, ROUND_HALF_UP)
    tax = (sub * Decimal("0.08")).quantize(CENT, ROUND_HALF_UP)
    total = sub + tax
    p = Page()
    p.add(70, Frag(50, name), Frag(562, "INVOICE", "right"), size=18, bold=True)
    p.add(90, Frag(50, street))
    p.add(104, Frag(50, city))
    y = 136.0
    for label, value in (
        (no_label, number),
        (date_label, fmt_date(issued, style)),
        ("Due Date:", fmt_date(issued + timedelta(days=30), style)),
    ):
        p.add(y, Frag(50, label), Frag(160, value))
        y += 15
    p.add(y + 15, Frag(50, "Bill To:"), bold=True)
    p.add(y + 30, Frag(50, f"{rng.choice(ADJ).title()} {rng.choice(NOUNS).title()} Partners"))
    y += 75
    p.add(
        y,
        Frag(50, "Description"),
        Frag(360, "Qty", "right"),
        Frag(460, "Unit Price", "right"),
        Frag(562, "Amount", "right"),
        bold=True,
    )
    p.rules.append((50, y + 5, 562, y + 5))
    grid = [["Description", "Qty", "Unit Price", "Amount"]]
    for desc, q, u in items:
        y += 18
        row = [desc, str(q), money(cur, u), money(cur, (q * u).quantize(CENT))]
        grid.append(row)
        p.add(
            y,
            Frag(50, row[0]),
            *(Frag(x, v, "right") for x, v in zip((360, 460, 562), row[1:], strict=True)),
        )
    p.tables.append(grid)
    y += 40
    for label, value in (("Subtotal", sub), ("Tax (8%)", tax), (total_label, total)):
        p.add(
            y,
            Frag(380, label),
            Frag(562, money(cur, value), "right"),
            bold=label == total_label,
        )
        y += 16
    p.add(y + 30, Frag(50, "Payment terms: net 30 days. Please quote the invoice number."), size=9)
    truth = {
        "vendor_name": name,
        "invoice_number": number,
        "invoice_date": issued.isoformat(),
        "currency": cur,
        "total": float(total),
    }
    return p, truth


def receipt(seed: int) -> Page:
    rng = random.Random(2000 + seed)
    shop = f"{rng.choice(ADJ).title()} {rng.choice(['Cafe', 'Deli', 'Bakery', 'Market'])}"
    p = Page(width=230, height=0)
    y = 40.0
    p.add(y, Frag(115, shop, "center"), size=13, bold=True)
    y += 18
    p.add(y, Frag(115, f"{rng.randint(1, 200)} {rng.choice(NOUNS).title()} Street", "center"), size=9)
    y += 14
    p.add(
        y,
        Frag(
            12,
            f"Date: {rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/2024 "
            f"{rng.randint(7, 21)}:{rng.randint(0, 59):02d}",
        ),
        size=9,
    )
    y += 20
    total = Decimal(0)
    menu = ["Cappuccino", "Muffin", "Orange juice", "Bagel", "Soup of the day", "Green tea", "Croissant", "Sandwich"]
    for item in rng.sample(menu, rng.randint(3, 6)):
        q, u = rng.randint(1, 3), Decimal(rng.randint(150, 900)) / 100
        total += q * u
        p.add(y, Frag(12, f"{q} x {item}"), Frag(218, f"{q * u:.2f}", "right"), size=9)
        y += 14
    tax = (total * Decimal("0.07")).quantize(CENT, ROUND_HALF_UP)
    y += 6
    for label, v in (("SUBTOTAL", total), ("TAX 7%", tax), ("TOTAL", total + tax)):
        p.add(
            y,
            Frag(12, label),
            Frag(218, f"{v:.2f}", "right"),
            size=10 if label == "TOTAL" else 9,
            bold=label == "TOTAL",
        )
        y += 15
    p.add(y + 10, Frag(115, "Thank you for your visit", "center"), size=9)
    p.height = y + 40
    return p


# -- drawing ----------------------------------------------------------------------------------------


def draw_pdf(pages: list[Page], path: Path) -> None:
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), pagesize=(pages[0].width, pages[0].height), invariant=1)
    for p in pages:
        c.setPageSize((p.width, p.height))
        for x0, y0, x1, y1 in p.rules:
            c.line(x0, p.height - y0, x1, p.height - y1)
        for ln in p.lines:
            c.setFont("Helvetica-Bold" if ln.bold else "Helvetica", ln.size)
            for f in ln.frags:
                draw = {"left": c.drawString, "right": c.drawRightString, "center": c.drawCentredString}[f.align]
                draw(f.x, p.height - ln.y, f.text)
        c.showPage()
    c.save()


def raster(p: Page, dpi: int = DPI) -> Image.Image:
    s = dpi / 72
    img = Image.new("L", (round(p.width * s), round(p.height * s)), 255)
    d = ImageDraw.Draw(img)
    for x0, y0, x1, y1 in p.rules:
        d.line([(x0 * s, y0 * s), (x1 * s, y1 * s)], fill=0, width=max(1, round(s * 0.6)))
    for ln in p.lines:
        font = ImageFont.truetype(
            str(FONT_DIR / ("DejaVuSans-Bold.ttf" if ln.bold else "DejaVuSans.ttf")), round(ln.size * s * 0.92)
        )  # DejaVu runs wider than Helvetica
        for f in ln.frags:
            anchor = {"left": "ls", "right": "rs", "center": "ms"}[f.align]
            d.text((f.x * s, ln.y * s), f.text, font=font, fill=0, anchor=anchor)
    return img


def degrade(img: Image.Image, seed: int, angle: float = 0.0, noise: float = 10, blur: float = 0.6) -> Image.Image:
    """A photocopy: slight skew, sensor noise, salt and pepper, soft focus."""
    rng = np.random.default_rng(seed)
    g = img.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=255, expand=True) if angle else img
    a = np.asarray(g).astype(np.float32) + rng.normal(0, noise, (g.height, g.width))
    salt = rng.random((g.height, g.width))
    a[salt < 0.0006] = 0
    a[salt > 0.9994] = 255
    return Image.fromarray(np.clip(a, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(blur))


def image_pdf(img: Image.Image, path: Path, dpi: int = DPI) -> None:
    """An image-only PDF, as a scanner writes it (JPEG inside)."""
    buf = io.BytesIO()
    img.convert("RGB").save(buf, format="JPEG", quality=80)
    Image.open(buf).save(path, format="PDF", resolution=dpi)


# -- the set ----------------------------------------------------------------------------------------


def entry(name: str, kind: str, pages: list[Page], **extra: Any) -> dict[str, Any]:
    lines = [ln for p in pages for ln in p.lines]
    return {
        "file": name,
        "kind": kind,
        "pages": len(pages),
        "text": [p.truth_text() for p in pages],
        "furniture": [ln.text for ln in lines if ln.furniture],
        "reading_order": [" ".join(ln.text.split()[:4]) for ln in lines if not ln.furniture],
        "tables": [t for p in pages for t in p.tables],
        **extra,
    }


def generate(out: Path, quick: bool = False) -> list[dict[str, Any]]:
    """Write the documents and `truth.json` into `out`; return the truth entries."""
    out.mkdir(parents=True, exist_ok=True)
    docs: list[dict[str, Any]] = []
    n_reports, n_invoices, n_receipts = (1, 1, 0) if quick else (3, 4, 3)
    for k in range(n_reports):
        pages = report(k + 1, 1 if quick else 3, ruled=k % 2 == 1)
        draw_pdf(pages, out / f"report_{k + 1}.pdf")
        docs.append(entry(f"report_{k + 1}.pdf", "digital", pages))
    for k in range(n_invoices):
        page, truth = invoice(k)
        draw_pdf([page], out / f"invoice_{k + 1}.pdf")
        docs.append(entry(f"invoice_{k + 1}.pdf", "digital", [page], invoice=truth))
    # Scans: the same invoices printed and scanned; one skewed, one turned a quarter.
    for k in range(n_invoices):
        page, truth = invoice(k)
        angle = {1: 2.5, 3: 90.0}.get(k, 0.6)
        name = f"scan_invoice_{k + 1}.pdf"
        image_pdf(degrade(raster(page), seed=k, angle=angle), out / name)
        docs.append(entry(name, "scan", [page], invoice=truth, rotated=angle >= 90, skew=angle if angle < 90 else 0))
    for k in range(n_receipts):
        page = receipt(k)
        name = f"receipt_{k + 1}.{'jpg' if k % 2 else 'png'}"
        degrade(raster(page, dpi=220), seed=10 + k, angle=0.8 * (k - 1), noise=8).save(out / name, quality=85)
        docs.append(entry(name, "scan", [page]))
    if not quick:
        pages = report(9, 1, ruled=False)
        image_pdf(degrade(raster(pages[0]), seed=9, angle=-0.8), out / "scan_report.pdf")
        docs.append(entry("scan_report.pdf", "scan", pages))
    (out / "truth.json").write_text(json.dumps(docs, indent=1, ensure_ascii=False) + "\n")
    return docs


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("out", type=Path)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    docs = generate(args.out, args.quick)
    print(f"{len(docs)} documents, {sum(d['pages'] for d in docs)} pages -> {args.out}")


if __name__ == "__main__":
    main()
