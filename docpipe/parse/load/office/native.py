"""An office, web or mail file as a Source of native pages: checked against the limits, read
whole (these files are bounded by max_file_mb and, inflated, by max_unzipped_mb), then handed
out page by page like any other source."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from docpipe.document import Attachment
from docpipe.errors import LoadError
from docpipe.options import Limits
from docpipe.parse.load.office.flow import Flow
from docpipe.parse.load.office.guard import check_zip
from docpipe.parse.load.office.mail import read_eml
from docpipe.parse.load.office.sheets import read_xlsx
from docpipe.parse.load.office.slides import read_pptx
from docpipe.parse.load.office.web import read_html
from docpipe.parse.load.office.word import read_docx
from docpipe.parse.load.sniff import DOCX, EML, HTML, PPTX, XLSX
from docpipe.parse.load.source import NativePage, Source, SourcePage


def _no_image(dpi: int) -> object:
    raise RuntimeError("a native page has no image")


def read_native(path: Path, mime: str, limits: Limits) -> tuple[list[Flow], list[Attachment]]:
    if mime in (DOCX, PPTX, XLSX):
        check_zip(path, limits)
        if mime == DOCX:
            return read_docx(path), []
        if mime == PPTX:
            return read_pptx(path), []
        return read_xlsx(path, limits), []
    data = path.read_bytes()
    if mime == HTML:
        return read_html(path, data, limits), []
    if mime == EML:
        return read_eml(path, data, limits)
    raise LoadError(path, f"no reader for {mime}")


def open_native(path: Path, mime: str, digest: str, limits: Limits) -> Source:
    try:
        flows, attachments = read_native(path, mime, limits)
    except LoadError:
        raise
    except RecursionError as e:
        raise LoadError(path, "structure nested too deeply to read") from e
    except MemoryError as e:
        raise LoadError(path, "too large to read in memory") from e
    except Exception as e:  # third-party readers on untrusted bytes: what they raise is this file's fault
        kind = mime.rsplit(".", 1)[-1].rsplit("/", 1)[-1]
        raise LoadError(path, f"corrupt or unreadable {kind} ({type(e).__name__}: {e})") from e
    if len(flows) > limits.max_pages:
        raise LoadError(path, f"too many pages ({len(flows)} slides or sheets > {limits.max_pages} limit)")

    def pages(skip: frozenset[int]) -> Iterator[SourcePage]:
        for flow in flows:
            page = flow.page()
            if page.number in skip:
                continue
            yield SourcePage(
                number=page.number,
                width=page.width,
                height=page.height,
                render=_no_image,  # type: ignore[arg-type]
                native=NativePage(page, flow.elements),
            )

    return Source(str(path), mime, digest, len(flows), pages, attachments=attachments)
