"""The OCR role: an engine turns a page image into words with pixel boxes."""

from __future__ import annotations

from typing import Protocol

from PIL import Image

from docpipe.document import Word


class OcrEngine(Protocol):
    name: str

    def warm_up(self) -> None:
        """Load models; called once before the first page, never in __init__."""

    def recognize(self, image: Image.Image) -> list[Word]:
        """Words with boxes in the image's pixel coordinates."""
        ...
