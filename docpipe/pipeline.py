"""Convert a file into a Document: page stages, then document stages.

Every page stage has the same signature, `(PageContext) -> PageContext`, so a stage is
added, replaced or timed without touching the others. Engines come by name from options.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from PIL import Image
from pydantic import BaseModel

from docpipe.document import ConversionResult, ConversionStatus, Document, Element, Origin, Page, Word
from docpipe.finishing import DocumentBuilder, DocumentFinisher, DocumentSink
from docpipe.layout import Region, get_layout_model
from docpipe.layout.blocks import assemble_page
from docpipe.layout.reading_order import attach_captions, order_elements
from docpipe.load import LoadError, SourcePage, open_source
from docpipe.ocr import get_ocr_engine
from docpipe.ocr.deskew import estimate_skew, rotate, unorient_element, unrotate_element
from docpipe.ocr.orientation import OrientationDetector
from docpipe.paths import shown
from docpipe.spool import DocumentSpool
from docpipe.textlayer import choose_text, layer_matches_image

MIN_SKEW = 0.2  # degrees; below this, rotating costs more than it gains


class ConvertOptions(BaseModel):
    ocr_engine: str = "rapidocr"
    layout_model: str = "rapid_layout"
    dpi: int = 200
    force_ocr: bool = False
    detect_orientation: bool = True  # turn scans upright (0/90/180/270) before OCR
    max_pages: int = 2000
    max_file_mb: int = 200
    max_image_pixels: int = 200_000_000
    password: str | None = None


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

    def __call__(self, ctx: PageContext) -> PageContext: ...


class TextStage:
    """The text layer where it is usable, OCR where it is not (docpipe.textlayer decides)."""

    name = "text"

    def __init__(self, options: ConvertOptions) -> None:
        self.options = options
        self.ocr = get_ocr_engine(options.ocr_engine)
        self.orienter = OrientationDetector(self.ocr)

    def __call__(self, ctx: PageContext) -> PageContext:
        def matches(words: list[Word]) -> float:
            return layer_matches_image(words, ctx.image_at(self.options.dpi), ctx.px_per_pt, self.ocr)

        choice = choose_text(ctx.source, matches, self.options.force_ocr)
        ctx.decision = choice.reason
        if not choice.ocr:
            ctx.words, ctx.origin = choice.words, "text_layer"
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
        ctx.words = [w.model_copy(update={"bbox": w.bbox.scaled(f)}) for w in self.ocr.recognize(image)]
        ctx.origin = "ocr"
        return ctx


class LayoutStage:
    name = "layout"

    def __init__(self, options: ConvertOptions) -> None:
        self.options = options
        self.model = get_layout_model(options.layout_model)

    def __call__(self, ctx: PageContext) -> PageContext:
        image = ctx.image_at(self.options.dpi)
        f = 1.0 / ctx.px_per_pt
        ctx.regions = [Region(r.label, r.bbox.scaled(f), r.score) for r in self.model.detect(image)]
        return ctx


class AssembleStage:
    name = "assemble"

    def __call__(self, ctx: PageContext) -> PageContext:
        w, h = ctx.upright_size
        # Vector rules sit on the stored page; they fit the words only when those came from it.
        rules = ctx.source.rules if ctx.origin == "text_layer" else None
        ctx.elements = assemble_page(ctx.words, ctx.regions, ctx.source.number, w, h, ctx.origin, rules)
        return ctx


class ReadingOrderStage:
    name = "reading_order"

    def __call__(self, ctx: PageContext) -> PageContext:
        boxes, labels = [e.bbox for e in ctx.elements], [e.label for e in ctx.elements]
        order = attach_captions(boxes, labels, order_elements(boxes, labels))
        ctx.elements = [ctx.elements[i] for i in order]
        return ctx


class UnskewStage:
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


def _page_of(ctx: PageContext) -> Page:
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


class DocumentConverter(Protocol):
    """The converter role: Converter in this process, IsolatedConverter in a child process."""

    def warm_up(self) -> None: ...

    def convert(self, path: Path) -> ConversionResult:
        """The whole Document in memory (result.document)."""
        ...

    def convert_to(self, path: Path, spool: Path) -> ConversionResult:
        """The Document streamed into a spool file page by page (docpipe.spool); result.document is None."""
        ...


class Converter:
    """File in, ConversionResult out. Construct cheaply; models load in warm_up()."""

    def __init__(self, options: ConvertOptions | None = None) -> None:
        self.options = options or ConvertOptions()
        self.stages: list[PageStage] = [
            TextStage(self.options),
            LayoutStage(self.options),
            AssembleStage(),
            ReadingOrderStage(),
            UnskewStage(),
        ]

    def warm_up(self) -> None:
        for stage in self.stages:
            for engine in (getattr(stage, "ocr", None), getattr(stage, "model", None)):
                if engine is not None:
                    engine.warm_up()

    def _convert_page(self, sp: SourcePage, timings: dict[str, float]) -> PageContext:
        ctx = PageContext(source=sp)
        for stage in self.stages:
            t0 = time.perf_counter()
            ctx = stage(ctx)
            timings[stage.name] = timings.get(stage.name, 0.0) + time.perf_counter() - t0
        ctx.image = None  # keep memory flat across long documents
        return ctx

    def convert(
        self,
        path: Path,
        *,
        skip_pages: frozenset[int] = frozenset(),
        on_page: Callable[[int], None] | None = None,
    ) -> ConversionResult:
        builder = DocumentBuilder()
        result = self.convert_into(path, builder, skip_pages=skip_pages, on_page=on_page)
        if result.status is not ConversionStatus.FAILURE:
            result.document = builder.document
        return result

    def convert_to(
        self,
        path: Path,
        spool: Path,
        *,
        skip_pages: frozenset[int] = frozenset(),
        on_page: Callable[[int], None] | None = None,
    ) -> ConversionResult:
        sink = DocumentSpool(spool)
        try:
            result = self.convert_into(path, sink, skip_pages=skip_pages, on_page=on_page)
        except BaseException:
            sink.abandon()
            raise
        sink.close()
        return result

    def convert_into(
        self,
        path: Path,
        sink: DocumentSink,
        *,
        skip_pages: frozenset[int] = frozenset(),
        on_page: Callable[[int], None] | None = None,
    ) -> ConversionResult:
        """Pages go to `sink` in parts as they are finished, so memory does not grow with the page count.

        skip_pages: pages left out (already known to hang or crash); on_page(n) before each page.
        Errors raised by the sink (a full disk) are not a page's fault: they propagate.
        """
        timings: dict[str, float] = {}
        label = shown(path)
        try:
            src = open_source(
                path,
                max_pages=self.options.max_pages,
                max_file_mb=self.options.max_file_mb,
                max_image_pixels=self.options.max_image_pixels,
                password=self.options.password,
            )
        except LoadError as e:
            return ConversionResult(source=label, status=ConversionStatus.FAILURE, errors=[str(e)])
        errors: list[str] = []
        finisher = DocumentFinisher()
        converted = 0
        with src:
            sink.begin(Document(id=src.sha256, name=shown(path.name), source=label, mime=src.mime, pages=[], body=[]))
            pages_iter = src.pages()
            while True:
                try:
                    sp = next(pages_iter)
                except StopIteration:
                    break
                except LoadError as e:  # the file itself is broken from here on
                    errors.append(str(e))
                    break
                except Exception as e:  # a reader bug or damage it did not expect: keep what we have
                    errors.append(f"{label}: reading stopped after page {converted} ({type(e).__name__}: {e})")
                    break
                if sp.error is not None:
                    errors.append(f"{label}: page {sp.number} {sp.error}")
                    continue
                if sp.number in skip_pages:
                    continue
                if on_page is not None:
                    on_page(sp.number)
                try:
                    ctx = self._convert_page(sp, timings)
                except Exception as e:  # a broken page costs that page, not the document
                    errors.append(f"{label}: page {sp.number} failed ({type(e).__name__}: {e})")
                    continue
                converted += 1
                for part in finisher.add_page(_page_of(ctx), ctx.elements):
                    sink.add(part)
            for part in finisher.close():
                sink.add(part)
        if not converted:
            return ConversionResult(source=label, status=ConversionStatus.FAILURE, errors=errors, timings=timings)
        status = ConversionStatus.PARTIAL if errors else ConversionStatus.SUCCESS
        if status is ConversionStatus.SUCCESS and not finisher.has_text:
            errors.append(f"{label}: no text found on any page")
        return ConversionResult(source=label, status=status, errors=errors, timings=timings, pages=converted)
