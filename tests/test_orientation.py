"""Scans turned 0/90/180/270 are read upright, and their boxes land on the page as stored."""

from __future__ import annotations

import sys
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageDraw

from docpipe.document import BBox
from docpipe.measure.scores import cer
from docpipe.parse.ocr.deskew import unorient_box
from tests.conftest import SAMPLES

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from eval_docs import make_all


@pytest.mark.parametrize("turn", [90, 180, 270])
def test_unorient_box_inverts_the_upright_turn_exactly(turn: int) -> None:
    page = Image.new("L", (100, 60), 0)
    ImageDraw.Draw(page).rectangle((10, 5, 29, 14), fill=255)  # covers [10, 5, 30, 15)
    upright = page.rotate(turn, expand=True)
    found = BBox.of(*upright.getbbox())  # what OCR would report on the upright image
    assert unorient_box(found, turn, 100, 60).as_list() == [10, 5, 30, 15]


@pytest.mark.slow
def test_detector_names_each_quarter_turn_of_the_scanned_sample() -> None:
    from docpipe.parse.ocr.orientation import OrientationDetector

    scan = pdfium.PdfDocument(str(SAMPLES / "scanned_invoice.pdf"))[0].render(scale=100 / 72).to_pil()
    detector = OrientationDetector()
    # rotate(-t) turns the content t degrees clockwise, as a misfed sheet.
    assert [detector.detect(scan.rotate(-t, expand=True)) for t in (0, 90, 180, 270)] == [0, 90, 180, 270]


@pytest.mark.slow
def test_detector_names_the_turn_of_a_page_holding_one_line() -> None:
    """A mostly white page (one sentence, as the realdocs OCR test pages): shrunk whole for the
    classifier it is a blank square and every turn scores ~0.25; its inked area is not."""
    from PIL import ImageFont

    from docpipe.parse.ocr.orientation import OrientationDetector

    page = Image.new("RGB", (1654, 2339), "white")
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 40)
    ImageDraw.Draw(page).text((200, 250), "Docling bundles PDF document conversion to JSON", fill="black", font=font)
    ImageDraw.Draw(page).text((200, 320), "and Markdown in an easy self contained package", fill="black", font=font)
    detector = OrientationDetector()
    assert [detector.detect(page.rotate(-t, expand=True)) for t in (0, 90, 180, 270)] == [0, 90, 180, 270]


@pytest.mark.slow
def test_turned_scans_read_upright_with_boxes_on_the_stored_page(converter, tmp_path: Path) -> None:
    ((path, truth),) = make_all(tmp_path, ["rotated_scans"])
    doc = converter.convert(path).document
    assert [p.orientation for p in doc.pages] == [90, 180, 270]
    per_page = [truth["blocks"][4 * k : 4 * k + 4] for k in range(3)]
    for page, blocks in zip(doc.pages, per_page, strict=True):
        text = " ".join(e.text for e in doc.elements_on(page.number))
        assert cer(" ".join(blocks), text) < 0.1, (page.number, text[:300])
        for e in doc.elements_on(page.number):
            b = e.bbox
            assert -2 <= b.x0 < b.x1 <= page.width + 2 and -2 <= b.y0 < b.y1 <= page.height + 2
    # The heading sits at the top of the upright page: where that top went on each stored page.
    heads = {p: next(e for e in doc.elements_on(p) if e.text.startswith("Notice")) for p in (1, 2, 3)}
    w1, w3 = doc.pages[0].width, doc.pages[2].width
    h2 = doc.pages[1].height
    assert heads[1].bbox.x0 > 0.7 * w1  # turned clockwise: the top is on the right
    assert heads[2].bbox.y0 > 0.7 * h2  # upside down: the top is at the bottom
    assert heads[3].bbox.x1 < 0.3 * w3  # turned counter-clockwise: the top is on the left


@pytest.mark.slow
def test_a_turn_the_classifier_names_is_kept_only_when_reading_does_not_refute_it() -> None:
    """A long till receipt squeezed into the classifier's square can look upside down to it;
    the middle of the page read upright and turned settles it."""
    from docpipe.parse.ocr.orientation import turn_reads_better
    from docpipe.parse.ocr.rapid import RapidOcrEngine

    ocr = RapidOcrEngine()
    receipt = Image.open(SAMPLES / "receipt_market.jpg").convert("RGB")
    assert not turn_reads_better(ocr, receipt, 180)  # upright reads far better: no turn
    assert turn_reads_better(ocr, receipt.rotate(180, expand=True), 180)


class _CountingReader:
    """An OCR engine that records the images it is asked to read and finds nothing."""

    name = "counting"

    def __init__(self) -> None:
        self.sizes: list[tuple[int, int]] = []

    def warm_up(self) -> None:
        """Nothing to load."""

    def recognize(self, image: Image.Image) -> list:  # type: ignore[type-arg]
        self.sizes.append(image.size)
        return []


def _page_with_line_at(y: int) -> Image.Image:
    page = Image.new("RGB", (850, 1100), "white")
    ImageDraw.Draw(page).rectangle((200, y, 650, y + 18), fill="black")  # one line of "text"
    return page


def test_a_blank_middle_is_not_read_and_the_classifier_is_believed() -> None:
    from docpipe.parse.ocr.orientation import turn_reads_better

    reader = _CountingReader()
    assert turn_reads_better(reader, _page_with_line_at(120), 180)  # the line sits above the middle third
    assert reader.sizes == []


def test_the_middle_is_read_cut_to_its_ink_both_ways() -> None:
    from docpipe.parse.ocr.orientation import turn_reads_better

    reader = _CountingReader()
    assert turn_reads_better(reader, _page_with_line_at(540), 180)  # nothing read either way: the turn stands
    assert len(reader.sizes) == 2
    (w, h), _ = reader.sizes
    assert h < 100 and w < 500  # the line and its margin, not the 567x333 middle strip
