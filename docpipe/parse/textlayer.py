"""Per page: trust the PDF's text layer, or OCR the page image? And why.

A text layer is passed over when it is missing, garbage (unmapped glyphs shown as (cid:NN),
replacement or private-use characters, mojibake from a wrong encoding), or when the page is
a scan and the layer does not say what the image shows (a bad OCR layer, a broken font
mapping). Text drawn invisibly, in white or off the page never reaches the body: a reader
cannot see it. An invisible layer over a scan (a "searchable PDF") is used when a quick OCR
of a few of its lines agrees with it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from PIL import Image
from rapidfuzz import fuzz

from docpipe.document import Word
from docpipe.parse.layout.lines import group_lines
from docpipe.parse.load import SourcePage
from docpipe.parse.ocr.base import OcrEngine

SCAN_COVERAGE = 0.5  # a page at least this much under images is treated as a scan
SCAN_MIN_CHARS = 200  # a scan whose layer holds less than this is OCRed whole (stamps, page numbers)
MATCH = 0.6  # mean similarity of checked lines under which a layer does not match the image
MIN_CHARS = 8
_MOJIBAKE = re.compile("[\u00c3\u00c2][\u0080-\u00bf]|\u00e2\u20ac")
_CID = re.compile(r"\(cid:\d+\)")
_WS = re.compile(r"\s+")


@dataclass(frozen=True)
class TextChoice:
    words: list[Word]  # the layer's words to use; empty when the page must be OCRed
    ocr: bool
    reason: str


def garbage_reason(words: list[Word]) -> str | None:
    """Why these words are not text a reader would see, or None when they look like text."""
    text = "".join(w.text for w in words)
    if len(text) < MIN_CHARS:
        return f"too little text ({len(text)} characters)"
    cids = len(_CID.findall(text))
    if cids:
        return f"{cids} unmapped glyphs (cid:NN)"
    bad = sum(1 for ch in text if ch == "\ufffd" or unicodedata.category(ch) in ("Co", "Cc", "Cs", "Cn"))
    if bad / len(text) > 0.05:
        return f"{100 * bad / len(text):.0f}% replacement, private-use or control characters"
    moji = len(_MOJIBAKE.findall(text))
    if moji / len(text) > 0.02:
        return f"mojibake ({moji} UTF-8-read-as-Latin-1 sequences)"
    good = sum(1 for ch in text if unicodedata.category(ch)[0] in "LNPS")
    if good / len(text) <= 0.9:
        return f"only {100 * good / len(text):.0f}% letters, digits and punctuation"
    return None


def line_samples(words: list[Word], n: int = 2) -> list[tuple[str, tuple[float, float, float, float]]]:
    """The n longest runs of text on one line, with their boxes (points): what gets checked."""
    segs = [s for ln in group_lines(words) for s in ln.segments if len(s.text) >= 6]
    segs.sort(key=lambda s: -len(s.text))
    return [(s.text, (s.bbox.x0, s.bbox.y0, s.bbox.x1, s.bbox.y1)) for s in segs[:n]]


def _norm(text: str) -> str:
    return _WS.sub(" ", text).strip().lower()


def layer_matches_image(words: list[Word], image: Image.Image, px_per_pt: float, ocr: OcrEngine) -> float:
    """Mean similarity (0..1) between a few of the layer's lines and OCR of the same strips."""
    scores: list[float] = []
    for text, (x0, y0, x1, y1) in line_samples(words):
        h = y1 - y0  # loose boxes already span ascenders and descenders: pad sideways only,
        box = (  # or the strip takes in halves of the lines above and below
            max(0, round((x0 - h) * px_per_pt)),
            max(0, round((y0 - 0.05 * h) * px_per_pt)),
            min(image.width, round((x1 + h) * px_per_pt)),
            min(image.height, round((y1 + 0.05 * h) * px_per_pt)),
        )
        if box[2] - box[0] < 4 or box[3] - box[1] < 4:
            continue
        seen = " ".join(w.text for w in sorted(ocr.recognize(image.crop(box)), key=lambda w: w.bbox.x0))
        a, b = _norm(text), _norm(seen)
        # Layer boxes can be narrower than the printed glyphs (another font's metrics), so a
        # strip may cut the line's end: compare best-aligned substrings when OCR read enough.
        scorer = fuzz.partial_ratio if len(b) >= 0.5 * len(a) else fuzz.ratio
        scores.append(scorer(a, b) / 100)
    return sum(scores) / len(scores) if scores else 0.0


def choose_text(page: SourcePage, matches: Callable[[list[Word]], float], force_ocr: bool = False) -> TextChoice:
    """Decide for one page. `matches(words)` OCRs a few strips; it is only called for scans."""
    if force_ocr:
        return TextChoice([], True, "OCR forced")
    hidden = len(page.hidden_words)
    ignored = f"; {hidden} invisible, white or off-page words ignored" if hidden else ""
    scan = page.image_coverage >= SCAN_COVERAGE
    visible = page.text_words
    if visible:
        bad = garbage_reason(visible)
        if bad is not None:
            return TextChoice([], True, f"text layer unusable: {bad}{ignored}")
        if not scan:
            return TextChoice(visible, False, f"text layer{ignored}")
        chars = sum(len(w.text) for w in visible)
        if chars < SCAN_MIN_CHARS:
            return TextChoice([], True, f"scan with little text layer ({chars} characters){ignored}")
        sim = matches(visible)
        if sim < MATCH:
            return TextChoice([], True, f"text layer does not match the scan (similarity {sim:.2f}){ignored}")
        return TextChoice(visible, False, f"text layer matches the scan (similarity {sim:.2f}){ignored}")
    if not hidden:
        return TextChoice([], True, "no text layer")
    bad = garbage_reason(page.hidden_words)
    if bad is not None:
        return TextChoice([], True, f"invisible text layer unusable: {bad}")
    if not scan:
        return TextChoice([], True, "text layer is invisible, white or off the page")
    sim = matches(page.hidden_words)
    if sim < MATCH:
        return TextChoice([], True, f"invisible text layer does not match the scan (similarity {sim:.2f})")
    return TextChoice(page.hidden_words, False, f"invisible text layer matches the scan (similarity {sim:.2f})")
