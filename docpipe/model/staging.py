"""Write a model into a temporary folder beside its target and rename it at the end: an error or
an interrupt leaves the target as it was (absent or empty), never half a model."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from docpipe.errors import ModelBuildError, shown


def check_target(out: Path) -> None:
    """Refuse a target that holds something already: we never overwrite a model in place."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ModelBuildError(f"{shown(out)} already exists and is not empty: choose a new --out or remove it")


@contextmanager
def staged(out: Path) -> Iterator[Path]:
    check_target(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    try:
        yield tmp
        if out.exists():
            out.rmdir()  # empty (checked above); os.replace cannot put a folder over a folder
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
