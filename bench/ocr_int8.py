"""int8 (onnxruntime.quantization, static QDQ, per channel) PP-OCR recognition and detection
beside the shipped graphs on OpenVINO f32/bf16: CPU-s for the same inputs (1 thread) and how many
recognised lines decode as f32 does. The inputs are captured from docpipe's own OCR of every 8th
realdocs receipt; the even recognition batches calibrate, the odd ones are compared.

Needs `onnx` (not a docpipe dependency): `pip install --target DIR onnx==1.23.2 ml_dtypes` and
PYTHONPATH=TREE:DIR. Result on the AMD EPYC (AVX512-VNNI/BF16) of 2026-12-02: int8 is slower
than bf16 and reads worse (docs/notes/2026-12-02c-scan7.md).

    PYTHONPATH=TREE:DIR .venv/bin/python -P bench/ocr_int8.py [--receipts 10] [--work DIR]
"""

from __future__ import annotations

import argparse
import difflib
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.append(str(ROOT))

from bench.realdocs import default_realdocs  # noqa: E402


def capture(receipts: int) -> dict[str, list[np.ndarray]]:
    """The det and rec inputs of docpipe's OCR (RapidOCR on OpenVINO) over every 8th receipt."""
    from PIL import Image
    from rapidocr.inference_engine.openvino.main import OpenVINOInferSession

    from docpipe.parse.ocr.rapid import RapidOcrEngine

    eng = RapidOcrEngine()
    eng.warm_up()
    det = eng._engine._load_det_model().session
    cap: dict[str, list[np.ndarray]] = {"det": [], "rec": []}
    orig = OpenVINOInferSession.__call__

    def call(self: Any, x: np.ndarray) -> Any:
        cap["det" if self is det else "rec"].append(np.array(x))
        return orig(self, x)

    OpenVINOInferSession.__call__ = call  # type: ignore[method-assign]
    try:
        for p in sorted((default_realdocs() / "receipts" / "img").iterdir())[1::8][:receipts]:
            eng.recognize(Image.open(p))
    finally:
        OpenVINOInferSession.__call__ = orig  # type: ignore[method-assign]
    return cap


def quantize(key: str, src: Path, calib: list[np.ndarray], work: Path) -> Path:
    import onnx
    from onnx import version_converter
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

    model = onnx.load(str(src))
    name = model.graph.input[0].name
    m13 = version_converter.convert_version(model, 13)  # per-channel scales need opset 13 (OpenVINO)
    onnx.save(m13, str(work / f"{key}_13.onnx"))

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self.it = iter([{name: x} for x in calib])

        def get_next(self) -> dict[str, np.ndarray] | None:
            return next(self.it, None)

    out = work / f"{key}_int8.onnx"
    quantize_static(
        str(work / f"{key}_13.onnx"),
        str(out),
        Reader(),
        quant_format=QuantFormat.QDQ,
        per_channel=True,
        activation_type=QuantType.QUInt8,
        weight_type=QuantType.QInt8,
        nodes_to_exclude=[n.name for n in m13.graph.node if n.op_type == "Softmax"],
    )
    return out


def run(path: Path, precision: str, xs: list[np.ndarray]) -> tuple[float, list[np.ndarray]]:
    import openvino as ov

    core = ov.Core()
    cfg = {"INFERENCE_PRECISION_HINT": precision, "NUM_STREAMS": 1, "INFERENCE_NUM_THREADS": 1}
    req = core.compile_model(core.read_model(str(path)), "CPU", cfg).create_infer_request()
    req.infer([xs[0]])
    outs, c0 = [], time.process_time()
    for x in xs:
        req.infer([x])
        outs.append(np.array(req.get_output_tensor().data))
    return time.process_time() - c0, outs


def decode(outs: list[np.ndarray]) -> list[tuple[int, ...]]:
    """Greedy CTC: argmax, repeats merged, blanks (0) dropped."""
    lines = []
    for batch in outs:
        for seq in batch.argmax(-1):
            lines.append(tuple(int(c) for i, c in enumerate(seq) if c != 0 and (i == 0 or c != seq[i - 1])))
    return lines


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--receipts", type=int, default=10)
    ap.add_argument("--work", type=Path, default=Path(tempfile.mkdtemp(prefix="docpipe-int8-")))
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    try:
        import onnx  # noqa: F401
    except ImportError:
        sys.exit("bench/ocr_int8.py needs onnx (see its docstring)")
    from docpipe.pins import pinned

    cap = capture(args.receipts)
    rec_int8 = quantize("rec", pinned("ocr-rec"), cap["rec"][::2], args.work)
    test = cap["rec"][1::2]
    ref = decode(run(pinned("ocr-rec"), "f32", test)[1])
    for name, path, prec in (
        ("rec f32", pinned("ocr-rec"), "f32"),
        ("rec bf16 (shipped)", pinned("ocr-rec"), "bf16"),
        ("rec int8", rec_int8, "f32"),
    ):
        cpu, outs = run(path, prec, test)
        lines = decode(outs)
        same = sum(a == b for a, b in zip(lines, ref, strict=True))
        diss = float(
            np.mean([1 - difflib.SequenceMatcher(None, a, b).ratio() for a, b in zip(lines, ref, strict=True)])
        )
        print(f"{name:20} {cpu:6.2f} CPU-s  {same}/{len(ref)} lines decode as f32  char dissimilarity {diss:.4f}")
    # Detection int8 is not run on OpenVINO: 2026.4.1 crashes (SIGSEGV) compiling its QDQ graph.
    det_int8 = quantize("det", pinned("ocr-det"), cap["det"][:6], args.work)
    print("detection int8 written to", det_int8, "(time it on onnxruntime: OpenVINO crashes on it)")


if __name__ == "__main__":
    main()
