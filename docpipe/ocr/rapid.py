"""RapidOCR: PP-OCR detection and recognition on ONNX Runtime, models shipped in the wheel."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
from PIL import Image

from docpipe.document import BBox, Word

# Measured on bench/eval_docs.py scans (make eval-parse): the default "min side 736" upscales
# small images (a line strip became 20k px wide, seconds per strip) and batched recognition
# garbles some lines of dense paragraphs (CER 0.10-0.16 on clean pages, 0.001 with batch 1).
DET_REC_PARAMS: dict[str, object] = {
    "Global.log_level": "error",
    "Det.limit_type": "max",
    "Det.limit_side_len": 1280,
    "Rec.rec_batch_num": 1,
}


class RapidOcrEngine:
    name = "rapidocr"

    def __init__(self) -> None:
        self._engine: Any = None

    def warm_up(self) -> None:
        if self._engine is None:
            from rapidocr import RapidOCR

            from docpipe.logs import info_silenced

            # Two cores here: more intra-op threads than cores only adds contention.
            threads = max(1, min(4, os.cpu_count() or 1))
            with info_silenced():
                self._engine = RapidOCR(
                    params={**DET_REC_PARAMS, "EngineConfig.onnxruntime.intra_op_num_threads": threads}
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
