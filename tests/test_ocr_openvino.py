"""OCR on OpenVINO (the default): the precision asked for is the one compiled, and it reads as onnxruntime does."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from docpipe.options import RapidOcrOptions
from docpipe.parse.ocr.rapid import RapidOcrEngine

SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "receipt_market.jpg"


def _precision(session: object) -> str:
    request = session.session  # type: ignore[attr-defined]
    return str(request.get_compiled_model().get_property("INFERENCE_PRECISION_HINT"))


def test_default_ocr_runs_on_openvino_at_the_asked_precision() -> None:
    engine = RapidOcrEngine(RapidOcrOptions(threads=1, det_precision="f32", rec_precision="f32"))
    engine.warm_up()
    assert engine.options.runtime == "openvino"
    assert "float32" in _precision(engine._engine.text_det.session)
    assert "float32" in _precision(engine._engine.text_rec.session)


def test_openvino_bf16_reads_the_words_onnxruntime_reads() -> None:
    image = Image.open(SAMPLE).convert("RGB")
    ov = [w.text for w in RapidOcrEngine(RapidOcrOptions(threads=1)).recognize(image)]
    ort = [w.text for w in RapidOcrEngine(RapidOcrOptions(threads=1, runtime="onnxruntime")).recognize(image)]
    assert "FRESH" in ov and "36.80" in ov
    same = sum(min(ov.count(t), ort.count(t)) for t in set(ov))
    assert same >= 0.95 * max(len(ov), len(ort))
