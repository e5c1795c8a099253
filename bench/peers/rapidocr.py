"""Raw RapidOCR (the engine docpipe uses): lines in the order it detects them, no layout."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from rapidocr import RapidOCR

from bench.peers.render import images

PACKAGES = ["rapidocr", "onnxruntime"]
_ocr = RapidOCR(params={"Global.log_level": "error"})


def parse(path: Path) -> dict[str, Any]:
    pages = []
    for img in images(path):
        r = _ocr(np.asarray(img))
        pages.append("\n".join(r.txts or ()))
    return {"pages": pages, "tables": None}
