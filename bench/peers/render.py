"""Pages as RGB images at 200 DPI for the raw OCR peers (PDF via pypdfium2, images as they are)."""

from __future__ import annotations

from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image


def images(path: Path, dpi: int = 200) -> list[Image.Image]:
    if path.suffix.lower() == ".pdf":
        return [p.render(scale=dpi / 72).to_pil().convert("RGB") for p in pdfium.PdfDocument(str(path))]
    return [Image.open(path).convert("RGB")]
