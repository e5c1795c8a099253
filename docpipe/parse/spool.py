"""Frames on disk: how a long document travels between stages without being held in memory.

A spool file is a run of frames, each a 4-byte length then zlib-compressed bytes. The
converter writes a document as its header then one frame per finished part; the ingestor
reads them back one at a time. A file cut short (a killed writer) reads as an error, never
as a shorter document.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from docpipe.document import Document, DocumentPart
from docpipe.errors import SpoolError

_LEN = struct.Struct("<I")
_END = _LEN.pack(0xFFFFFFFF)  # written by close(): a spool without it was never finished


class FrameWriter:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._f: BinaryIO = path.open("wb")

    def write(self, data: bytes) -> None:
        packed = zlib.compress(data, 1)
        self._f.write(_LEN.pack(len(packed)))
        self._f.write(packed)

    def close(self) -> None:
        """Mark the spool complete and close it."""
        if not self._f.closed:
            self._f.write(_END)
            self._f.close()

    def abandon(self) -> None:
        self._f.close()

    def __enter__(self) -> FrameWriter:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if kind is None:
            self.close()
        else:
            self.abandon()


def iter_frames(path: Path) -> Iterator[bytes]:
    with path.open("rb") as f:
        while True:
            head = f.read(_LEN.size)
            if head == _END:
                return
            if len(head) < _LEN.size:
                raise SpoolError(f"{path}: spool ends before its end mark (its writer stopped)")
            (n,) = _LEN.unpack(head)
            data = f.read(n)
            if len(data) < n:
                raise SpoolError(f"{path}: spool cut short")
            yield zlib.decompress(data)


class DocumentSpool:
    """The sink a converter writes into: a header, then parts as pages are finished."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._w: FrameWriter | None = None

    def begin(self, header: Document) -> None:
        self._w = FrameWriter(self.path)  # truncates what an earlier, abandoned attempt wrote
        self._w.write(header.model_dump_json().encode())

    def add(self, part: DocumentPart) -> None:
        assert self._w is not None, "begin() first"
        self._w.write(part.model_dump_json().encode())

    def close(self) -> None:
        """The document is complete."""
        if self._w is not None:
            self._w.close()

    def abandon(self) -> None:
        """Stop writing, leaving the spool unfinished (it reads as an error)."""
        if self._w is not None:
            self._w.abandon()


def read_header(path: Path) -> Document:
    return Document.model_validate_json(next(iter_frames(path)))


def read_part_json(path: Path) -> Iterator[bytes]:
    """Each part's JSON as written: for a reader that stores it as it is."""
    frames = iter_frames(path)
    next(frames)  # the header
    yield from frames


def read_parts(path: Path) -> Iterator[DocumentPart]:
    for data in read_part_json(path):
        yield DocumentPart.model_validate_json(data)


def read_document(path: Path) -> Document:
    doc = read_header(path)
    for part in read_parts(path):
        doc.extend(part)
    return doc
