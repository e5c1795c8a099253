"""Errors as types: the stage and page a conversion error names, the one CLI wrapper's exit codes
and one-line messages, and the ask request that the CLI and the server refuse alike."""

from __future__ import annotations

import inspect
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import typer
from fastapi.testclient import TestClient
from PIL import Image, ImageDraw, ImageFont
from typer.testing import CliRunner

from docpipe.cli import app, reported
from docpipe.config import Home, Settings
from docpipe.document import ConversionStatus
from docpipe.errors import (
    DiskFullError,
    DocpipeError,
    LLMError,
    LoadError,
    LockedError,
    NothingIngestedError,
    UnknownEngineError,
    UsageError,
)
from docpipe.index.ingest import IngestLockedError, ingest_lock
from docpipe.jobs import JobLockedError
from docpipe.options import EngineOptions
from docpipe.parse.converter import Converter, ConvertOptions
from docpipe.parse.stages import PageContext, PageStage
from docpipe.server.app import create_app
from tests.conftest import SAMPLES, run_cli

# -- ConversionError: which page, which stage -------------------------------------------------


class _FailOnPage:
    """Wraps a real stage and raises on one page, as a buggy engine would."""

    def __init__(self, inner: PageStage, page: int) -> None:
        self.inner, self.page, self.name = inner, page, inner.name

    def warm_up(self) -> None:
        self.inner.warm_up()

    def __call__(self, ctx: PageContext) -> PageContext:
        if ctx.source.number == self.page:
            raise ValueError(f"boom in {self.name}")
        return self.inner(ctx)


@pytest.mark.parametrize("stage", ["text", "layout", "assemble", "reading_order", "unskew"])
def test_a_page_that_raises_names_its_page_and_the_stage_that_failed(stage: str) -> None:
    conv = Converter()
    conv.stages = [_FailOnPage(s, 2) if s.name == stage else s for s in conv.stages]
    f = SAMPLES / "invoice_multipage.pdf"
    result = conv.convert(f)
    assert result.status is ConversionStatus.PARTIAL and result.pages == 1
    [err] = result.errors
    assert (err.page, err.stage) == (2, stage)
    assert str(err) == f"{f}: page 2 failed (ValueError: boom in {stage})"
    assert err.shown_as("upload.pdf") == f"upload.pdf: page 2 failed (ValueError: boom in {stage})"


def test_unreadable_files_and_textless_documents_have_their_stages(tmp_path: Path) -> None:
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    [err] = Converter().convert(empty).errors
    assert (err.page, err.stage, str(err)) == (None, "load", f"{empty}: empty file")
    blank = tmp_path / "blank.png"
    Image.new("RGB", (400, 300), "white").save(blank)
    [err] = Converter().convert(blank).errors
    assert (err.page, err.stage, str(err)) == (None, "finish", f"{blank}: no text found on any page")


@pytest.mark.slow
def test_an_ocr_engine_that_raises_fails_its_page_in_the_text_stage(tmp_path: Path) -> None:
    good = Image.new("RGB", (1240, 1754), "white")
    ImageDraw.Draw(good).text((120, 160), "Invoice ALPHA-1", fill="black", font=ImageFont.load_default(size=48))
    red = Image.new("RGB", (1240, 1754), "white")
    ImageDraw.Draw(red).rectangle((420, 677, 820, 1077), fill=(230, 20, 20))
    f = tmp_path / "two.pdf"
    good.save(f, save_all=True, append_images=[red], resolution=150)
    result = Converter(ConvertOptions(ocr=EngineOptions(kind="tests.faulty_engines:RaiseOnRed"))).convert(f)
    [err] = result.errors
    assert (err.page, err.stage) == (2, "text")
    assert str(err) == f"{f}: page 2 failed (ValueError: cannot read the red square)"
    assert result.document is not None and "ALPHA-1" in result.document.text()


# -- the CLI wrapper ----------------------------------------------------------------------------


def _raising(error: Exception) -> Callable[..., None]:
    @reported
    def command(name: str, debug: bool = False) -> None:
        """A command."""
        raise error

    return command


@pytest.mark.parametrize(
    ("error", "code", "line"),
    [
        (UsageError("--since: bad date"), 2, "docpipe: --since: bad date"),
        (UnknownEngineError("no OCR engine 'x'"), 2, "docpipe: no OCR engine 'x'"),
        (LockedError("held"), 3, "docpipe: held"),
        (IngestLockedError("another docpipe ingest is writing"), 3, "docpipe: another docpipe ingest is writing"),
        (JobLockedError("another extract writes here"), 3, "docpipe: another extract writes here"),
        (NothingIngestedError("/h"), 1, "docpipe: nothing ingested in /h yet: run `docpipe ingest PATH` first"),
        (DiskFullError("cannot write to /h: disk full"), 1, "docpipe: cannot write to /h: disk full"),
        (LLMError("server down"), 1, "docpipe: server down"),
        (LoadError("a.pdf", "empty file"), 1, "docpipe: a.pdf: empty file"),
        (DocpipeError("no stored document matches x"), 1, "docpipe: no stored document matches x"),
        (RuntimeError("a bug"), 1, "docpipe: RuntimeError: a bug"),
        (KeyError("k"), 1, "docpipe: KeyError: 'k'"),
    ],
)
def test_the_wrapper_gives_each_error_its_exit_code_and_one_line(
    error: Exception, code: int, line: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(typer.Exit) as exit_:
        _raising(error)(name="x")
    assert exit_.value.exit_code == code
    assert capsys.readouterr().err == line + "\n"


def test_the_wrapper_keeps_the_signature_tracebacks_with_debug_and_typers_own_exits(
    capsys: pytest.CaptureFixture[str],
) -> None:
    command = _raising(RuntimeError("a bug"))
    assert list(inspect.signature(command).parameters) == ["name", "debug"]  # what typer reads
    assert command.__doc__ == "A command."
    with pytest.raises(RuntimeError, match="a bug"):
        command(name="x", debug=True)
    with pytest.raises(typer.Exit) as exit_:
        _raising(typer.Exit(1))(name="x")  # a command's own `exit 1 when a file failed`
    assert exit_.value.exit_code == 1 and capsys.readouterr().err == ""


def _one_line(proc: subprocess.CompletedProcess[str]) -> str:
    """The error line, the only one of its kind (ingest's progress bar may come before it)."""
    assert "Traceback" not in proc.stderr
    [line] = [ln for ln in proc.stderr.splitlines() if ln.startswith("docpipe:")]
    assert proc.stderr.endswith(line + "\n")
    return line


def test_cli_exits_3_with_one_line_when_another_ingest_holds_the_lock(tmp_path: Path) -> None:
    home = Home(tmp_path / "home")
    with ingest_lock(home):
        proc = run_cli("ingest", str(SAMPLES / "invoice_acme.pdf"), home=home.root)
    assert proc.returncode == 3
    assert _one_line(proc) == f"docpipe: another docpipe ingest is writing to {home}; wait for it to finish"


def test_cli_usage_errors_exit_2_with_one_line(tmp_path: Path) -> None:
    schema = run_cli("extract", str(SAMPLES / "invoice_acme.pdf"), "--schema", "nonsense", "--out", str(tmp_path))
    assert schema.returncode == 2
    assert _one_line(schema).startswith("docpipe: unknown schema 'nonsense': use invoice, receipt")
    since = run_cli("ask", "What is the total?", "--since", "yesterday", home=tmp_path / "home")
    assert since.returncode == 2 and _one_line(since).startswith("docpipe: --since: ")
    assert "'yesterday'" in since.stderr
    nothing = run_cli("ls", home=tmp_path / "home")
    assert nothing.returncode == 1 and _one_line(nothing).startswith(f"docpipe: nothing ingested in {tmp_path}")


@pytest.mark.parametrize(
    ("command", "option"),
    [
        (["ask", "q", "--mode", "clever"], "--mode"),
        (["ask", "q", "--type", "docx"], "--type"),
        (["parse", "x.pdf", "--format", "pdf"], "--format"),
        (["extract", "x.pdf", "--format", "xlsx"], "--format"),
        (["extract", "x.pdf", "--engine", "spark"], "--engine"),
        (["extract", "x.pdf", "--method", "magic"], "--method"),
    ],
)
def test_a_bad_choice_is_refused_by_typer_with_exit_2(command: list[str], option: str) -> None:
    result = CliRunner().invoke(app, command)  # in-process: typer refuses before the command runs
    assert result.exit_code == 2 and option in result.stderr and "Traceback" not in result.stderr


def test_help_lists_the_choices() -> None:
    ask = run_cli("ask", "--help", check=True).stdout
    assert "auto|llm|extractive" in ask and "pdf|image" in ask
    assert "html|markdown|json" in run_cli("parse", "--help", check=True).stdout
    extract = run_cli("extract", "--help", check=True).stdout
    assert "json|csv" in extract and "local|ray" in extract and "auto|rules|llm" in extract


# -- one AskRequest: the CLI and /api/ask refuse the same values ---------------------------------

BAD_ASKS: list[tuple[dict[str, object], list[str]]] = [
    ({"question": ""}, [""]),
    ({"question": "x" * 4001}, ["x" * 4001]),
    ({"question": "q", "k": 0}, ["q", "-k", "0"]),
    ({"question": "q", "k": 51}, ["q", "-k", "51"]),
    ({"question": "q", "mode": "clever"}, ["q", "--mode", "clever"]),
    ({"question": "q", "type": "docx"}, ["q", "--type", "docx"]),
    ({"question": "q", "since": "yesterday"}, ["q", "--since", "yesterday"]),
]


@pytest.mark.parametrize(("body", "argv"), BAD_ASKS, ids=["empty", "too_long", "k0", "k51", "mode", "type", "since"])
def test_the_cli_and_the_server_refuse_the_same_ask(body: dict[str, object], argv: list[str], tmp_path: Path) -> None:
    home = tmp_path / "home"
    with TestClient(create_app(Settings.load(home).model_copy(update={"api_token": None}))) as client:
        assert client.post("/api/ask", json=body).status_code == 422
    result = CliRunner().invoke(app, ["ask", *argv, "--home", str(home)])
    assert result.exit_code == 2 and "Traceback" not in result.stderr, result.stderr
    assert result.stderr.count("\n") == 1 or "Usage:" in result.stderr  # our one line, or typer's choice box


def test_a_good_ask_passes_both_and_only_then_meets_the_empty_home(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with TestClient(create_app(Settings.load(home).model_copy(update={"api_token": None}))) as client:
        r = client.post("/api/ask", json={"question": "q", "k": 50, "type": "pdf", "since": "2024-05-31"})
        assert r.status_code == 409  # valid: refused only because nothing is ingested
    proc = run_cli("ask", "q", "-k", "50", "--type", "pdf", "--since", "2024-05-31", home=home)
    assert proc.returncode == 1 and "nothing ingested" in proc.stderr


def test_an_engine_the_converter_child_cannot_make_is_one_line_with_its_exit_code(tmp_path: Path) -> None:
    """The isolation child reports why it cannot start; the user sees that, not its traceback."""
    import os
    import sys

    env = {**os.environ, "DOCPIPE_OCR__KIND": "nope", "DOCPIPE_HOME": str(tmp_path / "home")}
    cmd = [sys.executable, "-m", "docpipe.cli", "parse", str(SAMPLES / "invoice_acme.pdf")]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300, check=False)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.strip().splitlines() == [
        "docpipe: unknown OCR engine 'nope'; choose from paddleocr, rapidocr, tesseract, or give package.module:Class"
    ]
