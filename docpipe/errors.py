"""The errors docpipe reports, and file names made fit to appear in them."""

from __future__ import annotations

import os
from pathlib import Path

_CONTROL = {i: f"\\x{i:02x}" for i in range(32)} | {0x7F: "\\x7f", 0x0A: "\\n", 0x0D: "\\r", 0x09: "\\t"}


def shown(path: Path | str) -> str:
    """The path as printable UTF-8: undecodable bytes become U+FFFD, control characters escapes.

    Names with newlines or non-UTF-8 bytes are legal on POSIX; printed raw they would split
    the one-line error, and stored raw SQLite and tokenizers refuse the surrogates.
    """
    raw = os.fsencode(path)
    return raw.decode("utf-8", "replace").translate(_CONTROL)
