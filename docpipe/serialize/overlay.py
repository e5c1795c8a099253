"""A page image with the parse drawn on it: each element's box, its label, and its place in
the reading order (furniture in grey, unnumbered). For checking a parse by eye."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from docpipe.document import Document, Element
from docpipe.parse.load import open_source

COLORS: dict[str, tuple[int, int, int]] = {
    "title": (200, 30, 30),
    "section_header": (230, 120, 0),
    "text": (30, 90, 200),
    "list_item": (0, 150, 150),
    "table": (20, 150, 40),
    "figure": (140, 60, 180),
    "caption": (180, 60, 140),
    "formula": (110, 110, 0),
    "page_header": (130, 130, 130),
    "page_footer": (130, 130, 130),
}


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.truetype("DejaVuSans-Bold.ttf", size)
    except OSError:
        return ImageFont.load_default()


def draw_page(doc: Document, page_no: int, image: Image.Image) -> Image.Image:
    """`image` is the page rendered at any scale; boxes (points) are scaled to it."""
    page = doc.pages[page_no - 1]
    f = image.width / page.width
    out = image.convert("RGB")
    canvas = ImageDraw.Draw(out, "RGBA")
    font = _font(max(10, round(9 * f)))
    items: list[tuple[Element, str]] = [
        (e, str(i + 1)) for i, e in enumerate(e for e in doc.body if any(p.page == page_no for p in e.prov))
    ]
    items += [(e, "") for e in doc.furniture if e.page == page_no]
    for e, number in items:
        color = COLORS.get(e.label, (0, 0, 0))
        for p in e.prov:
            if p.page != page_no:
                continue
            x0, y0, x1, y1 = (v * f for v in (p.bbox.x0, p.bbox.y0, p.bbox.x1, p.bbox.y1))
            canvas.rectangle((x0, y0, x1, y1), outline=color, width=2, fill=(*color, 28))
            tag = f"{number} {e.label}" if number else e.label
            tw = canvas.textlength(tag, font=font)
            th = font.size if isinstance(font, ImageFont.FreeTypeFont) else 11
            ty = max(0.0, y0 - th - 4)
            canvas.rectangle((x0, ty, x0 + tw + 6, ty + th + 4), fill=color)
            canvas.text((x0 + 3, ty + 2), tag, fill=(255, 255, 255), font=font)
    return out


def overlay_paths(out: Path, n_pages: int) -> list[Path]:
    """OUT.png for page 1; OUT-p2.png, OUT-p3.png... for the pages after it."""
    return [out if k == 1 else out.with_name(f"{out.stem}-p{k}{out.suffix or '.png'}") for k in range(1, n_pages + 1)]


def write_overlays(source: Path, doc: Document, out: Path, dpi: int = 100) -> list[Path]:
    """Render each page of `source` and save it with the parse drawn on it."""
    paths = overlay_paths(out, len(doc.pages))
    with open_source(source) as src:
        for sp, path in zip(src.pages(), paths, strict=False):
            draw_page(doc, sp.number, sp.render(dpi)).save(path)
    return paths
