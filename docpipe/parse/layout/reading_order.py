"""Reading order over the boxes of one page (Breuel, "High performance document layout
analysis", 2003): A comes before B when

1. their x-ranges overlap and A is above B, or
2. A lies entirely left of B and no third box C, vertically between them, overlaps both
   in x (C would be a full-width title or rule separating two column runs).

The order is a topological sort of that relation, ties broken top-to-bottom then
left-to-right. It reads columns top to bottom, keeps full-width titles between column
runs where they stand, and needs no column count.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from docpipe.document import BBox, Element

# A column gutter is wider than this (points). Blocks stacked one above the other with a
# narrower sliver between their x-ranges (a right-aligned totals block over a note that ends
# just short of it) are not two columns; they are read top to bottom.
MIN_GUTTER = 6.0


def _before(a: BBox, b: BBox, boxes: list[BBox]) -> bool:
    overlap = a.x_overlap(b) > 0.1 * min(a.width, b.width)
    if overlap:
        return a.cy < b.cy
    if a.x1 <= b.x0 + 1e-6 and (b.x0 - a.x1 >= MIN_GUTTER or a.y_overlap(b) > 0):
        lo, hi = min(a.cy, b.cy), max(a.cy, b.cy)
        for c in boxes:
            if c is a or c is b:
                continue
            if lo < c.cy < hi and c.x_overlap(a) > 0 and c.x_overlap(b) > 0:
                return False
        return True
    return False


def reading_order(boxes: list[BBox]) -> list[int]:
    """Indices of `boxes` in reading order."""
    n = len(boxes)
    preds: list[set[int]] = [set() for _ in range(n)]
    for i in range(n):
        for j in range(n):
            if i != j and _before(boxes[i], boxes[j], boxes) and not _before(boxes[j], boxes[i], boxes):
                preds[j].add(i)
    order: list[int] = []
    done: set[int] = set()
    while len(order) < n:
        ready = [i for i in range(n) if i not in done and preds[i] <= done]
        if not ready:  # a cycle (overlapping boxes): fall back to the top-left-most
            ready = [i for i in range(n) if i not in done]
        nxt = min(ready, key=lambda i: (boxes[i].y0, boxes[i].x0))
        order.append(nxt)
        done.add(nxt)
    return order


SEPARATOR_LABELS = frozenset({"title", "section_header"})
FURNITURE_LABELS = frozenset({"page_header", "page_footer"})


def order_elements(boxes: list[BBox], labels: Sequence[str]) -> list[int]:
    """Reading order of a page's elements. A heading with nothing beside it (no other box
    shares its height band) is a separator between column runs even when its text is short:
    it is widened to the content's full width before ordering, so the columns above it are
    read before it and the columns below after it."""
    if not boxes:
        return []
    furniture = [i for i, label in enumerate(labels) if label in FURNITURE_LABELS]
    if furniture and len(furniture) < len(boxes):
        # Running headers and footers take no part in the body's order: a footer left of a
        # right-hand block would otherwise chain the body text above it before that block.
        body = [i for i in range(len(boxes)) if i not in furniture]
        inner = order_elements([boxes[i] for i in body], [labels[i] for i in body])
        by_y = sorted(furniture, key=lambda i: (boxes[i].y0, boxes[i].x0))
        heads = [i for i in by_y if labels[i] == "page_header"]
        feet = [i for i in by_y if labels[i] != "page_header"]
        return heads + [body[k] for k in inner] + feet
    left, right = min(b.x0 for b in boxes), max(b.x1 for b in boxes)
    widened = []
    for i, (b, label) in enumerate(zip(boxes, labels, strict=True)):
        # A box enclosing this one (a figure region drawn round the whole page) is no neighbour.
        alone = not any(j != i and o.y_overlap(b) > 0 and o.intersection(b) < 0.9 * b.area for j, o in enumerate(boxes))
        widened.append(BBox(x0=left, y0=b.y0, x1=right, y1=b.y1) if label in SEPARATOR_LABELS and alone else b)
    return reading_order(widened)


CAPTION_GAP = 3.0  # a caption this many of its own heights from a figure or table belongs to it


def attach_captions(boxes: list[BBox], labels: Sequence[str], order: list[int]) -> list[int]:
    """Move each caption next to the figure or table it labels: right after one it sits
    under, right before one it sits over. Other elements keep their order."""
    order = list(order)
    for i, label in enumerate(labels):
        if label != "caption":
            continue
        c = boxes[i]
        best: tuple[float, int, bool] | None = None
        for j, other in enumerate(labels):
            if other not in ("figure", "table") or c.x_overlap(boxes[j]) <= 0:
                continue
            below = c.y0 >= boxes[j].cy  # the caption under its figure
            gap = c.y0 - boxes[j].y1 if below else boxes[j].y0 - c.y1
            if -2 <= gap <= CAPTION_GAP * max(c.height, 1.0) and (best is None or gap < best[0]):
                best = (gap, j, below)
        if best is None:
            continue
        _, j, below = best
        order.remove(i)
        k = order.index(j)
        order.insert(k + 1 if below else k, i)
    return order


def rtl_page(elements: Sequence[Element]) -> bool:
    """A page written mostly in a right-to-left script, whose columns are read right to left."""
    rtl = ltr = 0
    for e in elements:
        for ch in e.text:
            d = unicodedata.bidirectional(ch)
            rtl += d in ("R", "AL")
            ltr += d == "L"
    return rtl > ltr
