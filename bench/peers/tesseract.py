"""Raw tesseract (Debian tesseract-ocr through pytesseract), default page segmentation."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # many times slower without it

import pytesseract

from bench.peers.render import images

PACKAGES = ["pytesseract"]


def extra_versions() -> dict[str, str]:
    return {"tesseract": str(pytesseract.get_tesseract_version())}


def parse(path: Path) -> dict[str, Any]:
    return {"pages": [pytesseract.image_to_string(img) for img in images(path)], "tables": None}
