"""PDF pages through pypdfium2: rendering and the text layer as word boxes."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image

from docpipe.document import BBox, Word
from docpipe.errors import LoadError
from docpipe.parse.load.direction import dominant_turn, from_frame, quarter_turn, to_frame
from docpipe.parse.load.render import RendererName, pdfium_render, poppler_render
from docpipe.parse.load.rotation import PageFrame
from docpipe.parse.load.source import SourcePage
from docpipe.parse.load.visibility import (
    char_bold,
    char_hidden,
    graphics_coverage,
    image_coverage,
    ruling_lines,
)

# Pixels one page render may take (an A4 page at 200 dpi is 3.9 M). PDF pages can be 200 inches
# on a side; those are rendered at a lower resolution instead of failing or taking gigabytes.
RENDER_PIXEL_BUDGET = 40_000_000


def open_pdf(path: Path, password: str | None = None) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(str(path), password=password)
    except pdfium.PdfiumError as e:
        msg = str(e).lower()
        if "password" in msg:
            raise LoadError(path, "encrypted PDF (a password is required)") from e
        raise LoadError(path, f"corrupt or unreadable PDF ({e})") from e


def iter_pdf_pages(
    pdf: pdfium.PdfDocument,
    skip: frozenset[int] = frozenset(),
    renderer: RendererName = "pypdfium2",
    path: Path | None = None,
    password: str | None = None,
) -> Iterator[SourcePage]:
    """The pages less `skip` (not read at all); images from `renderer` (docpipe.parse.load.render;
    pdf2image needs `path`)."""
    for i in range(len(pdf)):
        if i + 1 in skip:
            continue
        hidden: list[Word] = []
        try:
            page = pdf[i]
            page_w, page_h = (float(v) for v in page.get_size())
            turns: Counter[int] = Counter()
            words = text_layer_words(page, page_h, hidden, turns)
            coverage, rules = image_coverage(page, page_w, page_h), ruling_lines(page, page_h)
            graphics = graphics_coverage(page, page_w, page_h)
        except pdfium.PdfiumError as e:  # one damaged page object (found by fuzzing)
            yield SourcePage(number=i + 1, width=0.0, height=0.0, render=_unreadable, error=f"cannot be read ({e})")
            continue
        width, height = page.get_size()

        poppler = renderer == "pdf2image" and path is not None
        draw = poppler_render(path, i + 1, password) if poppler and path is not None else pdfium_render(page)

        def render(dpi: int, draw: Callable[[float], Image.Image] = draw, area: float = width * height) -> Image.Image:
            return draw(render_scale(dpi, area))

        yield SourcePage(
            number=i + 1,
            width=float(width),
            height=float(height),
            render=render,
            text_words=words,
            rotation=page.get_rotation(),
            hidden_words=hidden,
            image_coverage=coverage,
            rules=rules,
            graphics_coverage=graphics,
            text_turn=dominant_turn(turns),
        )
        # The consumer is done with this page when it asks for the next one: free pdfium's copy
        # now rather than holding every page of a long document until the file closes.
        page.close()


def _unreadable(dpi: int) -> Image.Image:
    raise RuntimeError("an unreadable page has no image")


def render_scale(dpi: int, area_pt2: float) -> float:
    """Pixels per point: the asked resolution, lowered so the page fits RENDER_PIXEL_BUDGET."""
    scale = dpi / 72.0
    if area_pt2 * scale * scale > RENDER_PIXEL_BUDGET:
        scale = (RENDER_PIXEL_BUDGET / area_pt2) ** 0.5
    return scale


def text_layer_words(
    page: pdfium.PdfPage, page_height: float, hidden: list[Word] | None = None, turns: Counter[int] | None = None
) -> list[Word]:
    """Words from the text layer, split on whitespace and on jumps between characters.
    Words drawn invisibly, in white or off the page go to `hidden` instead. Text drawn turned
    is read along its own direction (direction.py); `turns` counts the characters per turn."""
    textpage = page.get_textpage()
    page_width = page.get_width()
    frame = PageFrame.of(page)
    # The per-character calls bound once: this loop runs for every character of every page.
    raw = textpage.raw
    get_unicode, get_angle = pdfium_c.FPDFText_GetUnicode, pdfium_c.FPDFText_GetCharAngle
    get_box, rect = pdfium_c.FPDFText_GetLooseCharBox, pdfium_c.FS_RECTF()
    display = frame.display if frame.rotation else None
    try:
        n = textpage.count_chars()
        words: list[Word] = []
        chars: list[str] = []
        boxes: list[tuple[float, float, float, float]] = []
        in_hidden = False
        turn = 0  # the current word's; its boxes are in that turn's reading frame
        first = [0]  # index of the current word's first character (its font is the word's)

        def flush() -> None:
            if chars:
                lefts, bottoms, rights, tops = zip(*boxes, strict=True)
                x0, bottom, x1, top = from_frame((min(lefts), min(bottoms), max(rights), max(tops)), turn)
                off_page = x1 < 0 or x0 > page_width or top < 0 or bottom > page_height
                # Built without validation (floats from pdfium; BBox.of's ordering kept): a
                # page has thousands of words.
                y0, y1 = page_height - top, page_height - bottom
                word = Word.model_construct(
                    text="".join(chars),
                    bbox=BBox.model_construct(x0=min(x0, x1), y0=min(y0, y1), x1=max(x0, x1), y1=max(y0, y1)),
                    bold=char_bold(textpage, first[0]),
                )
                if in_hidden or off_page:
                    if hidden is not None:
                        hidden.append(word)
                else:
                    words.append(word)
                chars.clear()
                boxes.clear()

        skip = False
        seen: dict[int, bool] = {}  # hidden or not, per text object
        for i in range(n):
            if skip:  # the low half of a surrogate pair, already joined to its high half
                skip = False
                continue
            code = get_unicode(raw, i)
            ch = chr(code) if code else ""
            if 0xD800 <= code <= 0xDBFF and i + 1 < n:
                # pdfium hands a character outside the BMP (emoji, math italic) over as two
                # UTF-16 halves at two indices: one character, with the first half's box.
                low = get_unicode(raw, i + 1)
                if 0xDC00 <= low <= 0xDFFF:
                    ch, skip = chr(0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)), True
            if not ch or ch.isspace() or code in (0xFFFE, 0xFFFF):
                flush()
                continue
            # Loose boxes follow the advance width, so gaps between glyphs are real gaps.
            if not get_box(raw, i, rect):
                raise pdfium.PdfiumError("Failed to get charbox.")
            char_box = (rect.left, rect.bottom, rect.right, rect.top)
            if display is not None:
                char_box = display(char_box)
            is_hidden = char_hidden(textpage, i, seen)
            t = (quarter_turn(get_angle(raw, i)) + frame.rotation) % 360  # as displayed: /Rotate turns it too
            if turns is not None:
                turns[t] += 1
            if boxes and (is_hidden != in_hidden or t != turn):
                flush()
            in_hidden, turn = is_hidden, t
            left, bottom, right, top = to_frame(char_box, turn) if turn else char_box
            if boxes:
                prev = boxes[-1]
                size = max(prev[3] - prev[1], top - bottom, 1.0)
                # A new line, or a gap wider than a space, starts a new word.
                if abs(bottom - prev[1]) > 0.5 * size or left - prev[2] > 0.15 * size:
                    flush()
            if not chars:
                first[0] = i
            chars.append(ch)
            boxes.append((left, bottom, right, top))
        flush()
        return words
    finally:
        textpage.close()
