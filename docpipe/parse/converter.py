"""Convert a file into a Document: the page stages (stages.py) on each page as it is read,
then the document stages (finishing.py) over the stream of pages, into a sink."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from docpipe.document import ConversionResult, ConversionStatus, Document, DocumentPart
from docpipe.errors import ConversionError, shown
from docpipe.options import ConvertOptions
from docpipe.parse.finishing import DocumentBuilder, DocumentFinisher, DocumentSink
from docpipe.parse.load import LoadError, SourcePage, open_source
from docpipe.parse.spool import DocumentSpool
from docpipe.parse.stages import (
    AssembleStage,
    LayoutStage,
    PageContext,
    PageStage,
    ReadingOrderStage,
    TextStage,
    UnskewStage,
    page_of,
)

__all__ = ["ConvertOptions", "Converter", "DocumentConverter"]


class DocumentConverter(Protocol):
    """The converter role: Converter in this process, IsolatedConverter in a child process."""

    def warm_up(self) -> None: ...

    def convert(self, path: Path) -> ConversionResult:
        """The whole Document in memory (result.document)."""
        ...

    def convert_to(self, path: Path, spool: Path) -> ConversionResult:
        """The Document streamed into a spool file page by page (docpipe.parse.spool); result.document is None."""
        ...


class StageFailed(Exception):
    """A page stage raised: which one, and what it raised (the page's ConversionError says both)."""

    def __init__(self, stage: str, error: Exception) -> None:
        super().__init__(stage, error)
        self.stage = stage
        self.error = error


class Converter:
    """File in, ConversionResult out. Construct cheaply; models load in warm_up()."""

    def __init__(self, options: ConvertOptions | None = None) -> None:
        self.options = options or ConvertOptions()
        self.stages: list[PageStage] = [
            TextStage(self.options),
            LayoutStage(self.options),
            AssembleStage(self.options),
            ReadingOrderStage(),
            UnskewStage(),
        ]

    def warm_up(self) -> None:
        for stage in self.stages:
            stage.warm_up()

    def _convert_page(self, sp: SourcePage, timings: dict[str, float]) -> PageContext:
        """The page through every stage; a stage that raises is named in a StageFailed."""
        ctx = PageContext(source=sp)
        for stage in self.stages:
            t0 = time.perf_counter()
            try:
                ctx = stage(ctx)
            except Exception as e:
                raise StageFailed(stage.name, e) from e
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
        finish: bool = True,
    ) -> ConversionResult:
        sink = DocumentSpool(spool)
        try:
            result = self.convert_into(path, sink, skip_pages=skip_pages, on_page=on_page, finish=finish)
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
        finish: bool = True,
    ) -> ConversionResult:
        """Pages go to `sink` in parts as they are finished, so memory does not grow with the page count.

        skip_pages: pages left out (known to hang or crash, or another worker's); on_page(n)
        before each page. finish=False: each page goes to the sink as it left the page stages,
        one part per page, for a parent that finishes the pages of several workers in order
        (docpipe.parse.parallel). Errors raised by the sink (a full disk) are not a page's
        fault: they propagate.
        """
        timings: dict[str, float] = {}
        label = shown(path)
        try:
            src = open_source(
                path, limits=self.options.limits, password=self.options.password, renderer=self.options.renderer
            )
        except LoadError as e:
            failed = ConversionError(source=e.path, stage="load", message=e.reason)
            return ConversionResult(source=label, status=ConversionStatus.FAILURE, errors=[failed])
        errors: list[ConversionError] = []
        finisher = DocumentFinisher()
        converted = 0
        with src:
            header = Document(id=src.sha256, name=shown(path.name), source=label, mime=src.mime, pages=[], body=[])
            sink.begin(header.model_copy(update={"attachments": src.attachments}))
            pages_iter = src.pages(skip_pages)
            while True:
                try:
                    sp = next(pages_iter)
                except StopIteration:
                    break
                except LoadError as e:  # the file itself is broken from here on
                    errors.append(ConversionError(source=e.path, stage="load", message=e.reason))
                    break
                except Exception as e:  # a reader bug or damage it did not expect: keep what we have
                    why = f"reading stopped after page {converted} ({type(e).__name__}: {e})"
                    errors.append(ConversionError(source=label, stage="load", message=why))
                    break
                if sp.error is not None:
                    errors.append(ConversionError(source=label, page=sp.number, stage="load", message=sp.error))
                    continue
                if sp.number in skip_pages:
                    continue
                if on_page is not None:
                    on_page(sp.number)
                if sp.native is not None:  # read from the file's structure: no image, so no page stages
                    converted += 1
                    if not finish:
                        sink.add(DocumentPart(pages=[sp.native.page], body=sp.native.elements))
                        continue
                    for part in finisher.add_page(sp.native.page, sp.native.elements):
                        sink.add(part)
                    continue
                try:
                    ctx = self._convert_page(sp, timings)
                except StageFailed as e:  # a broken page costs that page, not the document
                    why = f"failed ({type(e.error).__name__}: {e.error})"
                    errors.append(ConversionError(source=label, page=sp.number, stage=e.stage, message=why))
                    continue
                converted += 1
                if not finish:
                    sink.add(DocumentPart(pages=[page_of(ctx)], body=ctx.elements))
                    continue
                for part in finisher.add_page(page_of(ctx), ctx.elements):
                    sink.add(part)
            for part in finisher.close():
                sink.add(part)
        if not converted:
            return ConversionResult(source=label, status=ConversionStatus.FAILURE, errors=errors, timings=timings)
        status = ConversionStatus.PARTIAL if errors else ConversionStatus.SUCCESS
        if finish and status is ConversionStatus.SUCCESS and not finisher.has_text:
            errors.append(ConversionError(source=label, stage="finish", message="no text found on any page"))
        return ConversionResult(source=label, status=status, errors=errors, timings=timings, pages=converted)
