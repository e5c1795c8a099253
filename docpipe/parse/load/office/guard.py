"""Checks on an OOXML zip before any parser sees it: zip bombs and XML entity expansion.

The central directory states each member's sizes; they are checked first (total, ratio,
count), then every XML member is streamed, counting the bytes really inflated (a forged
directory cannot lie past the limit), and refused if it declares a DTD: OOXML never has one,
and a DTD is how entity-expansion payloads ("billion laughs") and external entities come in.
"""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path

from docpipe.errors import LoadError
from docpipe.options import Limits

_SCAN = 1 << 16  # bytes read at a time while streaming a member
_MARKERS = (b"<!DOCTYPE", b"<!ENTITY")


def open_zip(path: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        raise LoadError(path, f"corrupt or unreadable zip container ({e})") from e


def member_names(path: Path) -> set[str]:
    with open_zip(path) as z:
        return set(z.namelist())


def check_zip(path: Path, limits: Limits) -> None:
    """LoadError naming the reason if the zip could inflate past the limits or carries a DTD."""
    max_total = limits.max_unzipped_mb * 1024 * 1024
    with open_zip(path) as z:
        infos = z.infolist()
        if len(infos) > limits.max_zip_members:
            raise LoadError(path, f"too many parts in the zip ({len(infos)} > {limits.max_zip_members} limit)")
        declared = sum(i.file_size for i in infos)
        if declared > max_total:
            raise LoadError(
                path, f"zip bomb: parts inflate to {declared / 2**20:.0f} MB (> {limits.max_unzipped_mb} MB limit)"
            )
        for i in infos:
            if i.file_size > 1 << 20 and i.file_size > limits.max_zip_ratio * max(i.compress_size, 1):
                ratio = i.file_size / max(i.compress_size, 1)
                raise LoadError(path, f"zip bomb: {i.filename} inflates {ratio:.0f}x (> {limits.max_zip_ratio}x limit)")
        inflated = 0
        for i in infos:
            if not i.filename.endswith((".xml", ".rels", ".vml")):
                continue
            inflated = _scan_member(path, z, i, inflated, max_total)


def _scan_member(path: Path, z: zipfile.ZipFile, info: zipfile.ZipInfo, inflated: int, max_total: int) -> int:
    tail = b""
    try:
        with z.open(info) as f:
            while block := f.read(_SCAN):
                inflated += len(block)
                if inflated > max_total:
                    raise LoadError(path, f"zip bomb: parts inflate past {max_total // 2**20} MB")
                window = (tail + block).upper()
                if any(m in window for m in _MARKERS):
                    raise LoadError(path, f"{info.filename} declares a DTD or entities (refused: entity expansion)")
                tail = block[-16:]
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError) as e:
        raise LoadError(path, f"corrupt zip part {info.filename} ({e})") from e
    return inflated
