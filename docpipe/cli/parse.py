"""`docpipe parse` and `bench`: one file in reading order, and conversion speed on your files."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from docpipe.cli.common import (
    SUPPORTED_KINDS,
    DebugOpt,
    WorkersOpt,
    discover_files,
    open_app,
    quiet_libraries,
    reported,
)
from docpipe.cli.root import app
from docpipe.errors import DocpipeError
from docpipe.serialize import DocumentFormat


@app.command(rich_help_panel="Documents")
@reported
def parse(
    file: Annotated[Path, typer.Argument(help="A PDF or image.")],
    fmt: Annotated[DocumentFormat, typer.Option("--format", help="html, markdown or json.")] = DocumentFormat.HTML,
    overlay: Annotated[
        Path | None,
        typer.Option("--overlay", help="Write OUT.png (OUT-p2.png...) with regions, labels and reading order."),
    ] = None,
    workers: WorkersOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Convert one file and print it in reading order (or draw it with --overlay).

    Its pages are spread over the workers."""
    quiet_libraries()
    from docpipe.serialize import SERIALIZERS

    dp = open_app(None, workers=workers)
    result = dp.converter.convert(file)
    if result.document is None:
        raise DocpipeError("; ".join(map(str, result.errors)) or f"{file}: conversion failed")
    for err in result.errors:
        typer.echo(f"warning: {err}", err=True)
    if overlay is not None:
        from docpipe.serialize.overlay import write_overlays

        for path in write_overlays(file, result.document, overlay):
            typer.echo(f"wrote {path}", err=True)
        if "--format" not in sys.argv:
            return
    sys.stdout.write(SERIALIZERS[fmt](result.document))


@app.command("bench", rich_help_panel="Documents")
@reported
def bench(
    paths: Annotated[list[Path], typer.Argument(help=f"Files or folders ({SUPPORTED_KINDS}).")],
    repeats: Annotated[int, typer.Option("--repeats", "-n", min=1, help="Timed passes after the warm-up.")] = 3,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
) -> None:
    """Measure conversion speed (pages/s) and peak memory on your own documents."""
    quiet_libraries()
    from docpipe.measure.bench import measure
    from docpipe.parse.converter import Converter

    files, _ = discover_files(paths)
    if not files:  # each problem is told already
        raise DocpipeError("no file could be read (see the errors above)")
    rep = measure(Converter(open_app(None).convert_options), files, repeats)  # in-process: its RSS is ours
    if as_json:
        typer.echo(json.dumps(rep.to_dict(), indent=2))
        return
    typer.echo(
        f"{rep.files} files, {rep.pages} pages ({rep.text_layer_pages} text layer, {rep.ocr_pages} OCR)\n"
        f"{rep.pages_per_s:.2f} pages/s (median of {repeats}; {rep.pages_per_s_min:.2f}-{rep.pages_per_s_max:.2f}), "
        f"{1 / rep.pages_per_s:.3f} s/page\n"
        f"warm-up (models load + first pass) {rep.warm_up_s:.1f} s; peak RSS {rep.peak_rss_mb:.0f} MB\n"
        "per pass: " + ", ".join(f"{k} {v:.2f} s" for k, v in sorted(rep.stage_s.items(), key=lambda kv: -kv[1]))
    )
    for err in rep.errors:
        typer.echo(f"warning: {err}", err=True)
