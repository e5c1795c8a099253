"""A stored original's page as PNG: pypdfium2 for PDFs, the image frame itself for images."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

from docpipe.errors import LoadError
from docpipe.options import Limits
from docpipe.parse.load import open_source
from docpipe.parse.load.pdf import open_pdf, render_scale
from docpipe.parse.load.sniff import NATIVE_MIMES, sniff_file


class NoSuchPage(LookupError):
    pass


def render_page(path: Path, number: int, dpi: int, limits: Limits, password: str | None = None) -> Image.Image:
    """Page `number` (1-based). PDFs are rendered at `dpi` (lower for giant pages, within the
    loader's pixel budget); an image page is returned as scanned (its pixels map to its points
    by the image's own DPI, as in the Document)."""
    mime = sniff_file(path)
    if mime in NATIVE_MIMES:
        raise LoadError(path, "an office, web or mail document has no page image (see its pages/N.html)")
    if mime == "application/pdf":
        pdf = open_pdf(path, password)
        try:
            if not 1 <= number <= len(pdf):
                raise NoSuchPage(f"page {number} of {len(pdf)}")
            page = pdf[number - 1]
            width, height = page.get_size()
            return page.render(scale=render_scale(dpi, width * height)).to_pil().convert("RGB")
        finally:
            pdf.close()
    with open_source(path, limits=limits) as src:
        if not 1 <= number <= src.n_pages:
            raise NoSuchPage(f"page {number} of {src.n_pages}")
        for page in src.pages():
            if page.number == number:
                return page.render(dpi)
    raise NoSuchPage(f"page {number}")


def png_bytes(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=False, compress_level=3)
    return buf.getvalue()
