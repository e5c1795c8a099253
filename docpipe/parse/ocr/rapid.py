"""RapidOCR: PP-OCR detection and recognition on ONNX Runtime, models shipped in the wheel."""

from __future__ import annotations

from typing import Any

import numpy as np
from PIL import Image

from docpipe.document import BBox, Word
from docpipe.options import RapidOcrOptions

# Measured on bench/eval_docs.py scans (make eval-parse): the default "min side 736" upscales
# small images (a line strip became 20k px wide, seconds per strip), and the 0/180 text-line
# classifier flips good lines of dense paragraphs into garbage (CER 0.10-0.16 on clean pages,
# 0.002 without it). Whole-page turns are found before OCR by ocr/orientation.py instead.
DET_REC_PARAMS: dict[str, object] = {
    "Global.log_level": "error",
    "Global.use_cls": False,
    "Det.limit_type": "max",
}
MIN_SHORT_SIDE = 864  # small images enlarged so: the phone receipts read best (samples, eval)


class RapidOcrEngine:
    name = "rapidocr"
    options_type = RapidOcrOptions

    def __init__(self, options: RapidOcrOptions | None = None) -> None:
        self.options = options or RapidOcrOptions()
        self._engine: Any = None

    def warm_up(self) -> None:
        if self._engine is None:
            from rapidocr import EngineType, RapidOCR

            from docpipe.pins import pinned
            from docpipe.runtime import default_threads, info_silenced, owns_every_core

            threads = self.options.threads or default_threads()
            params = {
                **DET_REC_PARAMS,
                # The wheel's files named outright and checked against their pins: left unset,
                # rapidocr looks them up itself and downloads what it does not find.
                "Det.model_path": str(pinned("ocr-det")),
                "Rec.model_path": str(pinned("ocr-rec")),
                "Det.limit_side_len": self.options.det_limit_side_len,
                "Rec.rec_batch_num": self.options.rec_batch_size,
                "Rec.rec_img_shape": [3, 48, self.options.rec_min_width],
                "EngineConfig.onnxruntime.intra_op_num_threads": threads,
                "EngineConfig.openvino.inference_num_threads": threads,
                # as in openvino_cpu_config: pinned, every worker's OCR thread takes the same core
                "EngineConfig.openvino.enable_cpu_pinning": owns_every_core(threads),
            }
            openvino = self.options.runtime == "openvino"
            if openvino:
                params["Det.engine_type"] = params["Rec.engine_type"] = EngineType.OPENVINO
            with info_silenced():
                engine = RapidOCR(params=params)
                if openvino:  # the models load now, so the precision is set before the first page
                    from docpipe.parse.ocr.openvino import recompile

                    recompile(engine._load_det_model().session, self.options.det_precision, threads)
                    recompile(engine._load_rec_model().session, self.options.rec_precision, threads)
            self._engine = engine

    def recognize(self, image: Image.Image) -> list[Word]:
        self.warm_up()
        # Small pages (phone receipts) read better enlarged to the detector's size; a strip
        # only as far as its long side allows (the detector's limit), never to thousands of
        # pixels per line.
        scale = min(MIN_SHORT_SIDE / max(1, min(image.size)), self.options.det_limit_side_len / max(image.size))
        if scale > 1.05:
            image = image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.LANCZOS)
        else:
            scale = 1.0
        words = self._read(image)
        if scale == 1.0:
            return words
        return [w.model_copy(update={"bbox": w.bbox.scaled(1 / scale)}) for w in words]

    def _read(self, image: Image.Image) -> list[Word]:
        # BGR as RapidOCR expects, made contiguous: a reversed-channel view made OpenCV copy the
        # whole page once per text line it cut out (6 ms a line on a receipt, 20 % of the OCR).
        bgr = np.ascontiguousarray(np.asarray(image.convert("RGB"))[:, :, ::-1])
        result = self._engine(bgr, return_word_box=True)
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
            elif line_text.strip():
                words.append(Word(text=line_text, bbox=_quad_box(result.boxes[i]), confidence=float(result.scores[i])))
        return words


def _quad_box(quad: Any) -> BBox:
    xs = [float(p[0]) for p in quad]
    ys = [float(p[1]) for p in quad]
    return BBox.of(min(xs), min(ys), max(xs), max(ys))
