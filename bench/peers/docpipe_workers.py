"""docpipe as shipped: the default converter (one isolated worker per core, pages of a document
over the workers, documents side by side in parse_many), through the peers' harness."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from bench.peers.docpipe import PACKAGES, outputs_of
from docpipe.api import Docpipe
from docpipe.config import Settings
from docpipe.parse.spool import read_document

__all__ = ["PACKAGES", "parse", "parse_many"]
_tmp = Path(tempfile.mkdtemp(prefix="docpipe-bench-"))
_conv = Docpipe(Settings.load(_tmp / "home")).converter
_conv.warm_up()


def parse(path: Path) -> dict[str, Any]:
    r = _conv.convert(path)
    if r.document is None:
        raise RuntimeError("; ".join(map(str, r.errors)) or "conversion failed")
    return outputs_of(r.document)


def parse_many(paths: list[Path]) -> dict[str, dict[str, Any]]:
    """Every file, side by side on the workers (how `docpipe ingest` converts a folder)."""
    jobs = [(p, _tmp / f"{i}.spool") for i, p in enumerate(paths)]
    out: dict[str, dict[str, Any]] = {}
    for path, spool, result in _conv.convert_many(jobs):  # type: ignore[attr-defined]
        if result.status.value != "failure":
            out[path.name] = outputs_of(read_document(spool))
        spool.unlink(missing_ok=True)
    return out
