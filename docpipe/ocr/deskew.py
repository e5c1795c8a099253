"""Small-skew correction for scans: estimate the angle from the ink's row profile, rotate
before OCR, and map boxes back so they stay in the original page's coordinates."""

from __future__ import annotations

import math

import numpy as np
from PIL import Image

from docpipe.document import BBox, Element


def _profile_score(ink: Image.Image, angle: float) -> float:
    rows = np.asarray(ink.rotate(angle, resample=Image.Resampling.NEAREST), dtype=np.float32).sum(axis=1)
    # Text lines aligned with the rows give sharp peaks and valleys: large squared differences.
    return float(np.square(np.diff(rows)).sum())


def estimate_skew(image: Image.Image, max_angle: float = 5.0) -> float:
    """Degrees to rotate (counter-clockwise, PIL convention) to make text lines horizontal."""
    gray = image.convert("L")
    f = 800 / max(gray.width, 1)
    if f < 1:
        gray = gray.resize((800, max(1, round(gray.height * f))))
    arr = np.asarray(gray)
    ink = Image.fromarray(((arr < min(160, arr.mean() - 30)) * 255).astype(np.uint8))
    coarse = np.arange(-max_angle, max_angle + 1e-9, 0.5)
    best = max(coarse, key=lambda a: _profile_score(ink, float(a)))
    fine = np.arange(best - 0.5, best + 0.5 + 1e-9, 0.1)
    return round(float(max(fine, key=lambda a: _profile_score(ink, float(a)))), 2)


def rotate(image: Image.Image, angle: float) -> Image.Image:
    return image.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=(255, 255, 255))


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


def unrotate_element(e: Element, angle: float, width: float, height: float) -> Element:
    """Every box an element holds (provenance, lines, words, cells) mapped back."""

    def m(b: BBox) -> BBox:
        return unrotate_box(b, angle, width, height)

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
