"""Office, web and mail files made at test time by the libraries that write them (python-docx,
python-pptx, openpyxl, the email package), good and hostile: nothing is committed or fetched."""

from __future__ import annotations

import io
import re
import zipfile
from email.message import EmailMessage
from pathlib import Path

import docx
import openpyxl
import pptx
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas


def contract_docx(path: Path) -> Path:
    """Headings at three levels, a bulleted list and a table with a vertically merged cell."""
    d = docx.Document()
    d.add_heading("Supply contract", 0)
    d.add_heading("Parties", 1)
    d.add_paragraph("This contract is between Nordlicht GmbH and Acme Corp.")
    d.add_heading("Delivery terms", 2)
    d.add_paragraph("Delivery within 14 days of the order.", style="List Bullet")
    d.add_paragraph("A penalty of 2 percent per week of delay applies.", style="List Bullet")
    d.add_heading("Prices", 2)
    t = d.add_table(rows=3, cols=3)
    for c, text in enumerate(("Item", "Quantity", "Unit price")):
        t.cell(0, c).text = text
    merged = t.cell(1, 0).merge(t.cell(2, 0))
    merged.text = "Steel bolts"
    t.cell(1, 1).text, t.cell(1, 2).text = "100", "12.50 EUR"
    t.cell(2, 1).text, t.cell(2, 2).text = "5000", "9.80 EUR"
    d.save(path)
    return path


def review_pptx(path: Path) -> Path:
    """Two slides, each a title and bullets."""
    p = pptx.Presentation()
    s = p.slides.add_slide(p.slide_layouts[1])
    s.shapes.title.text = "Quarterly review"
    s.placeholders[1].text = "Revenue grew 12 percent\nChurn fell to 3 percent"
    s = p.slides.add_slide(p.slide_layouts[1])
    s.shapes.title.text = "Next steps"
    s.placeholders[1].text = "Hire two engineers for the Oslo office"
    p.save(path)
    return path


def stock_xlsx(path: Path) -> Path:
    """Two sheets; the second has a merged note row."""
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Stock"
    for row in (["Item", "Quantity", "Warehouse"], ["Hex bolts", 120, "North"], ["Wing nuts", 75, "South"]):
        ws.append(row)
    prices = wb.create_sheet("Prices")
    for row in (["Item", "Price"], ["Hex bolts", 0.12], ["Wing nuts", 0.3]):
        prices.append(row)
    prices["A5"] = "Prices valid until June"
    prices.merge_cells("A5:B5")
    wb.save(path)
    return path


NOTICE_HTML = (
    "<!DOCTYPE html><html><head><title>Notice</title><script>var x = 1;</script></head><body>"
    "<h1>Water outage</h1><p>Water is off on <b>Monday</b> from 8 to 12.</p>"
    "<h2>Affected streets</h2><table><tr><th>Street</th><th>Hours</th></tr>"
    "<tr><td>Main Street</td><td>8-12</td></tr><tr><td colspan='2'>Elm Street all day</td></tr></table>"
    "<ul><li>Boil tap water</li><li>Store drinking water</li></ul></body></html>"
)


def notice_html(path: Path) -> Path:
    path.write_text(NOTICE_HTML)
    return path


def invoice_pdf_bytes(text: str = "Invoice INV-MAIL-7 from Fjord Tools AS. Total due 318.40 NOK") -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    c.setFont("Helvetica", 14)
    c.drawString(72, A4[1] - 90, text)
    c.showPage()
    c.save()
    return buf.getvalue()


def mail_eml(path: Path) -> Path:
    """A mail with a plain-text body and a PDF invoice attached."""
    msg = EmailMessage()
    msg["From"] = "Kari Nordmann <kari@fjordtools.example>"
    msg["To"] = "accounts@acme.example"
    msg["Subject"] = "Invoice for the March delivery"
    msg["Date"] = "Mon, 02 Mar 2026 09:15:00 +0100"
    msg.set_content("Hello,\n\nplease find our invoice attached. Payment is due within 30 days.\n\nKari")
    msg.add_attachment(invoice_pdf_bytes(), maintype="application", subtype="pdf", filename="invoice-7.pdf")
    path.write_bytes(msg.as_bytes())
    return path


# --- hostile -------------------------------------------------------------------------------


def _rewrite(src: bytes, edit: dict[str, bytes]) -> bytes:
    """The zip with some members replaced."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(src)) as z, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as w:
        for info in z.infolist():
            w.writestr(info, edit.get(info.filename, z.read(info)))
    return out.getvalue()


def _good_docx() -> bytes:
    buf = io.BytesIO()
    d = docx.Document()
    d.add_paragraph("Invoice INV-HOSTILE-DOCX total due 42.00 EUR")
    d.save(buf)
    return buf.getvalue()


def docx_zip_bomb(mb: int = 600) -> bytes:
    """A real DOCX with one more part that inflates to `mb` MB of zeros (about 0.6 MB inside)."""
    out = io.BytesIO(_good_docx())
    with (
        zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED, compresslevel=1) as z,
        z.open("word/media/image1.bin", "w", force_zip64=True) as f,
    ):
        block = bytes(1 << 20)
        for _ in range(mb):
            f.write(block)
    return out.getvalue()


BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10))
    + b"]>\n"
)


def docx_entity_expansion() -> bytes:
    """A DOCX whose document part declares the billion-laughs entities and uses the last one."""
    src = _good_docx()
    with zipfile.ZipFile(io.BytesIO(src)) as z:
        xml = z.read("word/document.xml")
    body = re.sub(rb"^<\?xml[^>]*\?>\s*", b"", xml)
    body = body.replace(b"Invoice INV-HOSTILE-DOCX", b"&lol9;", 1)
    return _rewrite(src, {"word/document.xml": BILLION_LAUGHS + body})


def xlsx_billion_cells() -> bytes:
    """A real workbook whose sheet declares a 1,000 x 1,000,000 cell dimension, with a cell at its far corner."""
    buf = io.BytesIO()
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws["A1"] = "Stock list"
    ws["ALL1000000"] = "far corner"
    wb.save(buf)
    src = buf.getvalue()
    with zipfile.ZipFile(io.BytesIO(src)) as z:
        xml = z.read("xl/worksheets/sheet1.xml")
    xml = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:ALL1000000"', xml)
    return _rewrite(src, {"xl/worksheets/sheet1.xml": xml})


def html_nested(depth: int = 1_000_000) -> bytes:
    return (
        b"<!DOCTYPE html><html><body>"
        + b"<div>" * depth
        + b"Invoice total 9.00"
        + b"</div>" * depth
        + b"</body></html>"
    )
