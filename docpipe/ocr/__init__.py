"""OCR engines by name. Adding an engine is adding a file and a line here."""

from __future__ import annotations

from collections.abc import Callable

from docpipe.ocr.base import MissingEngineError, OcrEngine
from docpipe.ocr.paddle import PaddleOcrEngine
from docpipe.ocr.rapid import RapidOcrEngine
from docpipe.ocr.tesseract import TesseractEngine

OCR_ENGINES: dict[str, Callable[[], OcrEngine]] = {
    "rapidocr": RapidOcrEngine,
    "tesseract": TesseractEngine,
    "paddleocr": PaddleOcrEngine,
}


def get_ocr_engine(name: str) -> OcrEngine:
    try:
        return OCR_ENGINES[name]()
    except KeyError:
        raise ValueError(f"unknown OCR engine {name!r}; choose from {sorted(OCR_ENGINES)}") from None


__all__ = ["OCR_ENGINES", "MissingEngineError", "OcrEngine", "get_ocr_engine"]
