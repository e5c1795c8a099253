"""What every command shares: the common options, the error wrapper, opening the library."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, ParamSpec, TypeVar

import click
import typer

from docpipe.errors import DocpipeError, UsageError

if TYPE_CHECKING:
    from pydantic import ValidationError

    from docpipe.api import Docpipe

P = ParamSpec("P")
R = TypeVar("R")

SUPPORTED_KINDS = "PDF, images, DOCX, PPTX, XLSX, HTML, EML"

HomeOpt = Annotated[
    Path | None,
    typer.Option("--home", help="Where the store and index live (default: $DOCPIPE_HOME or ./.docpipe)."),
]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show tracebacks.")]
WorkersOpt = Annotated[
    int | None,
    typer.Option(
        "--workers",
        envvar="DOCPIPE_WORKERS",
        help="Worker processes converting pages and documents side by side (default: one per core).",
        min=1,
        show_default=False,
    ),
]
PasswordOpt = Annotated[
    str | None,
    typer.Option("--password", envvar="DOCPIPE_PDF_PASSWORD", help="Password for encrypted PDFs.", show_default=False),
]


def quiet_libraries() -> None:
    # Models come from installed packages; never let a library reach for a hub.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    import logging

    from docpipe.runtime import quiet_third_party

    quiet_third_party(logging.ERROR)


def discover_files(paths: list[Path]) -> tuple[list[Path], int]:
    """The supported files under ``paths``, each problem (missing, unreadable, unsupported) told
    on stderr as it is found; (files, problems). Nothing found and nothing wrong is an error."""
    from docpipe.index.ingest import discover

    files, problems = discover(paths)
    for p in problems:
        typer.echo(f"error: {p.error}", err=True)
    if not files and not problems:
        raise DocpipeError(f"no supported files ({SUPPORTED_KINDS}) found in " + ", ".join(map(str, paths)))
    return files, len(problems)


def open_app(home: Path | None, **overrides: object) -> Docpipe:
    from docpipe.api import Docpipe
    from docpipe.config import Settings

    return Docpipe(Settings.load(home, **overrides))


def reported(command: Callable[P, R]) -> Callable[P, R]:
    """The one error wrapper of every command: a DocpipeError becomes `docpipe: <message>` on
    stderr and its exit_code; anything else is a bug, shown as `docpipe: <Type>: <message>`,
    exit 1 (with --debug, its traceback instead). functools.wraps keeps the signature typer reads."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except (typer.Exit, typer.Abort, click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise  # the ways out of typer and click (their Exit is a RuntimeError): not errors to report
        except DocpipeError as e:
            typer.echo(f"docpipe: {e}", err=True)
            raise typer.Exit(e.exit_code) from None
        except Exception as e:
            if kwargs.get("debug"):
                raise
            typer.echo(f"docpipe: {type(e).__name__}: {e}", err=True)
            raise typer.Exit(1) from None

    return run


def usage_error(e: ValidationError, options: dict[str, str]) -> UsageError:
    """A pydantic refusal as one line naming the option the user typed."""
    first = e.errors()[0]
    field = str(first["loc"][0]) if first["loc"] else ""
    return UsageError(f"{options.get(field, field)}: {first['msg']}, not {first['input']!r}")
