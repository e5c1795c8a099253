"""PP-OCR's detection and recognition graphs (the wheel's ONNX files) compiled by OpenVINO with
an explicit precision. RapidOCR's own OpenVINO session leaves the precision to the CPU plugin and
cannot be told one, so its infer request is replaced by one compiled here.

Measured on the cached inputs of 20 realdocs receipts (1 thread, CPU s; bench notes in
docs/notes/2026-12-01d-issue-19-scans.md): detection onnxruntime 13.7-14.7, OpenVINO f32 5.3
(probability maps equal to 2e-4, the same 1034 boxes), bf16 2.1-2.8 (2 boxes fewer);
recognition (6 lines a batch, >= 320 px) onnxruntime 27.8-29.5, OpenVINO bf16 12.8-14.7 with
1019 of 1034 lines read exactly alike. bf16 runs on the CPU's AMX/AVX512-BF16 units; where there
are none, OpenVINO runs f32."""

from __future__ import annotations

from typing import Any, Literal

from docpipe.runtime import openvino_cpu_config

Precision = Literal["f32", "bf16"]


def recompile(session: Any, precision: Precision, threads: int) -> None:
    """Swap the infer request of a rapidocr OpenVINOInferSession (which keeps its read model as
    `.model` and calls `.session.infer(...)`) for one compiled with `precision` on `threads`."""
    import openvino as ov

    config = openvino_cpu_config(precision, threads)
    session.session = ov.Core().compile_model(session.model, "CPU", config).create_infer_request()
