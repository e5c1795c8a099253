"""The layout model's ONNX graph run by OpenVINO instead of onnxruntime: the same file, the same
outputs to about 1e-6 (f32 asked for explicitly, so a CPU with bf16 units does not round
differently), for about 60 % of onnxruntime's CPU time per page on this model (PicoDet at
800x608, measured on the realdocs pages: the same regions on all 41 born-digital pages)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from docpipe.runtime import openvino_cpu_config


def openvino_available() -> bool:
    from importlib.util import find_spec

    return find_spec("openvino") is not None


class OpenVinoSession:
    """A drop-in for rapid-layout's session: one input array in, the graph's outputs out."""

    def __init__(self, path: Path, threads: int) -> None:
        import openvino as ov

        core = ov.Core()
        config = openvino_cpu_config("f32", threads)
        model = core.read_model(str(path))
        # the class names the graph carries in its metadata (what rapid-layout's sessions read)
        info = model.get_rt_info()  # an RTMap: `in` and [], no .get()
        names = info["framework"]["character"].value if "framework" in info else ""
        self.labels: list[str] = names.splitlines()
        self._compiled: Any = core.compile_model(model, "CPU", config)
        self._request: Any = self._compiled.create_infer_request()

    def __call__(self, image: np.ndarray) -> list[np.ndarray]:
        result = self._request.infer([image])
        # copies: the request reuses its output buffers on the next page
        return [np.array(result[out]) for out in self._compiled.outputs]
