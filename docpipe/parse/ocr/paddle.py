"""PaddleOCR, only from model files the user already has (it would download them otherwise).

Point DOCPIPE_PADDLEOCR_DIR (or `[ocr] model_dir`) at a folder holding PaddleOCR inference
models: `det/` and `rec/` subfolders (optionally `cls/`), e.g. PP-OCRv5 exported models.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PIL import Image

from docpipe.document import BBox, Word
from docpipe.errors import MissingEngineError
from docpipe.options import PaddleOcrOptions

INSTALL_HINT = (
    "OCR engine 'paddleocr' needs local models: set DOCPIPE_PADDLEOCR_DIR to a folder with det/ and rec/ "
    "PaddleOCR inference models, and pip install 'docpipe[paddle]'"
)


class PaddleOcrEngine:
    name = "paddleocr"
    options_type = PaddleOcrOptions

    def __init__(self, options: PaddleOcrOptions | None = None) -> None:
        self.model_dir = (options or PaddleOcrOptions()).model_dir
        self._engine: Any = None

    def warm_up(self) -> None:
        if self._engine is not None:
            return
        d = self.model_dir
        if d is None or not (d / "det").is_dir() or not (d / "rec").is_dir():
            where = f" ({d} has no det/ and rec/)" if d is not None else ""
            raise MissingEngineError(INSTALL_HINT + where)
        try:
            from paddleocr import PaddleOCR
        except ImportError as e:
            raise MissingEngineError(INSTALL_HINT) from e
        self._engine = PaddleOCR(
            text_detection_model_dir=str(d / "det"),
            text_recognition_model_dir=str(d / "rec"),
            use_doc_orientation_classify=False,  # docpipe turns pages upright itself
            use_doc_unwarping=False,
            use_textline_orientation=False,
        )

    def recognize(self, image: Image.Image) -> list[Word]:
        self.warm_up()
        words: list[Word] = []
        for page in self._engine.predict(np.asarray(image.convert("RGB"))[:, :, ::-1]):
            res = page.json.get("res", page) if hasattr(page, "json") else page
            for text, score, box in zip(res["rec_texts"], res["rec_scores"], res["rec_boxes"], strict=False):
                if str(text).strip():
                    x0, y0, x1, y1 = (float(v) for v in box)
                    words.append(Word(text=str(text), bbox=BBox.of(x0, y0, x1, y1), confidence=float(score)))
        return words
