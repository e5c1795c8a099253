"""The skew estimate and the rotation that straightens a scan before OCR."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from docpipe.parse.ocr.deskew import estimate_skew, rotate


def _lines_page(angle: float) -> Image.Image:
    """Text-like dark bars on white, then turned `angle` degrees counter-clockwise (PIL's rotate)."""
    page = Image.new("RGB", (1000, 1400), "white")
    draw = ImageDraw.Draw(page)
    for y in range(100, 1300, 40):
        for x in range(80, 900, 70):
            draw.rectangle((x, y, x + 50, y + 14), fill="black")
    return page.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=(255, 255, 255))


@pytest.mark.parametrize("angle", [-3.0, -1.2, 0.0, 0.7, 2.5])
def test_estimate_skew_undoes_a_known_turn(angle: float) -> None:
    assert estimate_skew(_lines_page(angle)) == pytest.approx(-angle, abs=0.11)


def test_rotate_turns_like_pil_and_keeps_the_mode() -> None:
    page = _lines_page(0.0)
    ours = np.asarray(rotate(page, 2.0), dtype=np.int16)
    pil = np.asarray(page.rotate(2.0, resample=Image.Resampling.BICUBIC, fillcolor=(255, 255, 255)), dtype=np.int16)
    assert ours.shape == pil.shape
    assert np.abs(ours - pil).mean() < 1.0  # the same turn; only the bicubic kernels differ
    gray = rotate(page.convert("L"), 2.0)
    assert gray.mode == "L" and gray.getpixel((0, 0)) == 255  # corners filled white


def test_straightened_page_estimates_no_skew() -> None:
    page = _lines_page(1.5)
    assert abs(estimate_skew(rotate(page, estimate_skew(page)))) <= 0.11
