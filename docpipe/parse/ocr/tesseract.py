"""Tesseract (Debian tesseract-ocr) through its CLI: TSV gives word boxes and confidences.

OMP_THREAD_LIMIT=1: tesseract's OpenMP threads fight each other and every other process on a
small machine (several times slower otherwise); parallelism belongs to the batch runner.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess

from PIL import Image

from docpipe.document import BBox, Word
from docpipe.errors import MissingEngineError
from docpipe.options import TesseractOptions

INSTALL_HINT = "apt-get install tesseract-ocr tesseract-ocr-eng (Debian/Ubuntu)"


class TesseractEngine:
    name = "tesseract"
    options_type = TesseractOptions

    def __init__(self, options: TesseractOptions | None = None) -> None:
        self.options = options or TesseractOptions()
        self._binary: str | None = None

    def warm_up(self) -> None:
        if self._binary is None:
            found = shutil.which("tesseract")
            if found is None:
                raise MissingEngineError(f"OCR engine 'tesseract' is not installed: {INSTALL_HINT}")
            self._binary = found

    def recognize(self, image: Image.Image) -> list[Word]:
        self.warm_up()
        assert self._binary is not None
        buf = io.BytesIO()
        image.convert("RGB").save(buf, format="PNG")
        env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
        cmd = [self._binary, "stdin", "stdout", "--psm", str(self.options.psm), "-l", self.options.lang, "tsv"]
        proc = subprocess.run(cmd, input=buf.getvalue(), capture_output=True, env=env, timeout=300, check=False)
        if proc.returncode != 0:
            err = proc.stderr.decode(errors="replace").strip().splitlines()
            raise RuntimeError(f"tesseract failed: {err[-1] if err else proc.returncode}")
        return parse_tsv(proc.stdout.decode("utf-8", errors="replace"))


def parse_tsv(tsv: str) -> list[Word]:
    """Word rows (level 5) of tesseract's TSV as words with pixel boxes; confidence 0..1."""
    words: list[Word] = []
    for row in csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE):
        text = (row.get("text") or "").strip()
        if row.get("level") != "5" or not text:
            continue
        conf = float(row.get("conf") or -1)
        x, y, w, h = (float(row[k]) for k in ("left", "top", "width", "height"))
        words.append(Word(text=text, bbox=BBox.of(x, y, x + w, y + h), confidence=max(0.0, conf) / 100))
    return words
