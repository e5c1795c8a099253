"""OCR and layout on OpenVINO leave the calling thread free to run on every core. Pinned (the
plugin's default), each converter child's thread was tied to core 0 while it inferred, so two
workers shared one core while the other idled (ingest on 2 cores used 1.5 of them)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from PIL import Image

from docpipe.options import RapidLayoutOptions, RapidOcrOptions
from docpipe.parse.layout.rapid import RapidLayoutModel
from docpipe.parse.ocr.rapid import RapidOcrEngine

SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "receipt_market.jpg"


def _allowed(tid: int) -> str:
    for line in Path(f"/proc/self/task/{tid}/status").read_text().splitlines():
        if line.startswith("Cpus_allowed_list:"):
            return line.split(":", 1)[1].strip()
    return ""


@pytest.mark.skipif(not Path("/proc/self/task").is_dir() or len(os.sched_getaffinity(0)) < 2, reason="Linux, 2+ cores")
def test_ocr_and_layout_do_not_pin_the_inferring_thread() -> None:
    image = Image.open(SAMPLE).convert("RGB")
    ocr, layout = RapidOcrEngine(RapidOcrOptions(threads=1)), RapidLayoutModel(RapidLayoutOptions(threads=1))
    ocr.warm_up()
    out: dict[str, object] = {}
    started = threading.Event()

    def work() -> None:  # in its own thread, watched from this one while it infers
        out["tid"] = threading.get_native_id()
        started.set()
        for _ in range(3):
            out["words"] = [w.text for w in ocr.recognize(image)]
            out["regions"] = len(layout.detect(image))

    t = threading.Thread(target=work)
    t.start()
    started.wait()
    every = _allowed(threading.get_native_id())
    seen = set()
    while t.is_alive():
        try:
            seen.add(_allowed(int(out["tid"])))  # type: ignore[call-overload]
        except OSError:  # the thread ended between the check and the read
            break
    t.join()
    assert "36.80" in out["words"]  # type: ignore[operator]
    assert seen and seen <= {every}, f"inferring thread pinned: {seen} (all cores: {every})"
