"""OCR engines chosen by name: real tesseract, and clear hints where an engine is not installed."""

from __future__ import annotations

from pathlib import Path

import pypdfium2 as pdfium
import pytest

from docpipe.config import Settings
from docpipe.errors import UnknownEngineError
from docpipe.options import TesseractOptions
from docpipe.parse.ocr import OCR, MissingEngineError
from docpipe.parse.ocr.tesseract import parse_tsv
from tests.conftest import SAMPLES, expected


def test_engines_are_registered_by_name_and_unknown_names_list_them() -> None:
    assert {"rapidocr", "tesseract", "paddleocr"} <= set(OCR.kinds())
    with pytest.raises(UnknownEngineError, match=r"choose from paddleocr, rapidocr, tesseract"):
        OCR.create("nope")


def test_tesseract_tsv_rows_become_words_with_confidence() -> None:
    tsv = (
        "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n"
        "4\t1\t1\t1\t1\t0\t10\t20\t300\t30\t-1\t\n"
        "5\t1\t1\t1\t1\t1\t10\t20\t80\t30\t96.5\tInvoice\n"
        "5\t1\t1\t1\t1\t2\t100\t21\t90\t29\t88\tBH-88213\n"
        "5\t1\t1\t1\t1\t3\t200\t21\t5\t29\t95\t \n"
    )
    words = parse_tsv(tsv)
    assert [(w.text, w.confidence) for w in words] == [("Invoice", 0.965), ("BH-88213", 0.88)]
    assert words[1].bbox.as_list() == [100, 21, 190, 50]


def test_missing_tesseract_binary_gives_the_install_command(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no tesseract on this PATH
    with pytest.raises(MissingEngineError, match="apt-get install tesseract-ocr"):
        OCR.create("tesseract").warm_up()


def test_paddleocr_without_local_models_says_where_to_point_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("DOCPIPE_PADDLEOCR_DIR", raising=False)
    monkeypatch.setenv("DOCPIPE_OCR_ENGINE", "paddleocr")
    with pytest.raises(MissingEngineError, match=r"DOCPIPE_PADDLEOCR_DIR.*det/ and rec/"):
        OCR.create(Settings().ocr).warm_up()
    monkeypatch.setenv("DOCPIPE_PADDLEOCR_DIR", str(tmp_path))  # reaches the engine as its model_dir option
    with pytest.raises(MissingEngineError, match=f"{tmp_path} has no det/ and rec/"):
        OCR.create(Settings().ocr).warm_up()


@pytest.mark.slow
def test_tesseract_reads_the_scanned_invoice_with_word_boxes() -> None:
    image = pdfium.PdfDocument(str(SAMPLES / "scanned_invoice.pdf"))[0].render(scale=200 / 72).to_pil()
    words = OCR.create(TesseractOptions()).recognize(image)
    by_text = {w.text: w for w in words}
    assert "BH-88213" in by_text
    assert all(0 <= w.confidence <= 1 for w in words) and by_text["BH-88213"].confidence > 0.8
    box = by_text["BH-88213"].bbox  # pixels; right column of the header, near the top
    assert image.width / 2 < box.x0 < box.x1 <= image.width and box.y1 < image.height / 4


@pytest.mark.slow
def test_converter_with_tesseract_extracts_the_same_invoice_facts() -> None:
    from docpipe.parse.converter import Converter, ConvertOptions

    doc = Converter(ConvertOptions(ocr=TesseractOptions())).convert(SAMPLES / "scanned_invoice.pdf").document
    assert doc is not None and [p.origin for p in doc.pages] == ["ocr"]
    text = doc.text()
    data = expected("scanned_invoice")["data"]
    for item in data["line_items"]:
        assert item["description"] in text
    assert "1,368.53" in text and data["invoice_number"] in text
