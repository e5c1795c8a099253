"""`docpipe llm serve` and `llm check`: the answering model's server."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from docpipe.cli.common import HomeOpt, open_app, quiet_libraries, reported
from docpipe.cli.root import app

llm_app = typer.Typer(help="Serve and check the answering model.", no_args_is_help=True)
app.add_typer(llm_app, name="llm", rich_help_panel="Serving")


@llm_app.command("serve")
@reported
def llm_serve(
    model: Annotated[str | None, typer.Option(help="Model id or local folder (default: the card's).")] = None,
    card: Annotated[Path | None, typer.Option(help="Serving card (default: models/solar-10.7b-instruct.toml).")] = None,
    variant: Annotated[str | None, typer.Option(help="Card section to apply: quantized or cpu.")] = None,
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to bind.")] = 8000,
    served_name: Annotated[str | None, typer.Option(help="Model name clients ask for (default: the card's).")] = None,
    python: Annotated[
        str | None, typer.Option(help="Python of the environment where vLLM is installed (default: this one).")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the command instead of running it.")] = False,
) -> None:
    """Start vLLM's OpenAI-compatible server from a model card, wait until healthy, print the base URL."""
    from docpipe.llm.serve import serve_command, start_server

    command = serve_command(
        card, variant=variant, host=host, port=port, model=model, served_name=served_name, python=python
    )
    if dry_run:
        typer.echo(command.shell())
        return
    proc, models = start_server(command)
    typer.echo(f"serving {', '.join(models)} at {command.base_url}\nexport DOCPIPE_LLM_BASE_URL={command.base_url}")
    sys.stdout.flush()
    raise typer.Exit(proc.wait())


@llm_app.command("check")
@reported
def llm_check(home: HomeOpt = None) -> None:
    """Tell whether the configured LLM answers, and which model it is."""
    quiet_libraries()
    dp = open_app(home)
    gen = dp.generator()  # an LLMError says what is wrong in one line
    gen.warm_up()
    out = gen.generate([{"role": "user", "content": "Say OK."}], max_tokens=5)
    where = getattr(dp.settings.llm, "base_url", "") or "embedded (in-process)"
    runtime = getattr(gen, "runtime", "")
    typer.echo(f"ok: {out.model} at {where} answered in {out.latency_s:.2f} s" + (f" on {runtime}" if runtime else ""))
