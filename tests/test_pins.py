"""Every model file docpipe loads from a wheel is checked against its pinned sha256
(docpipe/pins.py): the installed files match, and a changed file is refused, named."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from docpipe.errors import ModelPinError
from docpipe.pins import PINS, package_file, pinned, sha256_of, verify


@pytest.mark.parametrize("name", sorted(PINS))
def test_the_installed_model_files_match_their_pins(name: str) -> None:
    path = pinned(name)
    assert path.is_file() and path == package_file(PINS[name])
    assert sha256_of(path) == PINS[name].sha256


def test_a_changed_model_file_is_refused_with_its_name(tmp_path: Path) -> None:
    pin = PINS["layout"]
    copy = tmp_path / "layout_cdla.onnx"
    shutil.copyfile(package_file(pin), copy)
    assert verify(copy, pin.sha256, pin.what) == copy  # the same bytes pass
    data = bytearray(copy.read_bytes())
    data[len(data) // 2] ^= 0xFF
    changed = tmp_path / "changed.onnx"
    changed.write_bytes(bytes(data))
    with pytest.raises(ModelPinError) as e:
        verify(changed, pin.sha256, pin.what)
    msg = str(e.value)
    assert msg.startswith(f"{changed}: sha256 ") and "does not match the pin of the layout model" in msg
    assert "\n" not in msg


def test_a_missing_model_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(ModelPinError, match="is missing") as e:
        verify(tmp_path / "nothing.onnx", "0" * 64, "the OCR detection model")
    assert str(tmp_path / "nothing.onnx") in str(e.value)


def test_the_ocr_engine_loads_the_pinned_files() -> None:
    from docpipe.parse.ocr.rapid import RapidOcrEngine

    engine = RapidOcrEngine()
    engine.warm_up()
    assert engine._engine.cfg.Det.model_path == str(pinned("ocr-det"))
    assert engine._engine.cfg.Rec.model_path == str(pinned("ocr-rec"))
