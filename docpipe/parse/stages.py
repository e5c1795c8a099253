"""The page stages. Every one has the same signature, `(PageContext) -> PageContext`, so a
stage is added, replaced or timed without touching the others; engines come from the role's
registry by the kind in their typed options, and models load in `warm_up()`, never in `__init__`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from PIL import Image

from docpipe.document import BBox, Element, Origin, Page, Word
from docpipe.options import ConvertOptions
from docpipe.parse.hygiene import clean_words
from docpipe.parse.layout import LAYOUT, Region
from docpipe.parse.layout.blocks import assemble_page
from docpipe.parse.layout.needed import layout_needed
from docpipe.parse.layout.reading_order import attach_captions, order_elements, rtl_page
from docpipe.parse.load import SourcePage
from docpipe.parse.ocr import OCR
from docpipe.parse.ocr.crop import content_box
from docpipe.parse.ocr.deskew import estimate_skew, orient_box, rotate, unorient_element, unrotate_element
from docpipe.parse.ocr.orientation import OrientationDetector
from docpipe.parse.tables import TABLES, TablePage
from docpipe.parse.textlayer import choose_text, layer_matches_image

MIN_SKEW = 0.2  # degrees; below this, rotating costs more than it gains


__all__ = [
    "AssembleStage",
    "ConvertOptions",
    "LayoutStage",
    "PageContext",
    "PageStage",
    "ReadingOrderStage",
    "TextStage",
    "UnskewStage",
    "page_of",
]


@dataclass
class PageContext:
    source: SourcePage
    image: Image.Image | None = None
    words: list[Word] = field(default_factory=list)  # points
    origin: Origin = "text_layer"
    regions: list[Region] = field(default_factory=list)  # points
    elements: list[Element] = field(default_factory=list)
    skew: float = 0.0  # degrees the scan was rotated by before OCR; boxes are mapped back at the end
    decision: str = ""  # why the text came from the layer or from OCR
    orientation: int = 0  # clockwise degrees the scan was turned; the image is upright from TextStage on
    layout_reason: str | None = None  # why the layout model ran; None: it could not change the page
    timings: dict[str, float] = field(default_factory=dict)

    def image_at(self, dpi: int) -> Image.Image:
        if self.image is None:
            self.image = self.source.render(dpi)
        return self.image

    @property
    def upright_size(self) -> tuple[float, float]:
        """Page width and height in points as the later stages see it (after a quarter turn)."""
        w, h = self.source.width, self.source.height
        return (h, w) if self.orientation in (90, 270) else (w, h)

    @property
    def px_per_pt(self) -> float:
        assert self.image is not None
        return self.image.width / self.upright_size[0]


class PageStage(Protocol):
    name: str

    def warm_up(self) -> None:
        """Load the stage's models; once, before the first page."""

    def __call__(self, ctx: PageContext) -> PageContext: ...


class TextStage:
    """The text layer where it is usable, OCR where it is not (docpipe.parse.textlayer decides)."""

    name = "text"

    def __init__(self, options: ConvertOptions) -> None:
        self.options = options
        self.ocr = OCR.create(options.ocr)
        self.orienter = OrientationDetector(self.ocr)

    def warm_up(self) -> None:
        self.ocr.warm_up()

    def __call__(self, ctx: PageContext) -> PageContext:
        def matches(words: list[Word]) -> float:
            return layer_matches_image(words, ctx.image_at(self.options.dpi), ctx.px_per_pt, self.ocr)

        choice = choose_text(ctx.source, matches, self.options.force_ocr)
        ctx.decision = choice.reason
        if not choice.ocr:
            ctx.words, ctx.origin = self._clean(ctx, choice.words), "text_layer"
            turn = ctx.source.text_turn
            if turn:  # text drawn sideways (a turned table page): read the page turned upright
                w, h = ctx.source.width, ctx.source.height
                ctx.image = ctx.image_at(self.options.dpi).rotate(turn, expand=True)
                ctx.orientation = turn
                ctx.words = [x.model_copy(update={"bbox": orient_box(x.bbox, turn, w, h)}) for x in ctx.words]
            return ctx
        image = ctx.image_at(self.options.dpi)
        if self.options.detect_orientation:
            turn = self.orienter.detect(image)
            if turn:
                ctx.image = image = image.rotate(turn, expand=True)
                ctx.orientation = turn
        angle = estimate_skew(image)
        if abs(angle) >= MIN_SKEW:
            # Later stages work on the straightened page; UnskewStage maps boxes back.
            ctx.image = image = rotate(image, angle)
            ctx.skew = angle
        f = 1.0 / ctx.px_per_pt
        words = [w.model_copy(update={"bbox": w.bbox.scaled(f)}) for w in self._recognize(image)]
        ctx.words = self._clean(ctx, words)
        ctx.origin = "ocr"
        return ctx

    def _recognize(self, image: Image.Image) -> list[Word]:
        """OCR of the part of the page that holds ink (docpipe.parse.ocr.crop); pixel boxes of the whole image."""
        box = content_box(image) if self.options.crop_margins else None
        if box is None:
            return self.ocr.recognize(image)
        dx, dy = box[0], box[1]
        return [
            w.model_copy(
                update={"bbox": BBox(x0=w.bbox.x0 + dx, y0=w.bbox.y0 + dy, x1=w.bbox.x1 + dx, y1=w.bbox.y1 + dy)}
            )
            for w in self.ocr.recognize(image.crop(box))
        ]

    @staticmethod
    def _clean(ctx: PageContext, words: list[Word]) -> list[Word]:
        """Words made storable (docpipe.parse.hygiene); what had to be dropped is said in the decision."""
        cleaned = clean_words(words)
        if cleaned.dropped:
            ctx.decision += f"; {cleaned.note()}"
        return cleaned.words


class LayoutStage:
    """Layout regions where they can change the page (docpipe.parse.layout.needed decides)."""

    name = "layout"

    def __init__(self, options: ConvertOptions) -> None:
        self.options = options
        self.model = LAYOUT.create(options.layout)

    def warm_up(self) -> None:
        self.model.warm_up()

    def __call__(self, ctx: PageContext) -> PageContext:
        if self.options.run_layout == "auto":
            ctx.layout_reason = layout_needed(ctx.words, ctx.source, ctx.origin)
            if ctx.layout_reason is None:
                ctx.regions = []
                return ctx
        else:
            ctx.layout_reason = "always"
        if ctx.image is None:
            # A text-layer page needs no image but this one: the model sees 800x608 pixels,
            # so a render at screen resolution reads the same and costs a fraction.
            image = ctx.source.render(self.options.layout_dpi)
            f = ctx.upright_size[0] / image.width
        else:
            image, f = ctx.image, 1.0 / ctx.px_per_pt
        ctx.regions = [Region(r.label, r.bbox.scaled(f), r.score) for r in self.model.detect(image)]
        return ctx


class AssembleStage:
    """Tables (the table engine's) and text blocks from the words, labelled with the regions."""

    name = "assemble"

    def __init__(self, options: ConvertOptions) -> None:
        self.options = options
        self.tables = TABLES.create(options.tables)

    def warm_up(self) -> None:
        self.tables.warm_up()

    def __call__(self, ctx: PageContext) -> PageContext:
        # Vector rules sit on the stored page; they fit the words only when those came from it.
        rules = ctx.source.rules if ctx.origin == "text_layer" else None
        regions = [r.bbox for r in ctx.regions if r.label == "table"]
        if regions and ctx.image is None:
            # A text-layer page is rendered for the layout model at screen resolution only; an
            # image table model (auto's SLANet) reads cells off the page at the full dpi. Without
            # it `auto` fell back to the alignment on every born-digital table.
            ctx.image_at(self.options.dpi)
        scale = ctx.px_per_pt if ctx.image else 1.0
        page = TablePage(ctx.words, rules, ctx.source.number, regions, ctx.image, scale, ocr=ctx.origin == "ocr")
        tables = self.tables.find(page)
        ctx.elements = assemble_page(ctx.words, ctx.regions, tables, ctx.source.number, ctx.upright_size[1], ctx.origin)
        return ctx


class _NoModel:
    def warm_up(self) -> None:
        """Geometry only: nothing to load."""


class ReadingOrderStage(_NoModel):
    name = "reading_order"

    def __call__(self, ctx: PageContext) -> PageContext:
        boxes, labels = [e.bbox for e in ctx.elements], [e.label for e in ctx.elements]
        if rtl_page(ctx.elements):  # columns read right to left: order the mirrored page
            w = ctx.upright_size[0]
            boxes = [BBox(x0=w - b.x1, y0=b.y0, x1=w - b.x0, y1=b.y1) for b in boxes]
        order = attach_captions(boxes, labels, order_elements(boxes, labels))
        ctx.elements = [ctx.elements[i] for i in order]
        return ctx


class UnskewStage(_NoModel):
    """Boxes back into the original page's coordinates after a deskewed or turned OCR pass."""

    name = "unskew"

    def __call__(self, ctx: PageContext) -> PageContext:
        if ctx.skew:
            w, h = ctx.upright_size
            ctx.elements = [unrotate_element(e, ctx.skew, w, h) for e in ctx.elements]
        if ctx.orientation:
            w, h = ctx.source.width, ctx.source.height
            ctx.elements = [unorient_element(e, ctx.orientation, w, h) for e in ctx.elements]
        return ctx


def page_of(ctx: PageContext) -> Page:
    return Page(
        number=ctx.source.number,
        width=ctx.source.width,
        height=ctx.source.height,
        origin=ctx.origin,
        rotation=ctx.source.rotation,
        text_decision=ctx.decision,
        orientation=ctx.orientation,
        skew=ctx.skew,
    )
