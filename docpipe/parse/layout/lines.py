"""Words to lines to segments: the geometry every later stage builds on.

A *segment* is a run of words on one line with no wide gap inside; two columns, or a label
and a right-aligned value, therefore give two segments on the same line.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from statistics import median

from docpipe.document import BBox, Word

SEGMENT_GAP = 1.1  # gap wider than this many line heights splits a line into segments
NUMBER_GAP = 4.0  # a bold section number and its bold title stay one segment across this gap
# A column gutter narrower than SEGMENT_GAP (three-column pages set 9-12 pt apart) still splits
# a line when the lines around it leave the same strip white: a word space, even a wide one in
# a justified line, does not line up over several lines.
GUTTER_MIN = 0.6  # line heights: narrower white is a word space
GUTTER_STRIP = 0.5  # line heights of white the neighbouring lines must leave at the gap's middle
GUTTER_REACH = 4  # lines above and below looked at
GUTTER_SUPPORT = 3  # of them that must leave the strip white with running text on both sides
GUTTER_SIDE_WORDS = 3  # words that make running text on a side (not a label and its value)
_SECTION_NUMBER = re.compile(r"^(?:\d{1,2}(?:\.\d{1,2}){0,3}\.?|[A-Z](?:\.\d{1,2}){1,3}\.?|[IVX]{1,5}\.)$")


@dataclass
class Segment:
    words: list[Word]
    bbox: BBox = field(init=False)

    def __post_init__(self) -> None:
        self.bbox = BBox.union_all([w.bbox for w in self.words])

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    @property
    def height(self) -> float:
        return self.bbox.height

    @property
    def font_height(self) -> float:
        """The median word height: the type size, which a raised superscript or a logo
        (LaTeX's raised A) does not change as it changes the box."""
        return median(w.bbox.height for w in self.words)

    @property
    def confidence(self) -> float:
        return min(w.confidence for w in self.words)


@dataclass
class TextLine:
    segments: list[Segment]

    @property
    def bbox(self) -> BBox:
        return BBox.union_all([s.bbox for s in self.segments])


def _median(values: list[float]) -> float:
    """statistics.median, to the bit, without its generality (this runs for every line)."""
    data = sorted(values)
    n = len(data)
    if n % 2:
        return data[n // 2]
    return (data[n // 2 - 1] + data[n // 2]) / 2


def group_lines(words: list[Word]) -> list[TextLine]:
    """Cluster words into lines by vertical overlap, then split lines at wide gaps."""
    rows: list[list[Word]] = []
    for w in sorted(words, key=lambda w: (w.bbox.cy, w.bbox.x0)):
        y0, y1 = w.bbox.y0, w.bbox.y1
        h = y1 - y0
        for row in reversed(rows[-3:]):
            # Overlapping the line's first word as well as its last: columns set on staggered
            # baselines, or a tall word in the margin (a turned sidebar OCR'd), would otherwise
            # chain one line after another into a row that runs down the page.
            # (BBox.y_overlap and .height written out: this test runs for every word.)
            for ref in (row[-1].bbox, row[0].bbox):
                overlap = max(0.0, min(y1, ref.y1) - max(y0, ref.y0))
                if not overlap >= 0.5 * min(h, ref.y1 - ref.y0):
                    break
            else:
                row.append(w)
                break
        else:
            rows.append([w])
    for row in rows:
        row.sort(key=lambda w: w.bbox.x0)
    lines: list[TextLine] = []
    for i, row in enumerate(rows):
        height = _median([w.bbox.y1 - w.bbox.y0 for w in row])
        gutters = _gutter_splits(rows, i, height)
        segments: list[list[Word]] = [[row[0]]]
        for k, w in enumerate(row[1:], start=1):
            gap = w.bbox.x0 - segments[-1][-1].bbox.x1
            wide = gap > SEGMENT_GAP * height or k in gutters
            if wide and not _numbered_title(segments[-1], w, gap, height):
                segments.append([w])
            else:
                segments[-1].append(w)
        if is_rtl(row):
            segments = [logical_order(s) for s in reversed(segments)]
        lines.append(TextLine([Segment(s) for s in segments]))
    lines.sort(key=lambda ln: ln.bbox.y0)
    return lines


def _gutter_splits(rows: list[list[Word]], i: int, height: float) -> set[int]:
    """Indices k of row i whose gap before word k is a column gutter narrower than SEGMENT_GAP:
    the line has running text on one side, and lines around it with running text on both sides
    leave the same strip white."""
    row = rows[i]
    out: set[int] = set()
    narrow, wide = GUTTER_MIN * height, SEGMENT_GAP * height
    for k in range(1, len(row)):
        a, b = row[k - 1].bbox.x1, row[k].bbox.x0
        if not narrow <= b - a <= wide or max(k, len(row) - k) < GUTTER_SIDE_WORDS:
            continue
        mid = (a + b) / 2
        lo, hi = mid - GUTTER_STRIP * height / 2, mid + GUTTER_STRIP * height / 2
        support = 0
        for j in range(max(0, i - GUTTER_REACH), min(len(rows), i + GUTTER_REACH + 1)):
            other = rows[j]
            if j == i or abs(other[0].bbox.cy - row[0].bbox.cy) > 2 * GUTTER_REACH * height:
                continue
            left = sum(1 for w in other if w.bbox.x1 <= lo)
            right = sum(1 for w in other if w.bbox.x0 >= hi)
            if (
                min(left, right) >= GUTTER_SIDE_WORDS and left + right == len(other)  # nothing in the strip
            ):
                support += 1
        if support >= GUTTER_SUPPORT:
            out.add(k)
    return out


def _strong(text: str) -> tuple[int, int]:
    """Counts of right-to-left and left-to-right letters."""
    rtl = sum(1 for ch in text if unicodedata.bidirectional(ch) in ("R", "AL"))
    ltr = sum(1 for ch in text if unicodedata.bidirectional(ch) == "L")
    return rtl, ltr


def is_rtl(words: list[Word]) -> bool:
    """A line mostly in a right-to-left script (Arabic, Persian, Hebrew)."""
    text = "".join(w.text for w in words)
    if text.isascii():  # no right-to-left letter in ASCII: the common case, without the per-letter lookups
        return False
    rtl, ltr = _strong(text)
    return rtl > ltr


def logical_order(words: list[Word]) -> list[Word]:
    """Words of a right-to-left run, given left to right as drawn, in reading order: right to
    left, except that a run of left-to-right words (a Latin name, a code) keeps its own order.
    A number or other word without letters joins the left-to-right word drawn just before it
    ("PDF 2.0"), as the bidi algorithm resolves European numbers after Latin text."""
    ltr: list[bool] = []
    for w in words:
        rtl, lat = _strong(w.text)
        ltr.append(bool(lat and not rtl) or (not rtl and not lat and bool(ltr) and ltr[-1]))
    out: list[Word] = []
    run: list[Word] = []
    for w, is_ltr in zip(reversed(words), reversed(ltr), strict=True):
        if is_ltr:
            run.append(w)
            continue
        out += reversed(run)
        run = []
        out.append(w)
    return out + list(reversed(run))


def _numbered_title(seg: list[Word], nxt: Word, gap: float, height: float) -> bool:
    """'2.1   Template Styles': headings set the number a quad or more from the title."""
    return (
        len(seg) == 1
        and seg[0].bold
        and nxt.bold
        and gap < NUMBER_GAP * height
        and bool(_SECTION_NUMBER.match(seg[0].text))
    )


def median_line_height(lines: list[TextLine]) -> float:
    heights = [s.font_height for ln in lines for s in ln.segments]
    return median(heights) if heights else 10.0
