"""What loaders hand to the pipeline: pages with a renderer and an optional text layer."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field

from PIL import Image

from docpipe.document import Attachment, Element, Page, Word


@dataclass
class NativePage:
    """A page read from a file's own structure (office, web, mail): finished elements, no image."""

    page: Page
    elements: list[Element]


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
    graphics_coverage: float = 0.0  # share of the page under vector drawings (diagrams, charts)
    text_turn: int = 0  # clockwise degrees most of the text layer is drawn turned by (a sideways table)
    error: str | None = None  # the page could not be read; the rest of the document may be fine
    native: NativePage | None = None  # set: the page stages are skipped, these are its elements


@dataclass
class Source(AbstractContextManager["Source"]):
    path: str
    mime: str
    sha256: str
    n_pages: int
    iter_pages: Callable[[frozenset[int]], Iterator[SourcePage]]  # the pages less those skipped
    close: Callable[[], None] = lambda: None
    attachments: list[Attachment] = field(default_factory=list)  # a mail's, each its own document

    def pages(self, skip: frozenset[int] = frozenset()) -> Iterator[SourcePage]:
        """The pages in order; those in `skip` are not read at all (another worker has them)."""
        return self.iter_pages(skip)

    def __exit__(self, *exc: object) -> None:
        self.close()
