"""Whether text-layer characters are drawn where a reader can see them (and in a bold face),
and how much of a page is covered by images (a scan under a text layer) or by vector drawings."""

from __future__ import annotations

import ctypes
import re

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from docpipe.parse.load.rotation import PageFrame

INVISIBLE_MODES = frozenset({3, 7})  # neither fill nor stroke (7 only adds a clip path)
WHITE = 245  # fill channels at or above this on every channel: white text


def char_hidden(textpage: pdfium.PdfTextPage, index: int, seen: dict[int, bool] | None = None) -> bool:
    """True for a character drawn invisibly (render mode 3/7), fully transparent or white.

    Render mode and fill colour belong to the character's text object, so `seen` (one dict per
    text page) keeps the answer per object: a page's thousands of characters sit in a few
    dozen objects."""
    key = _text_object_address(textpage.raw, index)
    if seen is not None and key is not None and key in seen:
        return seen[key]
    hidden = _hidden(textpage, index, pdfium_c.FPDFText_GetTextObject(textpage.raw, index))
    if seen is not None and key is not None:
        seen[key] = hidden
    return hidden


# FPDFText_GetTextObject typed to give the object's address as an int: the cache key above,
# without building a pointer object and casting it for each of a page's thousands of characters.
_text_object_address = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int)(
    ctypes.cast(pdfium_c.FPDFText_GetTextObject, ctypes.c_void_p).value or 0
)


def _hidden(textpage: pdfium.PdfTextPage, index: int, obj: object) -> bool:
    if obj and pdfium_c.FPDFTextObj_GetTextRenderMode(obj) in INVISIBLE_MODES:
        return True
    r, g, b, a = (ctypes.c_uint(), ctypes.c_uint(), ctypes.c_uint(), ctypes.c_uint())
    has_fill = bool(pdfium_c.FPDFText_GetFillColor(textpage.raw, index, r, g, b, a))
    return has_fill and (a.value == 0 or min(r.value, g.value, b.value) >= WHITE)


# Bold faces by name: many embedded fonts report no weight (-1, 0 or a wrong 400), but their
# names say it: Helvetica-Bold, NimbusRomNo9L-Medi, CMBX10, LinLibertineTB, MyriadBd, Arial-Black.
_BOLD_NAME = re.compile(r"bold|black|heavy|demi|medi(?:um)?\b|medi$|bx\d|^(?:\w+\+)?cmb|tbi?$|bd(?:it)?$|bd\b", re.I)
FORCE_BOLD = 1 << 18  # the font descriptor's ForceBold flag
_FONT_NAME = ctypes.create_string_buffer(256)


def char_bold(textpage: pdfium.PdfTextPage, index: int) -> bool:
    """True when the character's font is a bold face (by weight, flag or name)."""
    flags = ctypes.c_int()
    n = pdfium_c.FPDFText_GetFontInfo(textpage.raw, index, _FONT_NAME, len(_FONT_NAME), ctypes.byref(flags))
    if flags.value & FORCE_BOLD or pdfium_c.FPDFText_GetFontWeight(textpage.raw, index) >= 600:
        return True
    return bool(n) and bool(_BOLD_NAME.search(_FONT_NAME.value.decode("latin-1")))


def image_coverage(page: pdfium.PdfPage, width: float, height: float) -> float:
    """Share of the page area under image objects (capped at 1)."""
    area = 0.0
    frame = PageFrame.of(page)
    for obj in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,), max_depth=2):
        x0, y0, x1, y1 = frame.display(obj.get_bounds())
        w = max(0.0, min(x1, width) - max(x0, 0.0))
        h = max(0.0, min(y1, height) - max(y0, 0.0))
        area += w * h
    return min(1.0, area / max(width * height, 1e-6))


RULE_THICKNESS = 2.5  # points: thinner than this is a rule, not a shape


def ruling_lines(page: pdfium.PdfPage, height: float) -> list[tuple[float, float, float, float]]:
    """Stroked straight lines of the page as thin boxes (points, top-left origin): the rules
    of ruled tables. A stroked rectangle gives its four edges; filled shapes give none."""
    out: list[tuple[float, float, float, float]] = []
    frame = PageFrame.of(page)
    for obj in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_PATH,), max_depth=2):
        fill, stroke = ctypes.c_int(), ctypes.c_int()
        if not pdfium_c.FPDFPath_GetDrawMode(obj.raw, fill, stroke) or not stroke.value:
            continue
        x0, y0, x1, y1 = frame.display(obj.get_bounds())
        top, bottom = height - y1, height - y0
        if y1 - y0 <= RULE_THICKNESS or x1 - x0 <= RULE_THICKNESS:
            out.append((x0, top, x1, bottom))
        elif pdfium_c.FPDFPath_CountSegments(obj.raw) <= 6:  # a rectangle: its edges
            out += [(x0, top, x1, top), (x0, bottom, x1, bottom), (x0, top, x0, bottom), (x1, top, x1, bottom)]
    return out


BACKGROUND = 0.5  # a path covering this much of the page is a page background, not a drawing


def graphics_coverage(page: pdfium.PdfPage, width: float, height: float) -> float:
    """Share of the page under vector drawings (paths thicker than a rule, smaller than a
    background): diagrams and charts the layout model would call figures."""
    area = 0.0
    page_area = max(width * height, 1e-6)
    for obj in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_PATH,), max_depth=2):
        x0, y0, x1, y1 = obj.get_bounds()
        w = max(0.0, min(x1, width) - max(x0, 0.0))
        h = max(0.0, min(y1, height) - max(y0, 0.0))
        if w <= RULE_THICKNESS or h <= RULE_THICKNESS or w * h > BACKGROUND * page_area:
            continue
        area += w * h
    return min(1.0, area / page_area)
