"""The two PDF renderers (docpipe.parse.load.render), chosen by name: the same page at the same
DPI from pypdfium2 and from poppler's pdftoppm (pdf2image), and the same words read from it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from docpipe.options import ConvertOptions
from docpipe.parse.converter import Converter
from docpipe.parse.load import open_source

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def _first_page(renderer: str, name: str, dpi: int = 100) -> np.ndarray:
    with open_source(SAMPLES / name, renderer=renderer) as src:  # type: ignore[arg-type]
        return np.asarray(next(src.pages()).render(dpi).convert("L"), dtype=np.float32)


def test_both_renderers_draw_the_same_page() -> None:
    a, b = _first_page("pypdfium2", "invoice_acme.pdf"), _first_page("pdf2image", "invoice_acme.pdf")
    assert a.shape == b.shape == (1100, 850)  # US Letter at 100 dpi
    assert float(np.abs(a - b).mean()) < 8  # anti-aliasing differs; the ink is the same
    assert (a < 128).sum() > 1000 and abs(int((a < 128).sum()) - int((b < 128).sum())) < 0.1 * (a < 128).sum()


@pytest.mark.slow
def test_a_scan_reads_the_same_through_either_renderer() -> None:
    words = {}
    for renderer in ("pypdfium2", "pdf2image"):
        conv = Converter(ConvertOptions(renderer=renderer))  # type: ignore[arg-type]
        doc = conv.convert(SAMPLES / "scanned_invoice.pdf").document
        assert doc is not None
        words[renderer] = set(doc.text().split())
    same = words["pypdfium2"] & words["pdf2image"]
    assert len(same) >= 0.9 * len(words["pypdfium2"]) and "BLUE" in " ".join(same).upper()
