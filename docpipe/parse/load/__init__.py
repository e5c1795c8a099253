"""Open any supported file as a Source: sniffed by bytes, bounded by limits."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

from docpipe.errors import LoadError
from docpipe.options import Limits
from docpipe.parse.load.image import count_frames, iter_image_pages, open_image
from docpipe.parse.load.office.native import open_native
from docpipe.parse.load.pdf import iter_pdf_pages, open_pdf
from docpipe.parse.load.render import RendererName
from docpipe.parse.load.sniff import NATIVE_MIMES, SUPPORTED_SUFFIXES, sniff_file
from docpipe.parse.load.source import NativePage, Source, SourcePage
from docpipe.pins import sha256_of

__all__ = [
    "NATIVE_MIMES",
    "SUPPORTED_SUFFIXES",
    "LoadError",
    "NativePage",
    "Source",
    "SourcePage",
    "file_sha256",
    "open_source",
    "regular_file_size",
]


def regular_file_size(path: Path) -> int:
    """The size of a regular file, or a LoadError: a FIFO or device would block or never end."""
    try:
        st = path.stat()
    except FileNotFoundError as e:
        raise LoadError(path, "broken symbolic link (no such file)" if path.is_symlink() else "no such file") from e
    except OSError as e:
        raise LoadError(path, f"cannot read file ({e.strerror or e})") from e
    if not stat.S_ISREG(st.st_mode):
        raise LoadError(path, "not a regular file")
    return st.st_size


def file_sha256(path: Path) -> str:
    regular_file_size(path)  # refuses a folder, a device or a FIFO before reading
    return sha256_of(path)


def open_source(
    path: Path,
    *,
    limits: Limits | None = None,
    password: str | None = None,
    renderer: RendererName = "pypdfium2",
) -> Source:
    limits = limits or Limits()
    max_pages, max_file_mb, max_image_pixels = limits.max_pages, limits.max_file_mb, limits.max_image_pixels
    size = regular_file_size(path)
    if size > max_file_mb * 1024 * 1024:
        raise LoadError(path, f"file too large ({size / 2**20:.0f} MB > {max_file_mb} MB limit)")
    mime = sniff_file(path)
    digest = file_sha256(path)
    if mime in NATIVE_MIMES:
        return open_native(path, mime, digest, limits)
    if mime == "application/pdf":
        pdf = open_pdf(path, password)
        n = len(pdf)
        if n == 0:
            pdf.close()
            raise LoadError(path, "PDF has no pages")
        if n > max_pages:
            pdf.close()
            raise LoadError(path, f"too many pages ({n} > {max_pages} limit)")
        return Source(
            str(path), mime, digest, n, lambda skip: iter_pdf_pages(pdf, skip, renderer, path, password), pdf.close
        )
    img = open_image(path, max_image_pixels)
    n = count_frames(img)
    if n > max_pages:
        img.close()
        raise LoadError(path, f"too many pages ({n} frames > {max_pages} limit)")

    def pages(skip: frozenset[int]) -> Iterator[SourcePage]:
        return iter_image_pages(path, img, max_image_pixels, skip)

    return Source(str(path), mime, digest, n, pages, img.close)
