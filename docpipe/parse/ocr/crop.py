"""Blank margins kept away from OCR: the box of a scan that holds ink.

A receipt scanned on an A4 flatbed fills a third of the image; the detector scales the whole
image to its size limit, so the white around the receipt costs detection time and shrinks the
text it has to find. OCR reads the content box instead (boxes are moved back after).
"""

from __future__ import annotations

import numpy as np
from PIL import Image

PROBE = 400  # long side of the thumbnail the box is found on
TRIM = 0.002  # share of ink pixels at each edge taken for dust, not content
MARGIN = 0.02  # of the image's size, kept around the ink
WORTH = 0.7  # crop only when the box is smaller than this share of the image
INK_BELOW_PAPER = 40.0  # gray levels under the paper's (the median pixel) that make ink


def content_box(image: Image.Image) -> tuple[int, int, int, int] | None:
    """(x0, y0, x1, y1) in the image's pixels holding its ink with a margin, or None when
    cropping would not pay (the ink spans most of the image, or there is none)."""
    small = image.convert("L")
    small.thumbnail((PROBE, PROBE))
    arr = np.asarray(small, dtype=np.float32)
    # Ink is what is darker than the paper: faint thermal print (gray ~190 on paper ~230) counts,
    # so a dark strip along the edge of a receipt is not taken for all of its content.
    ink = arr < float(np.median(arr)) - INK_BELOW_PAPER
    ys, xs = np.nonzero(ink)
    if len(xs) < 20:
        return None
    fx, fy = image.width / small.width, image.height / small.height
    lo, hi = 100 * TRIM, 100 * (1 - TRIM)
    mx, my = MARGIN * image.width, MARGIN * image.height
    x0 = max(0, int(np.percentile(xs, lo) * fx - mx))
    x1 = min(image.width, int((np.percentile(xs, hi) + 1) * fx + mx))
    y0 = max(0, int(np.percentile(ys, lo) * fy - my))
    y1 = min(image.height, int((np.percentile(ys, hi) + 1) * fy + my))
    if (x1 - x0) * (y1 - y0) >= WORTH * image.width * image.height:
        return None
    return x0, y0, x1, y1
