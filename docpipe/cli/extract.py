"""`docpipe extract`: folders of invoices and receipts to JSON (and CSV), resumable."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from docpipe.cli.common import (
    DebugOpt,
    HomeOpt,
    PasswordOpt,
    discover_files,
    quiet_libraries,
    reported,
)
from docpipe.cli.root import app
from docpipe.errors import DocpipeError, UsageError
from docpipe.jobs import Engine, Format, Method


@app.command(rich_help_panel="Extraction")
@reported
def extract(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders of invoices or receipts.")],
    schema: Annotated[str, typer.Option(help="invoice, receipt, a JSON Schema file or module:Class.")] = "invoice",
    out: Annotated[Path, typer.Option("--out", help="Folder for <name>.json files and results.jsonl.")] = Path(
        "results"
    ),
    workers: Annotated[
        int | None, typer.Option("--workers", help="Worker processes (default: one per core).", min=1)
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Redo every document, even those already done.")] = False,
    fmt: Annotated[
        Format, typer.Option("--format", help="json, or csv: also results.csv + line_items.csv for spreadsheets.")
    ] = Format.JSON,
    engine: Annotated[Engine, typer.Option("--engine", help="local (process pool) or ray.")] = Engine.LOCAL,
    address: Annotated[str | None, typer.Option("--address", help="Ray cluster address (with --engine ray).")] = None,
    method: Annotated[
        Method, typer.Option("--method", help="auto: the served LLM when configured, else rules; rules; llm.")
    ] = Method.AUTO,
    home: HomeOpt = None,
    password: PasswordOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Extract structured JSON from each document, with page and box for every field.

    Resumable: documents already in OUT/results.jsonl are not redone (--force redoes them)."""
    quiet_libraries()
    from tqdm import tqdm

    from docpipe.config import Settings
    from docpipe.extract.schemas import load_schema
    from docpipe.jobs import Done, JobConfig, run_extraction
    from docpipe.jobs.local import default_workers

    settings = Settings.load(home, pdf_password=password)
    if method is Method.LLM and settings.llm.kind == "embedded":  # transformers: no JSON-schema decoding
        raise UsageError(
            "--method llm needs a model that decodes to a JSON schema: the default llama_cpp kind, "
            "or DOCPIPE_LLM_BASE_URL (e.g. a vLLM server)"
        )
    try:
        sch = load_schema(schema)
    except ValueError as e:  # a UsageError already, or the message of one
        raise UsageError(str(e)) from None
    files, problems = discover_files(paths)
    if not files:  # each problem is told already
        raise DocpipeError("no file could be read (see the errors above)")
    config = JobConfig(settings=settings, schema=sch, method=method)
    bar = tqdm(total=len(files), unit="doc", desc="extract", file=sys.stderr, dynamic_ncols=True)

    def start(pending: int, skipped: int) -> None:
        bar.reset(total=pending)  # the ETA counts only what is left to do
        if skipped:
            tqdm.write(f"{skipped} already done in {out} (--force redoes them)", file=sys.stderr)

    def done(d: Done) -> None:
        bar.update(1)
        if not d.ok:
            tqdm.write(f"error: {'; '.join(json.loads(d.record_json)['errors'])}", file=sys.stderr)

    try:
        summary = run_extraction(
            files,
            config,
            out,
            workers=workers or default_workers(),
            force=force,
            engine=engine,
            address=address,
            formats=(Format.JSON, Format.CSV) if fmt is Format.CSV else (Format.JSON,),
            on_start=start,
            on_done=done,
        )
    finally:
        bar.close()
    failed = summary.failed + problems
    extra = f", {summary.skipped} already done" if summary.skipped else ""
    typer.echo(f"{summary.ok} ok, {failed} failed{extra}  → {out}/results.jsonl")
    if failed:
        raise typer.Exit(1)
