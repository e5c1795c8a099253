"""OCR engines that fail the way native code fails: for the isolation tests, loaded by name.

A page that hangs or kills its process cannot be produced on demand with real decoders, so these
engines do it for pages marked by a red square; every other page gets the real RapidOCR.
"""

from __future__ import annotations

import os
import signal
import time

from PIL import Image

from docpipe.document import Word
from docpipe.parse.ocr.rapid import RapidOcrEngine


def _marked(image: Image.Image) -> bool:
    r, g, b = image.convert("RGB").resize((32, 32)).getpixel((16, 16))  # type: ignore[misc]
    return bool(r > 200 and g < 60 and b < 60)


class HangOnRed(RapidOcrEngine):
    def recognize(self, image: Image.Image) -> list[Word]:
        if _marked(image):
            time.sleep(3600)
        return super().recognize(image)


class CrashOnRed(RapidOcrEngine):
    def recognize(self, image: Image.Image) -> list[Word]:
        if _marked(image):
            os.kill(os.getpid(), signal.SIGSEGV)
        return super().recognize(image)


class RaiseOnRed(RapidOcrEngine):
    """An engine bug rather than a native crash: the page fails in the text stage, in-process."""

    def recognize(self, image: Image.Image) -> list[Word]:
        if _marked(image):
            raise ValueError("cannot read the red square")
        return super().recognize(image)


class RaiseAlways(RapidOcrEngine):
    """OCR that fails on any page: a native page (DOCX, HTML...) must never reach it."""

    def recognize(self, image: Image.Image) -> list[Word]:
        raise RuntimeError("OCR was called")
