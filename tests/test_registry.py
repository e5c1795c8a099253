"""Engines by kind: built-in names, package.module:Class, installed entry points; typed options
from the environment (flat legacy names and nested), docpipe.toml and arguments."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from docpipe.config import Settings
from docpipe.document import BBox, TableCell, TableData, Word
from docpipe.errors import MissingEngineError, UnknownEngineError, UsageError
from docpipe.jobs.worker import with_threads
from docpipe.options import (
    ConvertOptions,
    EngineOptions,
    Limits,
    LlamaCppOptions,
    NumpyBertOptions,
    OpenAIOptions,
    PaddleOcrOptions,
    RapidOcrOptions,
    TesseractOptions,
)
from docpipe.parse.converter import Converter
from docpipe.parse.ocr import OCR
from docpipe.parse.ocr.tesseract import TesseractEngine
from tests.conftest import ROOT


class EchoOptions(EngineOptions):
    word: str = "echo"
    copies: int = 1


class EchoOcr:
    """A third-party engine named as tests.test_registry:EchoOcr, with its own options type."""

    name = "echo"
    options_type = EchoOptions

    def __init__(self, options: EchoOptions) -> None:
        self.options = options

    def warm_up(self) -> None:
        pass

    def recognize(self, image: Image.Image) -> list[Word]:
        return [Word(text=self.options.word, bbox=BBox.of(10, 10, 60, 30), confidence=1.0)] * self.options.copies


@pytest.fixture(autouse=True)
def _no_docpipe_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.upper().startswith("DOCPIPE_"):
            monkeypatch.delenv(key)


def test_a_builtin_kind_gets_its_typed_defaults_and_unknown_kinds_list_the_choices() -> None:
    engine = OCR.create("tesseract")
    assert isinstance(engine, TesseractEngine) and engine.options == TesseractOptions()
    assert OCR.create(TesseractOptions(lang="deu", psm=6)).options.lang == "deu"  # type: ignore[attr-defined]
    with pytest.raises(
        UnknownEngineError, match=r"unknown OCR engine 'nope'; choose from paddleocr, rapidocr, tesseract,"
    ):
        OCR.create("nope")
    with pytest.raises(UnknownEngineError, match=r"'no_such_pkg\.mod:X' cannot be imported \(No module named"):
        OCR.create("no_such_pkg.mod:X")
    with pytest.raises(UsageError, match="lang"):
        OCR.create(EngineOptions(kind="rapidocr", lang="deu"))  # a built-in refuses what it does not know
    assert issubclass(UnknownEngineError, ValueError)


def test_naming_one_engine_imports_no_other_engines_module() -> None:
    code = (
        "import sys\n"
        "from docpipe.parse.ocr import OCR\n"
        "OCR.create('tesseract')\n"
        "print(sorted(m for m in sys.modules if m.startswith(('docpipe.parse.ocr.', 'rapidocr', 'paddleocr'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert out.strip() == "['docpipe.parse.ocr.base', 'docpipe.parse.ocr.tesseract']"


def test_module_class_kind_gets_its_extra_options_validated_into_its_own_type() -> None:
    engine = OCR.create(EngineOptions(kind="tests.test_registry:EchoOcr", word="hi", copies="2"))
    # pytest imported this file under another name, so the classes are compared by name.
    assert type(engine).__qualname__ == "EchoOcr" and type(engine.options).__qualname__ == "EchoOptions"  # type: ignore[attr-defined]
    assert engine.options.model_dump() == {"kind": "tests.test_registry:EchoOcr", "word": "hi", "copies": 2}  # type: ignore[attr-defined]
    assert [w.text for w in engine.recognize(Image.new("RGB", (8, 8)))] == ["hi", "hi"]
    with pytest.raises(UsageError, match="copies"):
        OCR.create(EngineOptions(kind="tests.test_registry:EchoOcr", copies="many"))


PLUGIN = """
from docpipe.document import BBox, Word


class StampOcr:
    name = "stamp"

    def __init__(self, options):
        self.word = options.model_extra["word"]
        self.warmed = False

    def warm_up(self):
        self.warmed = True

    def recognize(self, image):
        assert self.warmed, "warm_up() was not called before the first page"
        return [Word(text=self.word, bbox=BBox.of(40, 40, 200, 80), confidence=0.9)]


class NoLayout:
    name = "none"

    def __init__(self, options):
        pass

    def warm_up(self):
        pass

    def detect(self, image):
        return []
"""


@pytest.fixture
def installed_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A distribution as pip would leave it: a module and a dist-info with entry points."""
    (tmp_path / "stamp_plugin.py").write_text(PLUGIN)
    info = tmp_path / "docpipe_stamp-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: docpipe-stamp\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        "[docpipe.ocr]\nstamp = stamp_plugin:StampOcr\nbroken = stamp_plugin:Missing\n\n"
        "[docpipe.layout]\nnone = stamp_plugin:NoLayout\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def test_an_installed_entry_point_engine_is_listed_created_and_used_by_the_converter(
    installed_plugin: Path, tmp_path: Path
) -> None:
    assert {"stamp", "broken", "rapidocr"} <= set(OCR.kinds())
    image = tmp_path / "blank.png"
    Image.new("RGB", (600, 400), "white").save(image, dpi=(150, 150))
    options = ConvertOptions(
        ocr=EngineOptions(kind="stamp", word="ZEBRA-42"), layout=EngineOptions(kind="none"), detect_orientation=False
    )
    converter = Converter(options)
    converter.warm_up()
    doc = converter.convert(image).document
    assert doc is not None and [p.origin for p in doc.pages] == ["ocr"]
    assert doc.text().strip() == "ZEBRA-42"
    with pytest.raises(MissingEngineError, match=r"'broken' \(entry point stamp_plugin:Missing in docpipe\.ocr\)"):
        OCR.create("broken")


def test_flat_environment_names_keep_working(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DOCPIPE_OCR_ENGINE", "tesseract")
    monkeypatch.setenv("DOCPIPE_TESSERACT_LANG", "deu")
    monkeypatch.setenv("DOCPIPE_EMBED_MODEL", str(tmp_path))
    monkeypatch.setenv("DOCPIPE_EMBED_BATCH_SIZE", "8")
    monkeypatch.setenv("DOCPIPE_LLM_BASE_URL", "http://127.0.0.1:8000/v1")
    monkeypatch.setenv("DOCPIPE_LLM_MODEL", "solar")
    monkeypatch.setenv("DOCPIPE_LLM_API_KEY", "k")
    monkeypatch.setenv("DOCPIPE_LLM_FALLBACK_BASE_URL", "http://127.0.0.1:9000/v1")
    monkeypatch.setenv("DOCPIPE_MAX_PAGES", "12")
    monkeypatch.setenv("DOCPIPE_MAX_FILE_MB", "3")
    monkeypatch.setenv("DOCPIPE_RENDER_DPI", "150")
    s = Settings()
    assert s.ocr == TesseractOptions(lang="deu")
    assert s.embedder == NumpyBertOptions(model_path=tmp_path, batch_size=8)
    assert s.llm == OpenAIOptions(base_url="http://127.0.0.1:8000/v1", model="solar", api_key="k")
    assert s.llm_fallback == OpenAIOptions(base_url="http://127.0.0.1:9000/v1")
    assert s.limits == Limits(max_pages=12, max_file_mb=3)
    c = s.convert_options()
    assert (c.ocr, c.limits, c.dpi) == (TesseractOptions(lang="deu"), s.limits, 150)


def test_engine_specific_flat_names_apply_to_their_engine_only(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DOCPIPE_TESSERACT_LANG", "deu")
    monkeypatch.setenv("DOCPIPE_PADDLEOCR_DIR", str(tmp_path))
    monkeypatch.setenv("DOCPIPE_LLM_MODEL", "solar")  # without a base URL it means nothing, as before
    s = Settings()
    assert s.ocr == RapidOcrOptions()
    assert s.llm == LlamaCppOptions(cache_dir=s.cache_dir) and s.llm_fallback is None
    monkeypatch.setenv("DOCPIPE_OCR_ENGINE", "paddleocr")
    assert Settings().ocr == PaddleOcrOptions(model_dir=tmp_path)


def test_nested_environment_and_toml_sections_give_typed_options(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DOCPIPE_OCR__KIND", "tesseract")
    monkeypatch.setenv("DOCPIPE_OCR__PSM", "6")
    assert Settings().ocr == TesseractOptions(psm=6)
    monkeypatch.delenv("DOCPIPE_OCR__KIND")
    monkeypatch.delenv("DOCPIPE_OCR__PSM")
    (tmp_path / "docpipe.toml").write_text(
        '[ocr]\nkind = "tesseract"\nlang = "fra"\n\n[limits]\nmax_pages = 5\n\n[llm]\nbase_url = "http://h/v1"\n'
    )
    monkeypatch.setenv("DOCPIPE_OCR__PSM", "11")  # the environment adds to and beats the file
    monkeypatch.setenv("DOCPIPE_MAX_FILE_MB", "9")
    s = Settings.load(tmp_path)
    assert s.ocr == TesseractOptions(lang="fra", psm=11)
    assert s.limits == Limits(max_pages=5, max_file_mb=9)
    assert s.llm == OpenAIOptions(base_url="http://h/v1")  # a base URL means a server, as the flat name did
    assert Settings.load(tmp_path, limits=Limits(max_pages=1)).limits.max_pages == 1  # arguments beat both


def test_flat_names_in_docpipe_toml_keep_working(tmp_path: Path) -> None:
    (tmp_path / "docpipe.toml").write_text('ocr_engine = "tesseract"\ntesseract_lang = "ita"\nmax_pages = 4\n')
    s = Settings.load(tmp_path)
    assert (s.ocr, s.limits.max_pages) == (TesseractOptions(lang="ita"), 4)


def test_a_plugin_kind_keeps_its_extra_options(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCPIPE_OCR__KIND", "tests.test_registry:EchoOcr")
    monkeypatch.setenv("DOCPIPE_OCR__WORD", "from-env")
    monkeypatch.setenv("DOCPIPE_OCR__COPIES", "3")
    s = Settings()
    assert type(s.ocr) is EngineOptions and s.ocr.model_extra == {"word": "from-env", "copies": "3"}
    engine = OCR.create(s.ocr)
    assert type(engine).__qualname__ == "EchoOcr" and engine.options.copies == 3  # type: ignore[attr-defined]
    # It crosses to the isolation child and to pool workers as part of the pickled options.
    assert ConvertOptions.model_validate(s.convert_options().model_dump()).ocr == s.ocr


def test_the_worker_thread_share_reaches_the_ocr_engine_through_its_options() -> None:
    s = Settings()
    assert with_threads(s, 2).ocr == RapidOcrOptions(threads=2)
    assert with_threads(s, 0).ocr == RapidOcrOptions()
    assert OCR.create(with_threads(s, 2).ocr).options.threads == 2  # type: ignore[attr-defined]


def test_table_text_is_rows_on_lines_and_cells_joined_by_bars() -> None:
    cells = [TableCell(row=r, col=c, text=f"{r}{c}") for r in range(2) for c in range(2) if (r, c) != (1, 0)]
    t = TableData(n_rows=2, n_cols=2, cells=cells)
    assert t.text() == "00 | 01\n | 11"
    assert TableData.rows_text(t.grid()[1:]) == " | 11"
