"""The converter role over several workers: the pages of one document spread over them, and
whole documents side by side (convert_many). Each worker is a converter of its own (by default
an IsolatedConverter, so each keeps its child process, its models loaded once, and its
guarantee: a page that hangs or crashes is abandoned by that worker and costs only itself).

A document split over k workers: page n goes to worker (n - 1) mod k, which skips the others
without reading them and writes its pages unfinished (one part per page) into a spool of its
own. Those spools hold pages in increasing order, so they are merged as streams, and the
document stages (furniture, tables across pages, ids) run here over the pages in order, exactly
as in a single converter: memory stays flat, the result is the same.
"""

from __future__ import annotations

import contextlib
import heapq
import queue
import tempfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any, Protocol

from docpipe.document import ConversionResult, ConversionStatus, DocumentPart
from docpipe.errors import ConversionError, shown
from docpipe.options import ConvertOptions, Limits
from docpipe.parse.finishing import DocumentFinisher
from docpipe.parse.isolated import After
from docpipe.parse.load import LoadError, open_source
from docpipe.parse.load.sniff import sniff_file
from docpipe.parse.spool import DocumentSpool, read_document, read_header, read_parts
from docpipe.runtime import trace, usable_cores

LOOKAHEAD = 4  # documents submitted and not yet done, per worker, in convert_many
BACKLOG = 32  # documents done but not yet taken by the caller, per worker (spools on disk)


def default_workers() -> int:
    return usable_cores()


def with_thread_share(options: ConvertOptions, workers: int) -> ConvertOptions:
    """The engines' intra-op threads set to each worker's share of the cores (more threads
    than cores only contend); options that name a thread count keep it."""
    share = max(1, default_workers() // max(1, workers))
    update = {}
    for role in ("ocr", "layout", "tables"):
        opts = getattr(options, role)
        if "threads" in type(opts).model_fields and not opts.threads:
            update[role] = opts.model_copy(update={"threads": share})
    return options.model_copy(update=update)


class ShardConverter(Protocol):
    """A converter that can take a share of a document's pages (Converter, IsolatedConverter)."""

    def warm_up(self) -> None: ...

    def convert_to(
        self, path: Path, spool: Path, *, skip_pages: frozenset[int] = ..., finish: bool = ...
    ) -> ConversionResult: ...


class ParallelConverter:
    """Same role as Converter (warm_up, convert, convert_to), over `workers` converters.

    The lanes run in threads of this process, so each must do its work in its own child
    (IsolatedConverter): PDFium is not thread-safe, and two in-process Converters at once
    crash the process."""

    def __init__(
        self,
        make: Callable[[], ShardConverter],
        workers: int,
        limits: Limits | None = None,
        password: str | None = None,
    ) -> None:
        self.workers = max(1, workers)
        self.limits = limits or Limits()
        self.password = password
        self._lanes = [make() for _ in range(self.workers)]
        self._free: queue.Queue[ShardConverter] = queue.Queue()
        for lane in self._lanes:
            self._free.put(lane)
        self._pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="docpipe-lane")

    def warm_up(self) -> None:
        """All workers at once: their children load models side by side."""
        for fut in [self._pool.submit(lane.warm_up) for lane in self._lanes]:
            fut.result()

    def close(self) -> None:
        for lane in self._lanes:
            close = getattr(lane, "close", None)
            if close is not None:
                with contextlib.suppress(Exception):
                    close()
        self._pool.shutdown(wait=True)

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.close()

    def _whole(self, path: Path, spool: Path, after: After | None) -> tuple[ConversionResult, Any]:
        lane = self._free.get()
        trace("lane_take", path, lane=self._lanes.index(lane))
        try:
            then = getattr(lane, "convert_then", None)
            if after is None or then is None:  # a lane without a child of its own: the caller does the step
                return lane.convert_to(path, spool), None
            result, value = then(path, spool, after)
            return result, value
        finally:
            trace("lane_free", path, lane=self._lanes.index(lane))
            self._free.put(lane)

    def convert(self, path: Path) -> ConversionResult:
        with tempfile.TemporaryDirectory(prefix="docpipe-") as tmp:
            spool = Path(tmp) / "document.spool"
            result = self.convert_to(path, spool)
            if result.status is not ConversionStatus.FAILURE:
                result.document = read_document(spool)
            return result

    def convert_to(self, path: Path, spool: Path) -> ConversionResult:
        """One document, its pages over the free workers (all of them when none is busy)."""
        n_pages = _page_count(path, self.limits, self.password)
        lanes = [self._free.get()]
        while len(lanes) < min(n_pages, self.workers):
            try:
                lanes.append(self._free.get_nowait())
            except queue.Empty:
                break
        try:
            if len(lanes) == 1:
                return lanes[0].convert_to(path, spool)
            return self._split(path, spool, lanes, n_pages)
        finally:
            for lane in lanes:
                self._free.put(lane)

    def convert_many(self, jobs: Iterable[tuple[Path, Path]]) -> Iterator[tuple[Path, Path, ConversionResult]]:
        """Whole documents side by side, one per worker; results in the order of `jobs`.
        Up to LOOKAHEAD documents per worker are submitted ahead: with only one more than the
        workers, a long document at the head left the other workers idle once they had done
        the short ones behind it. Each result's document is in its spool on disk, so memory
        does not grow with the window."""
        for path, spool, result, _ in self._many(jobs, None):
            yield path, spool, result

    def convert_many_then(
        self, jobs: Iterable[tuple[Path, Path]], after: After
    ) -> Iterator[tuple[Path, Path, ConversionResult, Any]]:
        """convert_many, with `after` run on each converted spool by the worker that converted it
        (IsolatedConverter.convert_then); its value None where the caller must run it itself."""
        yield from self._many(jobs, after)

    def _many(
        self, jobs: Iterable[tuple[Path, Path]], after: After | None
    ) -> Iterator[tuple[Path, Path, ConversionResult, Any]]:
        """Results in the order of `jobs`. The workers are kept fed by the documents *not yet
        done* (LOOKAHEAD per worker), not by those not yet taken: counting the head's finished
        followers against the window let a long document at the head starve the other worker
        (the trace showed one lane idle behind a 3-page scan). Finished documents wait in their
        spools on disk, at most BACKLOG per worker."""
        todo = iter(jobs)
        pending: deque[tuple[Path, Path, Future[tuple[ConversionResult, Any]]]] = deque()
        in_flight = LOOKAHEAD * self.workers
        backlog = BACKLOG * self.workers

        def top_up() -> None:
            while len(pending) < backlog and sum(not f.done() for _, _, f in pending) < in_flight:
                job = next(todo, None)
                if job is None:
                    return
                path, spool = job
                pending.append((path, spool, self._pool.submit(self._whole, path, spool, after)))

        try:
            top_up()
            while pending:
                head = pending[0][2]
                while not head.done():
                    wait([f for _, _, f in pending if not f.done()], return_when=FIRST_COMPLETED)
                    top_up()
                p, s, fut = pending.popleft()
                top_up()
                yield p, s, *fut.result()
        finally:  # closed early (the caller failed or was interrupted): nothing left writing its spools
            for _, _, fut in pending:
                fut.cancel()
            for _, _, fut in pending:
                with contextlib.suppress(BaseException):
                    fut.result()

    def _split(self, path: Path, spool: Path, lanes: list[ShardConverter], n_pages: int) -> ConversionResult:
        k = len(lanes)
        every = frozenset(range(1, n_pages + 1))
        with tempfile.TemporaryDirectory(prefix="docpipe-shards-", dir=spool.parent) as tmp:
            shard_spools = [Path(tmp) / f"shard-{i}.spool" for i in range(k)]
            futures = []
            for i, lane in enumerate(lanes):
                mine = frozenset(n for n in every if (n - 1) % k == i)
                futures.append(
                    self._pool.submit(lane.convert_to, path, shard_spools[i], skip_pages=every - mine, finish=False)
                )
            results = [f.result() for f in futures]
            return _merge(path, spool, results, shard_spools)


def _merge(path: Path, spool: Path, results: list[ConversionResult], spools: list[Path]) -> ConversionResult:
    """The workers' pages in page order through the document stages into `spool`."""
    label = shown(path)
    seen: set[tuple[int | None, str, str]] = set()
    errors: list[ConversionError] = []
    for r in results:  # a load error on a page or the file is seen by every worker: say it once
        for e in r.errors:
            key = (e.page, e.stage, e.message)
            if key not in seen:
                seen.add(key)
                errors.append(e)
    errors.sort(key=lambda e: e.page or 0)
    timings: dict[str, float] = {}
    for r in results:
        for name, t in r.timings.items():
            timings[name] = timings.get(name, 0.0) + t
    done = [(r, s) for r, s in zip(results, spools, strict=True) if r.status is not ConversionStatus.FAILURE]
    refused = any(
        r.status is ConversionStatus.FAILURE and any(e.stage == "isolation" and e.page is None for e in r.errors)
        for r in results
    )
    converted = sum(r.pages for r, _ in done)
    if refused or not done or not converted:
        return ConversionResult(source=label, status=ConversionStatus.FAILURE, errors=errors, timings=timings)
    finisher = DocumentFinisher()
    sink = DocumentSpool(spool)
    try:
        sink.begin(read_header(done[0][1]))
        streams = [read_parts(s) for _, s in done]
        for part in heapq.merge(*streams, key=_page_number):
            for page in part.pages:
                for finished in finisher.add_page(page, part.body):
                    sink.add(finished)
        for finished in finisher.close():
            sink.add(finished)
    except BaseException:
        sink.abandon()
        raise
    sink.close()
    lost = len(done) < len(results)
    status = ConversionStatus.PARTIAL if errors or lost else ConversionStatus.SUCCESS
    if status is ConversionStatus.SUCCESS and not finisher.has_text:
        errors.append(ConversionError(source=label, stage="finish", message="no text found on any page"))
    return ConversionResult(source=label, status=status, errors=errors, timings=timings, pages=converted)


def _page_count(path: Path, limits: Limits, password: str | None) -> int:
    """Pages worth spreading: those of a PDF or a multi-frame TIFF (other files are read from
    their own structure, which costs less than a second worker)."""
    try:
        if sniff_file(path) not in ("application/pdf", "image/tiff"):
            return 1
        with open_source(path, limits=limits, password=password) as src:
            return src.n_pages
    except (LoadError, OSError):
        return 1  # one worker reports it, in its own words


def _page_number(part: DocumentPart) -> int:
    return part.pages[0].number if part.pages else 0
