"""OCR engines by name. Adding an engine is adding a file and a line here."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import cast

from docpipe.errors import MissingEngineError
from docpipe.parse.ocr.base import OcrEngine
from docpipe.parse.ocr.paddle import PaddleOcrEngine
from docpipe.parse.ocr.rapid import RapidOcrEngine
from docpipe.parse.ocr.tesseract import TesseractEngine

OCR_ENGINES: dict[str, Callable[[], OcrEngine]] = {
    "rapidocr": RapidOcrEngine,
    "tesseract": TesseractEngine,
    "paddleocr": PaddleOcrEngine,
}


def get_ocr_engine(name: str) -> OcrEngine:
    """A built-in engine by name, or a third-party one as "package.module:Class"."""
    if name in OCR_ENGINES:
        return OCR_ENGINES[name]()
    if ":" in name:
        module, _, attr = name.partition(":")
        try:
            factory = getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError) as e:
            raise ValueError(f"OCR engine {name!r} cannot be imported ({e})") from None
        return cast(OcrEngine, factory())
    raise ValueError(f"unknown OCR engine {name!r}; choose from {sorted(OCR_ENGINES)} or give module:Class")


__all__ = ["OCR_ENGINES", "MissingEngineError", "OcrEngine", "get_ocr_engine"]
