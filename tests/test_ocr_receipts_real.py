"""OCR of real scans: the words of real SROIE receipts (realdocs) are read with the shipped
settings and with one line per recognition call (no padding to 320 px); OpenVINO reads the
same receipt as onnxruntime does."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from PIL import Image

from docpipe.options import RapidOcrOptions
from docpipe.parse.ocr.rapid import RapidOcrEngine

REALDOCS = Path(__file__).resolve().parents[2] / "shared" / "realdocs"
RECEIPTS = REALDOCS / "receipts"
SAMPLES = Path(__file__).resolve().parents[1] / "samples"
WORD = re.compile(r"[^\W_]+")


def words(text: str) -> list[str]:
    return WORD.findall(text.upper())


def truth_words(stem: str) -> list[str]:
    """The SROIE transcription of every line (x1,y1,...,x4,y4,text)."""
    lines = (RECEIPTS / "box" / f"{stem}.csv").read_text(encoding="utf-8", errors="replace").splitlines()
    return [w for ln in lines if len(parts := ln.split(",", 8)) == 9 for w in words(parts[8])]


def bag_f1(ref: list[str], hyp: list[str]) -> float:
    tp = sum((Counter(ref) & Counter(hyp)).values())
    return 2 * tp / (len(ref) + len(hyp)) if ref or hyp else 1.0


@pytest.mark.slow
@pytest.mark.skipif(not RECEIPTS.exists(), reason="realdocs set not present")
@pytest.mark.parametrize(
    ("stem", "printed"),
    [
        # an A4 flatbed scan (the receipt a third of the page) and two phone/till receipts
        ("300", ["AEON CO. (M) BHD", "18/04/2018", "1.75"]),
        ("398", ["99 SPEED MART S/B", "04-06-16", "2.10"]),
        ("530", ["PASARAYA CINWA SDN BHD", "15/06/2018", "14.20"]),
    ],
)
def test_real_receipts_are_read_word_for_word(converter, stem: str, printed: list[str]) -> None:  # type: ignore[no-untyped-def]
    doc = converter.convert(RECEIPTS / "img" / f"{stem}.jpg").document
    assert doc.pages[0].origin == "ocr"
    text = "\n".join(e.text for e in doc.body)
    for s in printed:  # vendor, date and total as SROIE's key fields have them
        assert s in text, f"{stem}: {s!r} not read"
    assert bag_f1(truth_words(stem), words(text)) >= 0.85


@pytest.mark.slow
@pytest.mark.skipif(not RECEIPTS.exists(), reason="realdocs set not present")
def test_one_line_per_recognition_call_reads_the_receipt() -> None:
    image = Image.open(RECEIPTS / "img" / "398.jpg").convert("RGB")
    engine = RapidOcrEngine(RapidOcrOptions(threads=1, rec_batch_size=1, rec_min_width=128))
    text = " ".join(w.text for w in engine.recognize(image))
    for s in ["SPEED", "MART", "04-06-16", "2.10"]:
        assert s in text
    assert bag_f1(truth_words("398"), words(text)) >= 0.85


@pytest.mark.slow
def test_onnxruntime_reads_the_receipt_openvino_reads() -> None:
    image = Image.open(SAMPLES / "receipt_market.jpg").convert("RGB")
    ov = RapidOcrEngine(RapidOcrOptions(threads=1, runtime="openvino"))
    ort = RapidOcrEngine(RapidOcrOptions(threads=1, runtime="onnxruntime"))
    a = [w.text for w in ov.recognize(image)]
    b = [w.text for w in ort.recognize(image)]
    assert "FRESH" in a and "36.80" in a
    assert bag_f1(a, b) >= 0.95
