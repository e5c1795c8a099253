"""The numpy embedder: the torch engine's vectors for the shipped MiniLM, and `docpipe ask` without torch."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from docpipe.index.bert_numpy import NumpyBertEmbedder, _gelu
from docpipe.index.embed import EMBEDDERS
from docpipe.options import NumpyBertOptions
from tests.conftest import DOCPIPE, ROOT
from tests.office_files import notice_html

TEXTS = [
    "Hetzner Online GmbH Rechnung R0005532486 Bruttobetrag 104,00 €",
    "What was the grand total on the MOONLIGHT CAKE HOUSE receipt?",
    "We set β = 2 so that recall weighs twice as much as precision in the F-score.",
    "  padded with spaces  ",
    "",
    "漢字 テスト ünïcödé",
    "invoice total " * 200,  # longer than the model reads: cut as sentence-transformers cuts it
]


def test_gelu_is_the_erf_gelu() -> None:
    import math

    x = np.linspace(-8, 8, 2001, dtype=np.float32).reshape(3, 667)
    exact = np.vectorize(lambda v: 0.5 * v * (1 + math.erf(v / math.sqrt(2))))(x.astype(np.float64))
    assert np.abs(_gelu(x) - exact).max() < 1e-6


def test_the_default_engine_is_numpy_and_keeps_the_torch_engines_name() -> None:
    e = EMBEDDERS.create(NumpyBertOptions())
    assert isinstance(e, NumpyBertEmbedder)
    assert e.name == "all-MiniLM-L6-v2"  # the stored vectors of a home stay searchable
    assert (e.dim, e.max_tokens) == (384, 256)
    v = e.embed(TEXTS)
    assert v.shape == (len(TEXTS), 384) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    # batch composition does not change a vector: one at a time gives the same
    assert np.abs(np.vstack([e.embed([t]) for t in TEXTS]) - v).max() < 1e-5
    # nearest neighbours mean something: the receipt question is closest to the receipt-like text
    q = e.embed(["MOONLIGHT CAKE HOUSE grand total"])[0]
    assert int(np.argmax(v @ q)) == 1


@pytest.mark.slow
def test_numpy_vectors_match_the_torch_engine() -> None:
    from docpipe.index.embed import SentenceTransformerEmbedder

    torch_engine = SentenceTransformerEmbedder()
    numpy_engine = NumpyBertEmbedder()
    assert np.abs(numpy_engine.embed(TEXTS) - torch_engine.embed(TEXTS)).max() <= 1e-4
    assert [numpy_engine.count_tokens(t) for t in TEXTS] == [torch_engine.count_tokens(t) for t in TEXTS]


_PROBE = """
import atexit, sys
def report():
    heavy = sorted(m for m in ("torch", "transformers", "sentence_transformers") if m in sys.modules)
    print("HEAVY=" + ",".join(heavy), file=sys.stderr)
atexit.register(report)
sys.argv = ["docpipe", *sys.argv[1:]]
from docpipe.cli import main
main()
"""


def test_ask_never_imports_torch(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    notice_html(docs / "notice.html")
    home = tmp_path / "home"
    ingest = subprocess.run(
        [*DOCPIPE, "ingest", str(docs), "--home", str(home)], capture_output=True, text=True, cwd=ROOT, timeout=600
    )
    assert ingest.returncode == 0, ingest.stderr
    ask = subprocess.run(
        [sys.executable, "-c", _PROBE, "ask", "How should tap water be treated?", "--mode", "extractive", "--json",
         "--home", str(home)],
        capture_output=True, text=True, cwd=ROOT, timeout=600,
    )  # fmt: skip
    assert ask.returncode == 0, ask.stderr
    assert "Boil tap water" in ask.stdout  # it did retrieve, so the embedder ran
    assert "HEAVY=\n" in ask.stderr, ask.stderr
