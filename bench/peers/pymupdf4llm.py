"""pymupdf4llm: Markdown per page (tables as pipe tables); pages without text go through its
built-in OCR (RapidOCR via pymupdf-layout). Images are opened as one-page documents."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pymupdf
import pymupdf4llm

PACKAGES = ["pymupdf4llm", "pymupdf", "pymupdf-layout"]


def pipe_tables(md: str) -> list[list[list[str]]]:
    tables: list[list[list[str]]] = []
    cur: list[list[str]] = []
    for line in [*md.splitlines(), ""]:
        s = line.strip()
        if s.startswith("|") and s.endswith("|"):
            cells = [c.strip().replace("<br>", " ") for c in s[1:-1].split("|")]
            if not all(set(c) <= set("-: ") for c in cells):
                cur.append(cells)
        elif cur:
            tables.append(cur)
            cur = []
    return tables


def parse(path: Path) -> dict[str, Any]:
    doc = pymupdf.open(path)
    if not doc.is_pdf:
        doc = pymupdf.open("pdf", doc.convert_to_pdf())
    chunks = pymupdf4llm.to_markdown(doc, page_chunks=True, show_progress=False)
    pages = [c["text"] for c in chunks]
    return {"pages": pages, "tables": [t for p in pages for t in pipe_tables(p)]}
