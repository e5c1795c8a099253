"""pdfplumber: text layer and ruled-line tables of born-digital PDFs (no OCR)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pdfplumber

PACKAGES = ["pdfplumber", "pdfminer.six"]


def parse(path: Path) -> dict[str, Any]:
    with pdfplumber.open(path) as pdf:
        pages = [p.extract_text() or "" for p in pdf.pages]
        tables = [[[c or "" for c in row] for row in t] for p in pdf.pages for t in p.extract_tables()]
    return {"pages": pages, "tables": tables}
