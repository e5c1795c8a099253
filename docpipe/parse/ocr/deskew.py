"""Straightening scans before OCR, and boxes back into the original page's coordinates:
small skew (estimated from the ink's row profile) and quarter turns (see ocr/orientation.py)."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from PIL import Image

from docpipe.document import BBox, Element


def _row_profile(ys: np.ndarray, dx: np.ndarray, cy: float, height: int, angle: float) -> np.ndarray:
    """Ink pixels per row of the ink turned by `angle` degrees counter-clockwise about its centre:
    each ink pixel's row moved as PIL's rotate would move it, instead of rotating the image (the
    same angles on the realdocs scans, a quarter of the CPU)."""
    t = math.radians(angle)
    rows = np.floor(cy - dx * math.sin(t) + (ys - cy) * math.cos(t) + 0.5).astype(np.int64)
    return np.bincount(rows[(rows >= 0) & (rows < height)], minlength=height).astype(np.float64)


def _profile_score(ys: np.ndarray, dx: np.ndarray, cy: float, height: int, angle: float) -> float:
    # Text lines aligned with the rows give sharp peaks and valleys: large squared differences.
    return float(np.square(np.diff(_row_profile(ys, dx, cy, height, angle))).sum())


def estimate_skew(image: Image.Image, max_angle: float = 5.0) -> float:
    """Degrees to rotate (counter-clockwise, PIL convention) to make text lines horizontal."""
    gray = image.convert("L")
    f = 800 / max(gray.width, 1)
    if f < 1:
        gray = gray.resize((800, max(1, round(gray.height * f))))
    arr = np.asarray(gray)
    ys, xs = np.nonzero(arr < min(160, arr.mean() - 30))
    h, w = arr.shape
    dx = xs - w / 2

    def score(a: float) -> float:
        return _profile_score(ys, dx, h / 2, h, a)

    coarse = np.arange(-max_angle, max_angle + 1e-9, 0.5)
    best = max(coarse, key=lambda a: score(float(a)))
    fine = np.arange(best - 0.5, best + 0.5 + 1e-9, 0.1)
    return round(float(max(fine, key=lambda a: score(float(a)))), 2)


def rotate(image: Image.Image, angle: float) -> Image.Image:
    """The page turned `angle` degrees counter-clockwise about its centre (PIL's rotate, bicubic).
    OpenCV's warp: 0.15 CPU-s on an A4 scan at 200 dpi where PIL's took 0.42; the pixels differ
    by 0.1 gray levels on average (the two bicubic kernels)."""
    import cv2

    arr = np.asarray(image if image.mode in ("L", "RGB") else image.convert("RGB"))
    h, w = arr.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    out = cv2.warpAffine(arr, m, (w, h), flags=cv2.INTER_CUBIC, borderValue=(255,) * (arr.ndim if arr.ndim == 3 else 1))
    return Image.fromarray(out)


def unrotate_box(b: BBox, angle: float, width: float, height: float) -> BBox:
    """The box, found on `rotate(image, angle)`, on the unrotated image (any uniform unit)."""
    if angle == 0:
        return b
    cx, cy = width / 2, height / 2
    t = math.radians(angle)
    cos, sin = math.cos(t), math.sin(t)
    xs: list[float] = []
    ys: list[float] = []
    for x, y in ((b.x0, b.y0), (b.x1, b.y0), (b.x0, b.y1), (b.x1, b.y1)):
        dx, dy = x - cx, y - cy
        xs.append(cx + dx * cos - dy * sin)
        ys.append(cy + dx * sin + dy * cos)
    return BBox.of(min(xs), min(ys), max(xs), max(ys))


def unorient_box(b: BBox, angle: int, width: float, height: float) -> BBox:
    """The box, found on `image.rotate(angle, expand=True)` (content turned upright), on the
    original page of `width` x `height` (any uniform unit). Exact for quarter turns."""
    a = angle % 360
    if a == 90:
        return BBox.of(width - b.y1, b.x0, width - b.y0, b.x1)
    if a == 180:
        return BBox.of(width - b.x1, height - b.y1, width - b.x0, height - b.y0)
    if a == 270:
        return BBox.of(b.y0, height - b.x1, b.y1, height - b.x0)
    return b


def orient_box(b: BBox, angle: int, width: float, height: float) -> BBox:
    """The inverse of unorient_box: a box of the page as stored on the page turned upright."""
    a = angle % 360
    if a == 90:
        return BBox.of(b.y0, width - b.x1, b.y1, width - b.x0)
    if a == 180:
        return BBox.of(width - b.x1, height - b.y1, width - b.x0, height - b.y0)
    if a == 270:
        return BBox.of(height - b.y1, b.x0, height - b.y0, b.x1)
    return b


def map_element(e: Element, m: Callable[[BBox], BBox]) -> Element:
    """Every box an element holds (provenance, lines, words, cells) through `m`."""
    update: dict[str, object] = {
        "prov": [p.model_copy(update={"bbox": m(p.bbox)}) for p in e.prov],
        "lines": [
            ln.model_copy(
                update={"bbox": m(ln.bbox), "words": [w.model_copy(update={"bbox": m(w.bbox)}) for w in ln.words]}
            )
            for ln in e.lines
        ],
    }
    if e.table is not None:
        cells = [c.model_copy(update={"bbox": m(c.bbox) if c.bbox else None}) for c in e.table.cells]
        update["table"] = e.table.model_copy(update={"cells": cells})
    return e.model_copy(update=update)


def unrotate_element(e: Element, angle: float, width: float, height: float) -> Element:
    """Every box an element holds mapped back from the deskewed page."""
    return map_element(e, lambda b: unrotate_box(b, angle, width, height))


def unorient_element(e: Element, angle: int, width: float, height: float) -> Element:
    """Every box an element holds mapped back from the upright page to the page as stored."""
    return map_element(e, lambda b: unorient_box(b, angle, width, height))
