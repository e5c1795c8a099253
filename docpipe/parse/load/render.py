"""PDF page renderers, chosen by name (ConvertOptions.renderer): pypdfium2, in this process
(the default: faster and no subprocess per page), or pdf2image, which runs poppler's pdftoppm
(Debian poppler-utils) for one page at a time: another rasteriser for PDFs pdfium draws wrong.
Measured side by side by bench/renderers.py (speed, memory, OCR words at the same DPI)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Literal

import pypdfium2 as pdfium
from PIL import Image

RendererName = Literal["pypdfium2", "pdf2image"]
RENDERERS: tuple[RendererName, ...] = ("pypdfium2", "pdf2image")


def pdfium_render(page: pdfium.PdfPage) -> Callable[[float], Image.Image]:
    """scale (pixels per point) -> the page as RGB."""

    def render(scale: float) -> Image.Image:
        image = page.render(scale=scale).to_pil()  # a copy of pdfium's BGR bitmap, already RGB
        # convert() to the same mode copies the pixels again: more than the render itself at 200 dpi
        return image if image.mode == "RGB" else image.convert("RGB")

    return render


def poppler_render(path: Path, number: int, password: str | None) -> Callable[[float], Image.Image]:
    def render(scale: float) -> Image.Image:
        from pdf2image import convert_from_path

        # Whole dots per inch: the callers derive pixels per point from the image they get.
        dpi = max(1, round(scale * 72.0))
        [img] = convert_from_path(path, dpi=dpi, first_page=number, last_page=number, userpw=password or "")
        return img.convert("RGB")

    return render
