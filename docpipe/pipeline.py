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

from docpipe.document import (
    FURNITURE_LABELS,
    ConversionResult,
    ConversionStatus,
    Document,
    Element,
    Origin,
    Page,
    Word,
)
from docpipe.layout import Region, get_layout_model
from docpipe.layout.blocks import assemble_page
from docpipe.layout.reading_order import attach_captions, order_elements
from docpipe.load import LoadError, SourcePage, open_source
from docpipe.ocr import get_ocr_engine
from docpipe.ocr.deskew import estimate_skew, rotate, unorient_element, unrotate_element
from docpipe.ocr.orientation import OrientationDetector
from docpipe.paths import shown
from docpipe.tables import join_tables, same_columns
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


def finish_document(pages: list[PageContext], *, doc_id: str, name: str, source: str, mime: str) -> Document:
    """Split furniture from body, join tables that continue across pages, number elements."""
    _mark_repeated_furniture(pages)
    body: list[Element] = []
    furniture: list[Element] = []
    for ctx in pages:
        page_body = [e for e in ctx.elements if e.label not in FURNITURE_LABELS]
        furniture.extend(e for e in ctx.elements if e.label in FURNITURE_LABELS)
        if body and page_body and _continues(body[-1], page_body[0]):
            prev, nxt = body[-1], page_body.pop(0)
            assert prev.table is not None and nxt.table is not None
            table = join_tables(prev.table, nxt.table)
            body[-1] = prev.model_copy(
                update={
                    "table": table,
                    "text": "\n".join(" | ".join(r) for r in table.grid()),
                    "prov": prev.prov + nxt.prov,
                    "lines": prev.lines + nxt.lines,
                    "confidence": min(prev.confidence, nxt.confidence),
                }
            )
        body.extend(page_body)
    titles = [e for e in body if e.label == "title"]
    for e in titles[1:]:  # one title per document; later big text is a heading
        e.label = "section_header"
    for i, e in enumerate(body):
        e.id = f"e{i}"
    for i, e in enumerate(furniture):
        e.id = f"f{i}"
    return Document(
        id=doc_id,
        name=name,
        source=source,
        mime=mime,
        pages=[
            Page(
                number=c.source.number,
                width=c.source.width,
                height=c.source.height,
                origin=c.origin,
                rotation=c.source.rotation,
                text_decision=c.decision,
                orientation=c.orientation,
                skew=c.skew,
            )
            for c in pages
        ],
        body=body,
        furniture=furniture,
    )


def _mark_repeated_furniture(pages: list[PageContext]) -> None:
    """Short text repeated near the same edge of several pages is a running header/footer."""
    if len(pages) < 2:
        return
    seen: dict[tuple[str, bool], int] = {}
    key_of: dict[int, tuple[str, bool]] = {}
    for ctx in pages:
        h = ctx.source.height
        for e in ctx.elements:
            top, bottom = e.bbox.y1 < 0.12 * h, e.bbox.y0 > 0.88 * h
            if (top or bottom) and len(e.lines) <= 2 and e.label != "table":
                key = ("".join(ch for ch in e.text.lower() if not ch.isdigit()), top)
                key_of[id(e)] = key
                seen[key] = seen.get(key, 0) + 1
    for ctx in pages:
        for e in ctx.elements:
            found = key_of.get(id(e))
            if found is not None and seen[found] >= 2:
                e.label = "page_header" if found[1] else "page_footer"


def _continues(prev: Element, nxt: Element) -> bool:
    return (
        prev.table is not None
        and nxt.table is not None
        and nxt.page == prev.prov[-1].page + 1
        and same_columns(prev.table, nxt.table)
    )


class DocumentConverter(Protocol):
    """The converter role: Converter in this process, IsolatedConverter in a child process."""

    def warm_up(self) -> None: ...

    def convert(self, path: Path) -> ConversionResult: ...


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
        """skip_pages: pages left out (already known to hang or crash); on_page(n) before each page."""
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
        pages: list[PageContext] = []
        errors: list[str] = []
        with src:
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
                    errors.append(f"{label}: reading stopped after page {len(pages)} ({type(e).__name__}: {e})")
                    break
                if sp.error is not None:
                    errors.append(f"{label}: page {sp.number} {sp.error}")
                    continue
                if sp.number in skip_pages:
                    continue
                if on_page is not None:
                    on_page(sp.number)
                try:
                    pages.append(self._convert_page(sp, timings))
                except Exception as e:  # a broken page costs that page, not the document
                    errors.append(f"{label}: page {sp.number} failed ({type(e).__name__}: {e})")
        if not pages:
            return ConversionResult(source=label, status=ConversionStatus.FAILURE, errors=errors, timings=timings)
        doc = finish_document(pages, doc_id=src.sha256, name=shown(path.name), source=label, mime=src.mime)
        status = ConversionStatus.PARTIAL if errors else ConversionStatus.SUCCESS
        if status is ConversionStatus.SUCCESS and not any(e.text.strip() for e in doc.body):
            errors.append(f"{label}: no text found on any page")
        return ConversionResult(source=label, status=status, document=doc, errors=errors, timings=timings)
