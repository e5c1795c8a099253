"""Multipart uploads streamed to disk with a per-file size limit, then checked and filed.

Starlette's form parser spools a whole file before the handler sees it; here each part is
written as it arrives and the request stops at the first byte past the limit, so an
oversized upload costs at most the limit in disk and nothing of it is kept.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from fastapi import HTTPException, Request
from python_multipart.multipart import MultipartParser, parse_options_header

from docpipe.config import Settings
from docpipe.parse.load import LoadError, open_source
from docpipe.parse.load.sniff import sniff_file
from docpipe.server.security import BadName, display_name

MAX_FILES = 20
MAX_FIELD_BYTES = 256 * 1024  # form fields (e.g. a JSON schema) stay small


@dataclass
class Received:
    name: str  # the display name, already checked
    path: Path  # a temporary file under HOME/uploads/.incoming
    size: int = 0
    sha256: str = ""
    mime: str = ""


@dataclass
class Form:
    files: list[Received] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)

    def discard(self) -> None:
        for f in self.files:
            f.path.unlink(missing_ok=True)


@dataclass
class _Part:
    headers: dict[bytes, bytes] = field(default_factory=dict)
    header_name: bytes = b""
    header_value: bytes = b""
    data: bytearray = field(default_factory=bytearray)
    out: BinaryIO | None = None
    received: Received | None = None
    hasher: hashlib._Hash = field(default_factory=hashlib.sha256)


class _Receiver:
    def __init__(self, incoming: Path, max_bytes: int) -> None:
        self.incoming = incoming
        self.max_bytes = max_bytes
        self.form = Form()
        self.part = _Part()

    # python-multipart calls these synchronously while we feed it the body.
    def on_part_begin(self) -> None:
        self.part = _Part()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.part.header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.part.header_value += data[start:end]

    def on_header_end(self) -> None:
        self.part.headers[self.part.header_name.lower()] = self.part.header_value
        self.part.header_name, self.part.header_value = b"", b""

    def on_headers_finished(self) -> None:
        _, params = parse_options_header(self.part.headers.get(b"content-disposition", b""))
        if b"filename" not in params:
            return
        if len(self.form.files) >= MAX_FILES:
            raise HTTPException(413, f"at most {MAX_FILES} files per upload")
        try:
            name = display_name(params[b"filename"].decode("utf-8", "replace"))
        except BadName as e:
            raise HTTPException(400, str(e)) from None
        self.incoming.mkdir(parents=True, exist_ok=True)
        rec = Received(name, self.incoming / f"{uuid.uuid4().hex}.part")
        self.form.files.append(rec)
        self.part.received = rec
        self.part.out = rec.path.open("wb")

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        rec = self.part.received
        if rec is None or self.part.out is None:
            if len(self.part.data) + len(chunk) > MAX_FIELD_BYTES:
                raise HTTPException(413, f"form fields are limited to {MAX_FIELD_BYTES // 1024} KB")
            self.part.data += chunk
            return
        rec.size += len(chunk)
        if rec.size > self.max_bytes:
            raise HTTPException(413, f"{rec.name}: file too large (over the {self.max_bytes >> 20} MB limit)")
        self.part.out.write(chunk)
        self.part.hasher.update(chunk)

    def on_part_end(self) -> None:
        _, params = parse_options_header(self.part.headers.get(b"content-disposition", b""))
        if self.part.out is not None and self.part.received is not None:
            self.part.out.close()
            self.part.received.sha256 = self.part.hasher.hexdigest()
        elif b"name" in params:
            self.form.fields[params[b"name"].decode()] = self.part.data.decode("utf-8", "replace")

    def close(self) -> None:
        if self.part.out is not None and not self.part.out.closed:
            self.part.out.close()


async def receive_form(request: Request, incoming: Path, max_file_mb: int) -> Form:
    """Parse a multipart body, streaming file parts to `incoming`; on any refusal nothing is kept."""
    ctype, params = parse_options_header(request.headers.get("content-type", ""))
    if ctype != b"multipart/form-data" or b"boundary" not in params:
        raise HTTPException(415, "send the files as multipart/form-data")
    max_bytes = max_file_mb * 1024 * 1024
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_FILES * max_bytes + (1 << 20):
        raise HTTPException(413, "upload too large")  # refused before a byte is read
    rx = _Receiver(incoming, max_bytes)
    callbacks = {name: getattr(rx, name) for name in dir(rx) if name.startswith("on_")}
    parser = MultipartParser(params[b"boundary"], callbacks)  # type: ignore[arg-type]
    try:
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
    except HTTPException:
        rx.close()
        rx.form.discard()
        raise
    except Exception as e:
        rx.close()
        rx.form.discard()
        raise HTTPException(400, f"malformed multipart body ({type(e).__name__})") from None
    return rx.form


def check_document(rec: Received, settings: Settings) -> None:
    """Sniff the bytes and open the file once: wrong type, too many pages or a corrupt file is refused."""
    try:
        mime = sniff_file(rec.path)
    except LoadError as e:
        raise HTTPException(415, f"{rec.name}: {e.reason}") from None
    rec.mime = mime
    rec.name = display_name(rec.name, mime)
    try:
        with open_source(rec.path, limits=settings.limits, password=settings.pdf_password):
            pass
    except LoadError as e:
        raise HTTPException(422, f"{rec.name}: {e.reason}") from None


def file_upload(rec: Received, uploads: Path) -> Path:
    """Move a checked upload to HOME/uploads/<sha256[:16]>/<name>; the same bytes are kept once."""
    folder = uploads / rec.sha256[:16]
    existing = [p for p in folder.iterdir() if p.is_file()] if folder.is_dir() else []
    if existing:
        rec.path.unlink(missing_ok=True)
        return existing[0]
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / rec.name
    if not target.resolve().is_relative_to(uploads.resolve()):  # display_name already forbids this
        raise HTTPException(400, f"{rec.name}: bad file name")
    os.replace(rec.path, target)  # both under the home: a rename, never a copy
    return target
