"""What loaders hand to the pipeline: pages with a renderer and an optional text layer."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field

from PIL import Image

from docpipe.document import Word


@dataclass
class SourcePage:
    number: int  # 1-based
    width: float  # points
    height: float  # points
    render: Callable[[int], Image.Image]  # dpi -> RGB image of the page
    text_words: list[Word] = field(default_factory=list)  # from the text layer, in points
    rotation: int = 0
    hidden_words: list[Word] = field(default_factory=list)  # invisible, white or off-page text
    image_coverage: float = 0.0  # share of the page under images: a scan, if near 1
    rules: list[tuple[float, float, float, float]] = field(default_factory=list)  # stroked lines, points
    text_turn: int = 0  # clockwise degrees most of the text layer is drawn turned by (a sideways table)
    error: str | None = None  # the page could not be read; the rest of the document may be fine


@dataclass
class Source(AbstractContextManager["Source"]):
    path: str
    mime: str
    sha256: str
    n_pages: int
    pages: Callable[[], Iterator[SourcePage]]
    close: Callable[[], None] = lambda: None

    def __exit__(self, *exc: object) -> None:
        self.close()
