"""The root `docpipe` command group; every command module registers itself on it."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Private document AI: parse, index, ask and extract from PDFs and scans, all on your machine.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
