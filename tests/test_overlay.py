"""`parse --overlay` draws boxes, labels and reading order; the layoutparser export mirrors the parse."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from docpipe.serialize.layoutparser import to_layoutparser
from docpipe.serialize.overlay import COLORS, draw_page, overlay_paths
from tests.conftest import SAMPLES, run_cli

pytestmark = pytest.mark.slow


def _has_color(img: Image.Image, box: tuple[float, float, float, float], rgb: tuple[int, int, int]) -> bool:
    a = np.asarray(img.crop(tuple(round(v) for v in box)))
    return bool((a.reshape(-1, 3) == np.array(rgb)).all(axis=1).any())


def test_overlay_marks_each_element_with_its_label_color(converted) -> None:
    doc = converted("two_column.pdf").document
    page = Image.new("RGB", (850, 1100), "white")  # letter at 100 dpi
    out = draw_page(doc, 1, page)
    f = out.width / doc.pages[0].width
    title = next(e for e in doc.body if e.label == "title")
    footer = doc.furniture[0]
    for e in (title, *[e for e in doc.body if e.label == "text"], footer):
        b = e.bbox
        # The tag (label and order number) sits on the box's top-left corner in the label's color.
        assert _has_color(out, (b.x0 * f, b.y0 * f - 20, b.x0 * f + 40, b.y0 * f + 2), COLORS[e.label]), e.label
    # Nothing drawn far from every element: the bottom-right corner stays white.
    assert _has_color(out, (800, 1000, 850, 1040), (255, 255, 255))


def test_overlay_paths_number_pages_after_the_first() -> None:
    assert overlay_paths(Path("out/x.png"), 3) == [Path("out/x.png"), Path("out/x-p2.png"), Path("out/x-p3.png")]


def test_cli_parse_overlay_writes_one_png_per_page(tmp_path: Path) -> None:
    out = tmp_path / "ov.png"
    proc = run_cli("parse", str(SAMPLES / "invoice_multipage.pdf"), "--overlay", str(out), check=True)
    assert proc.stdout == ""  # the image is the output; --format prints the document too
    assert f"wrote {out}" in proc.stderr and (tmp_path / "ov-p2.png").is_file()
    with Image.open(out) as img:
        assert img.size == (850, 1100)
        assert _has_color(img, (0, 0, 850, 1100), COLORS["table"])


def test_layoutparser_layout_per_page_in_reading_order(converted) -> None:
    doc = converted("invoice_multipage.pdf").document
    layouts = to_layoutparser(doc)
    assert len(layouts) == 2
    first = layouts[0]
    body_p1 = doc.elements_on(1)
    assert [b.type for b in first][: len(body_p1)] == [e.label for e in body_p1]
    assert [b.id for b in first][: len(body_p1)] == list(range(len(body_p1)))
    assert first[0].text == body_p1[0].text
    x0, y0, x1, y1 = first[0].coordinates
    assert [x0, y0, x1, y1] == [body_p1[0].bbox.x0, body_p1[0].bbox.y0, body_p1[0].bbox.x1, body_p1[0].bbox.y1]
    assert "page_footer" in [b.type for b in first]
    assert first.page_data["width"] == doc.pages[0].width
