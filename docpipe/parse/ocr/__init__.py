"""The OCR role: engines by kind (docpipe.registry); adding one is a file and a line here,
or an entry point in the group `docpipe.ocr`."""

from __future__ import annotations

from docpipe.errors import MissingEngineError
from docpipe.options import OcrOptions
from docpipe.parse.ocr.base import OcrEngine
from docpipe.registry import Registry

OCR: Registry[OcrEngine] = Registry(
    "ocr",
    {
        "rapidocr": "docpipe.parse.ocr.rapid:RapidOcrEngine",
        "tesseract": "docpipe.parse.ocr.tesseract:TesseractEngine",
        "paddleocr": "docpipe.parse.ocr.paddle:PaddleOcrEngine",
    },
    OcrOptions,
    label="OCR engine",
)

__all__ = ["OCR", "MissingEngineError", "OcrEngine"]
