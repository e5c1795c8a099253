"""The layout role: a model proposes labelled regions on a page image."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from PIL import Image

from docpipe.document import BBox, Label


@dataclass(frozen=True)
class Region:
    label: Label
    bbox: BBox  # pixels of the image given to detect()
    score: float


class LayoutModel(Protocol):
    name: str

    def warm_up(self) -> None: ...

    def detect(self, image: Image.Image) -> list[Region]: ...
