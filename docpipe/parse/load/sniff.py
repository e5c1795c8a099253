"""Content type from the first bytes, never from the file name."""

from __future__ import annotations

from pathlib import Path

from docpipe.errors import LoadError

_MAGIC: list[tuple[bytes, str]] = [
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
]
SUPPORTED_SUFFIXES = frozenset({".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff"})


def sniff_mime(head: bytes) -> str | None:
    # PDFs may carry junk before the header; readers accept it within the first KiB.
    if b"%PDF-" in head[:1024]:
        return "application/pdf"
    for magic, mime in _MAGIC:
        if head.startswith(magic):
            return mime
    return None


def sniff_file(path: Path) -> str:
    try:
        with path.open("rb") as f:
            head = f.read(1024)
    except OSError as e:
        raise LoadError(path, f"cannot read file ({e.strerror or e})") from e
    if not head:
        raise LoadError(path, "empty file")
    mime = sniff_mime(head)
    if mime is None:
        raise LoadError(path, "not a PDF, PNG, JPEG or TIFF (unrecognised content)")
    return mime
