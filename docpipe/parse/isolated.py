"""The converter in a child process, so a page that hangs or crashes native code costs that page.

PDF and image decoders, OCR and layout run native code on bytes from strangers: a page can spin
forever or take the process down with a signal. The child reports each page before starting it;
if no report comes within the page timeout, or the child dies, the parent kills it, starts a fresh
one and converts the document again without that page. The rest of the batch never notices.

The child writes the document into a spool file (docpipe.parse.spool) page by page; only small
messages cross the pipe, and neither process holds a long document whole.

Office, web and mail files (no page images, no models) are converted in this process: their
readers are bounded by the limits, and starting the child would only load models they never use.

`convert_then` also runs a caller's step on the finished spool in the child (ingest: chunk and
embed), so that work spreads over the workers too. That step is not a page: if it fails, hangs or
kills the child, the conversion still stands and the caller is told to do the step itself.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing as mp
import signal
import tempfile
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from docpipe.document import ConversionResult, ConversionStatus
from docpipe.errors import ConversionError, DocpipeError, shown
from docpipe.parse.converter import Converter, ConvertOptions
from docpipe.parse.load import NATIVE_MIMES, LoadError
from docpipe.parse.load.sniff import sniff_file
from docpipe.parse.spool import read_document
from docpipe.runtime import trace

MAX_ABANDONED_PAGES = 3  # past this the document is refused: it is hostile or broken throughout

# A step run on a converted spool: a picklable callable (it crosses to the child) given the spool
# and a tick to call now and then (each tick restarts the parent's timeout); its value pickles back.
After = Callable[[Path, Callable[[], None]], Any]


def _die_with_parent() -> None:
    """Linux: a parent killed with -9 cannot stop its child; the kernel can (PR_SET_PDEATHSIG)."""
    with contextlib.suppress(Exception):
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)


def _serve(conn: Connection, options: ConvertOptions) -> None:
    """Child: warm up once, then convert whatever the parent sends until it sends None."""
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    trace("child_start")
    try:
        converter = Converter(options)
        converter.warm_up()
    except Exception as e:  # an engine that is unknown or not installed: the parent reports it in one line
        failure = (
            e if isinstance(e, DocpipeError) else DocpipeError(f"the converter cannot start: {type(e).__name__}: {e}")
        )
        try:
            conn.send(("failed", failure))
        except Exception:  # an error that does not pickle still reaches the user as its message
            conn.send(("failed", DocpipeError(str(failure))))
        return
    try:
        trace("child_ready")
        conn.send(("ready", None))
        trace("child_wait")
        while (job := conn.recv()) is not None:
            path, spool, skip, finish, after = job
            trace("child_convert", path, skip=len(skip))
            try:
                result = converter.convert_to(
                    path, spool, skip_pages=skip, on_page=lambda n: conn.send(("page", n)), finish=finish
                )
            except OSError as e:  # writing the spool failed (a full disk): the parent's error, not a page's
                conn.send(("oserror", (e.errno, e.strerror or str(e), str(spool))))
                continue
            trace("child_converted", path, pages=result.pages)
            conn.send(("done", result))
            if after is not None and result.status is not ConversionStatus.FAILURE:
                conn.send(("after", _run_after(after, spool, lambda: conn.send(("tick", None)))))
                trace("child_after_done", path)
            trace("child_wait")
    except (EOFError, OSError):  # the parent is gone
        return


def _run_after(after: After, spool: Path, tick: Callable[[], None]) -> Any:
    """The step's value; None when it raised: the caller then runs it itself and sees the error
    (a full disk, say) where it always did."""
    try:
        return after(spool, tick)
    except Exception:
        return None


class IsolatedConverter:
    """Same role as Converter (warm_up, convert); the work happens in one long-lived child."""

    def __init__(self, options: ConvertOptions | None = None, page_timeout_s: float = 300.0) -> None:
        self.options = options or ConvertOptions()
        self.page_timeout_s = page_timeout_s
        self.startup_timeout_s = max(120.0, page_timeout_s)  # model loading on a busy machine
        self._proc: BaseProcess | None = None
        self._conn: Connection | None = None

    def warm_up(self) -> None:
        if self._proc is not None and self._proc.is_alive():
            return
        # spawn, not fork: the parent may hold torch/ONNX threads, which do not survive a fork.
        ctx = mp.get_context("spawn")
        trace("spawn")
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=_serve, args=(child, self.options), daemon=True, name="docpipe-converter")
        proc.start()
        child.close()
        self._proc, self._conn = proc, parent
        if not parent.poll(self.startup_timeout_s):
            self.close()
            raise DocpipeError(f"the converter process did not start within {self.startup_timeout_s:.0f} s")
        try:
            kind, failure = parent.recv()
        except EOFError:
            proc.join(timeout=10)  # the pipe closes a moment before the exit status is known
            code = proc.exitcode
            self.close()
            raise DocpipeError(f"the converter process failed to start ({_died(code)})") from None
        if kind == "failed":
            self.close()
            raise failure

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(OSError, EOFError):
                self._conn.send(None)
            self._conn.close()
        if self._proc is not None:
            self._proc.join(timeout=2)
            if self._proc.is_alive():
                self._proc.kill()
                self._proc.join()
        self._proc = self._conn = None

    def _kill(self) -> None:
        if self._proc is not None:
            self._proc.kill()
        self.close()

    def convert(self, path: Path) -> ConversionResult:
        with tempfile.TemporaryDirectory(prefix="docpipe-") as tmp:
            spool = Path(tmp) / "document.spool"
            result = self.convert_to(path, spool)
            if result.status is not ConversionStatus.FAILURE:
                result.document = read_document(spool)
            return result

    def convert_to(
        self, path: Path, spool: Path, *, skip_pages: frozenset[int] = frozenset(), finish: bool = True
    ) -> ConversionResult:
        """As Converter.convert_to; skip_pages and finish=False let docpipe.parse.parallel give
        this child a share of a document's pages."""
        return self._convert(path, spool, skip_pages, finish, None)

    def convert_then(self, path: Path, spool: Path, after: After) -> tuple[ConversionResult, Any]:
        """convert_to, then `after(spool, tick)` in the child on the converted document. Its value
        is None when the file was converted in this process, the conversion failed, or the step
        raised, hung or killed the child (the child is then started afresh at the next document):
        the caller does the step itself."""
        if _is_native(path):  # converted in this process: the caller does the step with what it
            # has loaded (run here, the step would load a second embedder into this process)
            return self._convert(path, spool, frozenset(), True, None), None
        result = self._convert(path, spool, frozenset(), True, after)
        if result.status is ConversionStatus.FAILURE or self._conn is None:
            return result, None
        return result, self._after_value()

    def _after_value(self) -> Any:
        """The child's answer to the step sent with the last document; None (and a fresh child
        next time) when it does not come within the page timeout of the last tick."""
        assert self._conn is not None
        try:
            while self._conn.poll(self.page_timeout_s):
                kind, payload = self._conn.recv()
                if kind == "after":
                    return payload
        except (EOFError, OSError):
            pass
        self._kill()
        return None

    def _convert(
        self, path: Path, spool: Path, skip_pages: frozenset[int], finish: bool, after: After | None
    ) -> ConversionResult:
        if _is_native(path):
            # No page stages run on office, web and mail files (their readers are bounded by the
            # limits, and no OCR or layout model can hang on them): no child to start or wait for.
            return Converter(self.options).convert_to(path, spool, skip_pages=skip_pages, finish=finish)
        label = shown(path)
        skip: set[int] = set()
        abandoned: list[ConversionError] = []
        while True:
            self.warm_up()
            assert self._conn is not None and self._proc is not None
            self._conn.send((path, spool, frozenset(skip) | skip_pages, finish, after))
            page = 0
            while True:
                try:
                    if not self._conn.poll(self.page_timeout_s):
                        self._kill()
                        why = f"no result after {self.page_timeout_s:g} s"
                        break
                    kind, payload = self._conn.recv()
                except (EOFError, OSError):
                    self._proc.join(timeout=10)  # the pipe closes a moment before the exit status is known
                    code = self._proc.exitcode
                    self._kill()
                    why = _died(code)
                    break
                if kind == "page":
                    page = payload
                    continue
                if kind == "oserror":
                    raise OSError(*payload)
                result: ConversionResult = payload
                if abandoned:
                    result.errors = abandoned + result.errors
                    if result.status is ConversionStatus.SUCCESS:
                        result.status = ConversionStatus.PARTIAL
                return result
            if page == 0:  # died or hung before the first page: the file itself is the problem
                opening = ConversionError(source=label, stage="isolation", message=f"{why} while opening")
                return ConversionResult(source=label, status=ConversionStatus.FAILURE, errors=[*abandoned, opening])
            abandoned.append(ConversionError(source=label, page=page, stage="isolation", message=f"abandoned ({why})"))
            skip.add(page)
            if len(skip) >= MAX_ABANDONED_PAGES:
                return ConversionResult(
                    source=label,
                    status=ConversionStatus.FAILURE,
                    errors=[
                        *abandoned,
                        ConversionError(
                            source=label, stage="isolation", message=f"refused after {len(skip)} abandoned pages"
                        ),
                    ],
                )

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.close()


def _is_native(path: Path) -> bool:
    try:
        return sniff_file(path) in NATIVE_MIMES
    except LoadError:
        return False  # the child says what is wrong with it, as for any file


def _died(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            return f"the converter crashed ({signal.Signals(-exitcode).name})"
        except ValueError:
            pass
    return f"the converter exited (code {exitcode})"
