"""Files nobody cleaned: the bad-input corpus the robustness tests (and docs/hostile.md) use.

Every entry is made here, from nothing, so the corpus needs no download and no commit of
hostile bytes. `build(folder)` writes them all and returns what each one is and what docpipe
must say about it (a fragment of the one-line error, or None when the file must be ingested).
"""

from __future__ import annotations

import io
import os
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont
from reportlab.lib.pagesizes import A4
from reportlab.lib.pdfencrypt import StandardEncryption
from reportlab.pdfgen import canvas

from tests import office_files


@dataclass(frozen=True)
class Case:
    name: str  # file name inside the corpus folder (str; see NON_UTF8 for the bytes one)
    what: str  # the bad input, for the report
    expect: str | None  # fragment of the error message; None: must be ingested


PASSWORD = "s3cret"


def _pdf_bytes(text: str = "Invoice INV-HOSTILE-1 Total due 42.00 EUR", *, pages: int = 1, **kw: object) -> bytes:
    buf = io.BytesIO()
    size = kw.pop("pagesize", A4)
    c = canvas.Canvas(buf, pagesize=size, **kw)  # type: ignore[arg-type]
    for i in range(pages):
        c.setFont("Helvetica", 14)
        # Near the top: text at the very bottom of a page is rightly read as a footer.
        c.drawString(72, size[1] - 82, f"{text} page {i + 1}" if pages > 1 else text)  # type: ignore[index]
        c.showPage()
    c.save()
    return buf.getvalue()


def _png_bomb(side: int = 60_000) -> bytes:
    """A few KB that decode to side*side pixels: a valid PNG whose IDAT is all zero rows."""
    row = b"\x00" + b"\x00" * side  # filter byte + one grey byte per pixel
    comp = zlib.compressobj(9)
    data = b"".join(comp.compress(row) for _ in range(256)) + comp.flush()  # only 256 rows; enough to lie

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


def _receipt_jpeg() -> bytes:
    img = Image.new("RGB", (600, 300), "white")
    d = ImageDraw.Draw(img)
    font = ImageFont.load_default(size=28)
    d.text((30, 40), "CORNER CAFE", fill="black", font=font)
    d.text((30, 120), "TOTAL 12.50", fill="black", font=font)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=90)
    return buf.getvalue()


def _broken_xref(pdf: bytes) -> bytes:
    """Every xref offset pointing at the wrong byte: readers must rebuild it or refuse it."""
    head, sep, tail = pdf.rpartition(b"xref")
    lines = tail.split(b"\n")
    out = [ln[:2] + b"9" + ln[3:] if ln.endswith(b" n ") or ln.endswith(b" n") else ln for ln in lines]
    return head + sep + b"\n".join(out)


def _zip_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("invoice.txt", "not a pdf")
    return buf.getvalue()


GOOD = "good_invoice.pdf"
NON_UTF8 = b"bad\xffname.pdf"  # a name that is not valid UTF-8, with a good PDF inside

CASES: list[tuple[Case, Callable[[], bytes]]] = [
    (Case(GOOD, "a normal text invoice (must still be ingested)", None), _pdf_bytes),
    (Case("zero.pdf", "zero-byte file", "empty file"), lambda: b""),
    (Case("truncated.pdf", "PDF cut at 40% of its bytes", "PDF"), lambda: _pdf_bytes()[: len(_pdf_bytes()) * 4 // 10]),
    (
        Case("broken_xref.pdf", "PDF whose xref offsets are all wrong (pdfium rebuilds it)", None),
        lambda: _broken_xref(_pdf_bytes()),
    ),
    (
        Case("encrypted_user.pdf", "PDF encrypted with a user password", "encrypted PDF"),
        lambda: _pdf_bytes(encrypt=StandardEncryption(PASSWORD, ownerPassword="owner")),
    ),
    (
        Case("encrypted_owner_only.pdf", "PDF with only an owner password (opens without one)", None),
        lambda: _pdf_bytes(encrypt=StandardEncryption("", ownerPassword="owner")),
    ),
    (Case("pages_5000.pdf", "PDF of 5,000 pages", "too many pages"), lambda: _pdf_bytes("p", pages=5000)),
    (
        Case("page_20000pt.pdf", "one page of 20,000 x 20,000 points", None),
        lambda: _pdf_bytes("Invoice on a giant page Total due 7.00", pagesize=(20_000, 20_000)),
    ),
    (Case("bomb.png", "PNG decompression bomb (60,000 x 60,000 pixels in 15 KB)", "image too large"), _png_bomb),
    (Case("receipt_jpeg.png", "a JPEG named .png", None), _receipt_jpeg),
    (
        Case("page.html.pdf", "HTML renamed .pdf (read as HTML: the bytes decide)", None),
        lambda: b"<!doctype html><html><body><h1>Invoice</h1><script>alert(1)</script></body></html>",
    ),
    (Case("archive.zip.pdf", "ZIP renamed .pdf", "not a DOCX, PPTX or XLSX"), _zip_bytes),
    (Case("bomb.docx", "DOCX with a part inflating to 600 MB (0.6 MB inside)", "zip bomb"), office_files.docx_zip_bomb),
    (Case("laughs.docx", "DOCX with billion laughs", "entity expansion"), office_files.docx_entity_expansion),
    (Case("billion.xlsx", "XLSX of 10^9 cells", "declares 1,000,000,000 cells"), office_files.xlsx_billion_cells),
    (Case("nested.html", "HTML with 10^6 nested tags", "nested deeper than"), office_files.html_nested),
    (Case("one_pixel.png", "a 1 x 1 pixel PNG", "no text"), lambda: _png(1, 1)),
    (
        Case("latin1.tiff", "text in Latin-1 and Shift-JIS bytes named .tiff", "unrecognised content"),
        lambda: "Rechnung über 12,50 €".encode("latin-1", "replace") + "請求書".encode("shift_jis"),
    ),
    (Case("garbage.jpg", "a JPEG header followed by noise", "corrupt"), lambda: b"\xff\xd8\xff\xe0" + os.urandom(2000)),
    (Case("name\nwith newline.pdf", "a file name with a newline in it", None), _pdf_bytes),
]


def _png(w: int, h: int) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (w, h), "white").save(buf, "PNG")
    return buf.getvalue()


def build(folder: Path) -> list[Case]:
    """Write the corpus into folder (created) and return the cases, special files included."""
    folder.mkdir(parents=True, exist_ok=True)
    cases: list[Case] = []
    for case, make in CASES:
        (folder / case.name).write_bytes(make())
        cases.append(case)
    # Names and kinds that a byte string cannot describe.
    os.makedirs(folder / "loop", exist_ok=True)
    if not (folder / "loop" / "again").exists():
        os.symlink("..", folder / "loop" / "again")  # a folder cycle: walking must not recurse forever
    cases.append(Case("loop/again", "a symlink loop inside the folder", None))
    link = folder / "dangling.pdf"
    if not link.is_symlink():
        os.symlink(folder / "does-not-exist.pdf", link)
    cases.append(Case("dangling.pdf", "a symlink to a file that does not exist", "no such file"))
    fifo = folder / "pipe.pdf"
    if not fifo.exists():
        os.mkfifo(fifo)  # opening it for reading would block forever
    cases.append(Case("pipe.pdf", "a named pipe called .pdf (reading it would block)", "not a regular file"))
    raw = os.fsencode(folder) + b"/" + NON_UTF8
    with open(raw, "wb") as f:
        f.write(_pdf_bytes("Invoice with a non UTF-8 name Total due 3.00"))
    cases.append(Case(os.fsdecode(NON_UTF8), "a file name that is not valid UTF-8", None))
    return cases
