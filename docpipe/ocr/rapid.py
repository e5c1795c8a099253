"""RapidOCR: PP-OCR detection and recognition on ONNX Runtime, models shipped in the wheel."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
from PIL import Image

from docpipe.document import BBox, Word


class RapidOcrEngine:
    name = "rapidocr"

    def __init__(self) -> None:
        self._engine: Any = None

    def warm_up(self) -> None:
        if self._engine is None:
            from rapidocr import RapidOCR

            from docpipe.logs import info_silenced

            # Two cores here: more intra-op threads than cores only adds contention.
            threads = int(os.environ.get("DOCPIPE_OCR_THREADS") or 0) or max(1, min(4, os.cpu_count() or 1))
            with info_silenced():
                self._engine = RapidOCR(
                    params={"Global.log_level": "error", "EngineConfig.onnxruntime.intra_op_num_threads": threads}
                )

    def recognize(self, image: Image.Image) -> list[Word]:
        self.warm_up()
        result = self._engine(np.asarray(image.convert("RGB"))[:, :, ::-1], return_word_box=True)
        words: list[Word] = []
        if result.txts is None:
            return words
        word_lines = getattr(result, "word_results", None) or ()
        for i, line_text in enumerate(result.txts):
            line_words = word_lines[i] if i < len(word_lines) else ()
            if line_words:
                for text, score, quad in line_words:
                    if text.strip():
                        words.append(Word(text=text, bbox=_quad_box(quad), confidence=float(score)))
            else:
                words.append(Word(text=line_text, bbox=_quad_box(result.boxes[i]), confidence=float(result.scores[i])))
        return words


def _quad_box(quad: Any) -> BBox:
    xs = [float(p[0]) for p in quad]
    ys = [float(p[1]) for p in quad]
    return BBox.of(min(xs), min(ys), max(xs), max(ys))
