"""invoice2data with only its bundled templates (215 real-world issuers): the out-of-the-box
result on vendors it has never seen. Text from pdftotext (poppler-utils) when the PDF has a
text layer, else tesseract on the page rendered at 200 DPI (its own tesseract input module
shells out to ImageMagick, which this machine does not have)."""

from __future__ import annotations

import os
import types
from datetime import date, datetime
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

import pypdfium2 as pdfium
import pytesseract
from invoice2data import extract_data
from invoice2data.extract.loader import read_templates
from invoice2data.input import _cached_to_text, pdftotext

from bench.peers.render import images

PACKAGES = ["invoice2data", "pytesseract"]
TEMPLATES: list[Any] = read_templates()


def _ocr_text(path: str, area_details: Any = None) -> str:
    return "\n".join(pytesseract.image_to_string(img) for img in images(Path(path)))


OCR = types.ModuleType("tesseract_rendered")  # invoice2data wants a module with to_text()
OCR.to_text = _ocr_text  # type: ignore[attr-defined]
OCR.SUPPORTS_AREA = False  # type: ignore[attr-defined]


def _has_text(path: Path) -> bool:
    if path.suffix.lower() != ".pdf":
        return False
    return any(p.get_textpage().count_chars() > 20 for p in pdfium.PdfDocument(str(path)))


def run(path: Path, templates: list[Any]) -> dict[str, Any]:
    _cached_to_text.cache_clear()  # it memoizes text per file: repeated passes would time nothing
    module: Any = pdftotext if _has_text(path) else OCR
    got = extract_data(str(path), templates=templates, input_module=module) or {}
    d = got.get("date")
    if isinstance(d, list):  # a template regex that matched twice: invoice2data returns every match
        d = d[0] if d else None
    return {
        "vendor_name": got.get("issuer"),
        "invoice_number": got.get("invoice_number"),
        "invoice_date": d.date().isoformat()
        if isinstance(d, datetime)
        else d.isoformat()
        if isinstance(d, date)
        else d,
        "currency": got.get("currency"),
        "total": got.get("amount"),
    }


def extract(path: Path) -> dict[str, Any]:
    return run(path, TEMPLATES)
