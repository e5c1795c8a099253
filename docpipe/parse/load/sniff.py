"""Content type from the bytes, never from the file name: magic numbers for PDF and images,
the parts inside a zip for DOCX/PPTX/XLSX, markup for HTML, header lines for mail."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from docpipe.errors import LoadError

PDF, PNG, JPEG, TIFF = "application/pdf", "image/png", "image/jpeg", "image/tiff"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HTML, EML = "text/html", "message/rfc822"
NATIVE_MIMES = frozenset({DOCX, PPTX, XLSX, HTML, EML})  # read from their structure: no page images

_MAGIC: list[tuple[bytes, str]] = [
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"\xff\xd8\xff", JPEG),
    (b"II*\x00", TIFF),
    (b"MM\x00*", TIFF),
]
ZIP_MAGIC = b"PK\x03\x04"
# The main part of each OOXML kind (macro-enabled variants have the same parts).
_OOXML = [("word/document.xml", DOCX), ("ppt/presentation.xml", PPTX), ("xl/workbook.xml", XLSX)]
_HTML = re.compile(
    rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body|meta|title|h[1-6]|table|div|p)[\s>]", re.I | re.S
)
_HEADER = re.compile(
    rb"^(From|To|Subject|Date|Received|Return-Path|Message-ID|MIME-Version|Delivered-To|Reply-To|Cc|X-[\w-]+):",
    re.I | re.M,
)
_MAIL_KEYS = frozenset({b"from", b"subject", b"date", b"mime-version", b"message-id"})
SUPPORTED_SUFFIXES = frozenset(
    {
        ".pdf",
        ".png",
        ".jpg",
        ".jpeg",
        ".tif",
        ".tiff",
        ".docx",
        ".docm",
        ".pptx",
        ".pptm",
        ".xlsx",
        ".xlsm",
        ".html",
        ".htm",
        ".eml",
    }
)
KINDS = "a PDF, PNG, JPEG, TIFF, DOCX, PPTX, XLSX, HTML or EML"


def _text_mime(head: bytes) -> str | None:
    text = head.removeprefix(b"\xef\xbb\xbf")
    if _HTML.match(text):
        return HTML
    first = text.lstrip(b"\r\n").split(b"\n", 1)[0]
    keys = {m.group(1).lower() for m in _HEADER.finditer(text)}
    # A mail starts with a header line and names at least two of the usual ones.
    if _HEADER.match(first) and len(keys & _MAIL_KEYS) >= 2:
        return EML
    return None


def sniff_mime(head: bytes) -> str | None:
    """From the first KiB alone: a zip is only "application/zip" here (its parts decide)."""
    # PDFs may carry junk before the header; readers accept it within the first KiB.
    if b"%PDF-" in head[:1024]:
        return PDF
    for magic, mime in _MAGIC:
        if head.startswith(magic):
            return mime
    if head.startswith(ZIP_MAGIC):
        return "application/zip"
    return _text_mime(head)


def ooxml_kind(path: Path) -> str | None:
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        raise LoadError(path, f"corrupt or unreadable zip container ({e})") from e
    return next((mime for part, mime in _OOXML if part in names), None)


def sniff_file(path: Path) -> str:
    try:
        with path.open("rb") as f:
            head = f.read(1024)
    except OSError as e:
        raise LoadError(path, f"cannot read file ({e.strerror or e})") from e
    if not head:
        raise LoadError(path, "empty file")
    mime = sniff_mime(head)
    if mime == "application/zip":
        mime = ooxml_kind(path)
        if mime is None:
            raise LoadError(path, "a zip archive that is not a DOCX, PPTX or XLSX")
    if mime is None:
        raise LoadError(path, f"not {KINDS} (unrecognised content)")
    return mime
