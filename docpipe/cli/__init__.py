"""The `docpipe` command: parses arguments, calls the library, prints. No logic lives here.

One module per command group; importing them registers their commands on the root app in the
order `--help` lists them."""

from __future__ import annotations

# Imported for their commands, in the order --help shows the panels: documents first.
from docpipe.cli import store  # noqa: F401

# isort: split
from docpipe.cli import answers, extract, llm, model, parse, serve  # noqa: F401
from docpipe.cli.common import reported
from docpipe.cli.root import app

__all__ = ["app", "main", "reported"]


def main() -> None:
    app()
