"""`docpipe ingest`, `ls`, `rm` and `index rebuild`: what the store holds."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from docpipe.cli.common import (
    SUPPORTED_KINDS,
    DebugOpt,
    HomeOpt,
    PasswordOpt,
    WorkersOpt,
    discover_files,
    open_app,
    quiet_libraries,
    reported,
)
from docpipe.cli.root import app
from docpipe.errors import DocpipeError


@app.command(rich_help_panel="Documents")
@reported
def ingest(
    paths: Annotated[list[Path], typer.Argument(help=f"Files or folders ({SUPPORTED_KINDS}).")],
    home: HomeOpt = None,
    password: PasswordOpt = None,
    workers: WorkersOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Parse, chunk, embed and index documents. Unchanged files are skipped by content hash."""
    quiet_libraries()
    from tqdm import tqdm

    from docpipe.index.ingest import FileOutcome

    dp = open_app(home, pdf_password=password, workers=workers)
    files, problems = discover_files(paths)
    bar = tqdm(total=len(files), unit="file", desc="ingest", file=sys.stderr, disable=not files)

    def done(o: FileOutcome) -> None:
        bar.update(1)
        if o.status == "failed":
            tqdm.write(f"error: {o.error}", file=sys.stderr)
        elif o.error:  # stored, but some pages were lost
            tqdm.write(f"warning: {o.error}", file=sys.stderr)

    try:
        outcomes = dp.ingestor().ingest(files, on_done=done)
    finally:
        bar.close()  # before any message, so it starts a line of its own
    n = {s: sum(1 for o in outcomes if o.status == s) for s in ("ingested", "skipped", "failed")}
    failed = n["failed"] + problems
    partial = sum(1 for o in outcomes if o.status == "ingested" and o.error)
    pages = sum(o.pages for o in outcomes)
    chunks = sum(o.chunks for o in outcomes)
    typer.echo(
        f"{n['ingested']} ingested ({pages} pages, {chunks} chunks), {n['skipped']} unchanged, "
        + (f"{partial} with lost pages, " if partial else "")
        + f"{failed} failed  → {dp.home}"
    )
    if failed or partial:
        raise typer.Exit(1)


@app.command("ls", rich_help_panel="Documents")
@reported
def list_documents(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    home: HomeOpt = None,
) -> None:
    """List ingested documents with status, pages, chunks and errors."""
    rows = open_app(home).documents()
    if as_json:
        typer.echo(json.dumps([r.listing() for r in rows], indent=2))
        return
    for r in rows:
        extra = f"  {r.error}" if r.error else ""
        typer.echo(f"{r.status:5}  {r.n_pages:3} p  {r.n_chunks:4} chunks  {r.path}{extra}")


@app.command("rm", rich_help_panel="Documents")
@reported
def remove(
    keys: Annotated[list[str], typer.Argument(help="Paths, file names or sha256 prefixes of stored documents.")],
    home: HomeOpt = None,
) -> None:
    """Remove documents (and their chunks and vectors) from the store and the index."""
    dp = open_app(home)
    dp.require_store()
    removed = dp.remove([str(Path(k).resolve()) if Path(k).exists() else k for k in keys])
    for p in removed:
        typer.echo(f"removed {p}")
    if not removed:
        raise DocpipeError("no stored document matches " + ", ".join(keys))


index_app = typer.Typer(help="Maintain the vector index.", no_args_is_help=True)
app.add_typer(index_app, name="index", rich_help_panel="Documents")


@index_app.command("rebuild")
@reported
def index_rebuild(
    reembed: Annotated[
        bool, typer.Option("--reembed", help="Embed every chunk again with the configured model first.")
    ] = False,
    home: HomeOpt = None,
) -> None:
    """Rebuild the FAISS index from the vectors kept in SQLite (no re-embedding)."""
    quiet_libraries()
    dp = open_app(home)
    dp.require_store()
    n, kind = dp.rebuild_index(reembed)
    typer.echo(f"rebuilt {kind} index with {n} vectors in {dp.home.vectors}")
