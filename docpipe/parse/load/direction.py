"""Text drawn turned on a page (a table set sideways on a portrait page): pdfium gives each
character's angle. Words are built in the text's own reading frame, where it runs left to
right, and their boxes mapped back to the page; the page's dominant turn lets the text stage
read the page upright, as it does for scans turned by 90°.

Boxes here are PDF user space (left, bottom, right, top; y up). Turns are clockwise degrees.
"""

from __future__ import annotations

import math
from collections import Counter

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

Box = tuple[float, float, float, float]
MOSTLY = 0.6  # share of the characters that must share a turn for the page to count as turned


def char_turn(textpage: pdfium.PdfTextPage, i: int) -> int:
    """The character's angle as a quarter turn, clockwise (0, 90, 180, 270)."""
    return quarter_turn(pdfium_c.FPDFText_GetCharAngle(textpage.raw, i))


def quarter_turn(angle: float) -> int:
    """pdfium's character angle (radians) as a quarter turn."""
    if angle <= 0:  # pdfium: -1 when unknown; 0 for upright text, the common case
        return 0
    return (round(math.degrees(angle) / 90) * 90) % 360


def to_frame(box: Box, turn: int) -> Box:
    """A character's box in the frame where text turned by `turn` runs left to right, y up."""
    left, bottom, right, top = box
    if turn == 90:  # runs down the page
        return -top, left, -bottom, right
    if turn == 180:
        return -right, -top, -left, -bottom
    if turn == 270:  # runs up the page
        return bottom, -right, top, -left
    return box


def from_frame(box: Box, turn: int) -> Box:
    """The inverse of to_frame."""
    x0, y0, x1, y1 = box
    if turn == 90:
        return y0, -x1, y1, -x0
    if turn == 180:
        return -x1, -y1, -x0, -y0
    if turn == 270:
        return -y1, x0, -y0, x1
    return box


def dominant_turn(turns: Counter[int]) -> int:
    """The turn most of the page's characters share, if most do; else 0."""
    total = sum(turns.values())
    if not total:
        return 0
    turn, n = turns.most_common(1)[0]
    return turn if n >= MOSTLY * total else 0
