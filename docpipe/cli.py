"""The `docpipe` command: parses arguments, calls the library, prints. No logic lives here."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, cast

import typer

if TYPE_CHECKING:
    from docpipe.answer.ask import Mode
    from docpipe.api import Docpipe
    from docpipe.jobs import Engine, Method

app = typer.Typer(
    help="Private document AI: parse, index, ask and extract from PDFs and scans, all on your machine.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

HomeOpt = Annotated[
    Path | None,
    typer.Option("--home", help="Where the store and index live (default: $DOCPIPE_HOME or ./.docpipe)."),
]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show tracebacks.")]
PasswordOpt = Annotated[
    str | None,
    typer.Option("--password", envvar="DOCPIPE_PDF_PASSWORD", help="Password for encrypted PDFs.", show_default=False),
]


def _quiet_libraries() -> None:
    # Models come from installed packages; never let a library reach for a hub.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    import logging

    from docpipe.runtime import quiet_third_party

    quiet_third_party(logging.ERROR)


def _app(home: Path | None, **overrides: object) -> Docpipe:
    from docpipe.api import Docpipe
    from docpipe.config import Settings

    return Docpipe(Settings.load(home, **overrides))


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"docpipe: {message}", err=True)
    return typer.Exit(code)


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders (PDF, PNG, JPG, TIFF).")],
    home: HomeOpt = None,
    password: PasswordOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Parse, chunk, embed and index documents. Unchanged files are skipped by content hash."""
    _quiet_libraries()
    from tqdm import tqdm

    from docpipe.index.ingest import DiskFullError, FileOutcome, IngestLockedError, discover

    dp = _app(home, pdf_password=password)
    files, problems = discover(paths)
    for p in problems:
        typer.echo(f"error: {p.error}", err=True)
    if not files and not problems:
        raise _fail("no supported files (PDF, PNG, JPG, TIFF) found in " + ", ".join(map(str, paths)))
    bar = tqdm(total=len(files), unit="file", desc="ingest", file=sys.stderr, disable=not files)

    def done(o: FileOutcome) -> None:
        bar.update(1)
        if o.status == "failed":
            tqdm.write(f"error: {o.error}", file=sys.stderr)
        elif o.error:  # stored, but some pages were lost
            tqdm.write(f"warning: {o.error}", file=sys.stderr)

    try:
        try:
            outcomes = dp.ingestor().ingest(files, on_done=done)
        finally:
            bar.close()  # before any message, so it starts a line of its own
    except IngestLockedError as e:
        raise _fail(str(e), 3) from None
    except DiskFullError as e:
        raise _fail(str(e)) from None
    except Exception as e:
        if debug:
            raise
        raise _fail(f"ingest failed: {type(e).__name__}: {e}") from None
    n = {s: sum(1 for o in outcomes if o.status == s) for s in ("ingested", "skipped", "failed")}
    failed = n["failed"] + len(problems)
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


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="A question about the ingested documents.")],
    k: Annotated[int, typer.Option("-k", help="Passages to retrieve.")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON.")] = False,
    mode: Annotated[
        str, typer.Option(help="auto: LLM, checked against the passages, else the best line; llm; extractive.")
    ] = "auto",
    document: Annotated[
        str | None, typer.Option(help="Only this document (file name or path; % matches anything).")
    ] = None,
    kind: Annotated[str | None, typer.Option("--type", help="Only pdf or image documents.")] = None,
    since: Annotated[str | None, typer.Option(help="Only documents ingested on or after YYYY-MM-DD.")] = None,
    stream: Annotated[bool, typer.Option("--stream", help="Print the LLM's words as they come.")] = False,
    home: HomeOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Answer a question from the documents, citing document, page and box."""
    _quiet_libraries()
    from datetime import datetime

    from docpipe.index.store import SearchFilter

    if mode not in ("auto", "llm", "extractive"):
        raise _fail(f"--mode must be auto, llm or extractive, not {mode!r}", 2)
    if kind not in (None, "pdf", "image"):
        raise _fail(f"--type must be pdf or image, not {kind!r}", 2)
    try:
        since_ts = datetime.fromisoformat(since).timestamp() if since else None
    except ValueError:
        raise _fail(f"--since must be a date like 2024-05-31, not {since!r}", 2) from None
    flt = SearchFilter(document=document, kind=kind, since=since_ts)
    dp = _app(home)
    if not dp.home.has_store():
        raise _fail(f"nothing ingested in {dp.home} yet: run `docpipe ingest PATH` first")
    try:
        on_token = None
        if stream and not as_json:

            def on_token(piece: str) -> None:
                sys.stdout.write(piece)
                sys.stdout.flush()

        answer = dp.ask(question, k=k, mode=cast("Mode", mode), flt=flt, on_token=on_token)
        streamed = on_token is not None and answer.mode == "llm"
        if streamed:
            typer.echo("\n" + ("" if answer.grounded else "(not supported by the documents)"))
    except Exception as e:
        if debug:
            raise
        raise _fail(f"{type(e).__name__}: {e}") from None
    if as_json:
        typer.echo(json.dumps(answer.contract(), ensure_ascii=False, indent=2))
        return
    if not streamed:
        typer.echo(answer.answer)
    for i, c in enumerate(answer.citations, start=1):
        box = ", ".join(f"{v:.0f}" for v in c.bbox)
        typer.echo(f"  [{i}] {c.document}, page {c.page}, box [{box}]: “{c.text}”")
    typer.echo(f"  ({answer.model}, {answer.latency_s:.1f} s)")


@app.command()
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
        str, typer.Option("--format", help="json, or csv: also results.csv + line_items.csv for spreadsheets.")
    ] = "json",
    engine: Annotated[str, typer.Option("--engine", help="local (process pool) or ray.")] = "local",
    address: Annotated[str | None, typer.Option("--address", help="Ray cluster address (with --engine ray).")] = None,
    method: Annotated[
        str, typer.Option("--method", help="auto: the served LLM when configured, else rules; rules; llm.")
    ] = "auto",
    home: HomeOpt = None,
    password: PasswordOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Extract structured JSON from each document, with page and box for every field.

    Resumable: documents already in OUT/results.jsonl are not redone (--force redoes them)."""
    _quiet_libraries()
    from tqdm import tqdm

    from docpipe.config import Settings
    from docpipe.extract.schemas import load_schema
    from docpipe.index.ingest import discover
    from docpipe.jobs import Done, JobConfig, JobLockedError, run_extraction
    from docpipe.jobs.local import default_workers

    if fmt not in ("json", "csv"):
        raise _fail(f"--format must be json or csv, not {fmt!r}", 2)
    if engine not in ("local", "ray"):
        raise _fail(f"--engine must be local or ray, not {engine!r}", 2)
    if method not in ("auto", "rules", "llm"):
        raise _fail(f"--method must be auto, rules or llm, not {method!r}", 2)
    settings = Settings.load(home, pdf_password=password)
    if method == "llm" and settings.llm.kind == "embedded":
        raise _fail("--method llm needs a served model: set DOCPIPE_LLM_BASE_URL (e.g. a vLLM server)", 2)
    try:
        sch = load_schema(schema)
    except ValueError as e:
        raise _fail(str(e), 2) from None
    files, problems = discover(paths)
    for p in problems:
        typer.echo(f"error: {p.error}", err=True)
    if not files:
        raise _fail("no supported files (PDF, PNG, JPG, TIFF) found in " + ", ".join(map(str, paths)))
    config = JobConfig(settings=settings, schema=sch, method=cast("Method", method))
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
            engine=cast("Engine", engine),
            address=address,
            formats=("json", "csv") if fmt == "csv" else ("json",),
            on_start=start,
            on_done=done,
        )
    except JobLockedError as e:
        raise _fail(str(e), 3) from None
    except Exception as e:
        if debug:
            raise
        raise _fail(f"extract failed: {type(e).__name__}: {e}") from None
    finally:
        bar.close()
    failed = summary.failed + len(problems)
    extra = f", {summary.skipped} already done" if summary.skipped else ""
    typer.echo(f"{summary.ok} ok, {failed} failed{extra}  → {out}/results.jsonl")
    if failed:
        raise typer.Exit(1)


@app.command()
def parse(
    file: Annotated[Path, typer.Argument(help="A PDF or image.")],
    fmt: Annotated[str, typer.Option("--format", help="html, markdown or json.")] = "html",
    overlay: Annotated[
        Path | None,
        typer.Option("--overlay", help="Write OUT.png (OUT-p2.png...) with regions, labels and reading order."),
    ] = None,
    debug: DebugOpt = False,
) -> None:
    """Convert one file and print it in reading order (or draw it with --overlay)."""
    _quiet_libraries()
    from docpipe.serialize import SERIALIZERS

    if fmt not in SERIALIZERS:
        raise _fail(f"--format must be one of {', '.join(SERIALIZERS)}", 2)
    dp = _app(None)
    result = dp.converter.convert(file)
    if result.document is None:
        raise _fail("; ".join(result.errors) or f"{file}: conversion failed")
    for err in result.errors:
        typer.echo(f"warning: {err}", err=True)
    if overlay is not None:
        from docpipe.serialize.overlay import write_overlays

        for path in write_overlays(file, result.document, overlay):
            typer.echo(f"wrote {path}", err=True)
        if "--format" not in sys.argv:
            return
    sys.stdout.write(SERIALIZERS[fmt](result.document))


@app.command("ls")
def list_documents(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    home: HomeOpt = None,
) -> None:
    """List ingested documents with status, pages, chunks and errors."""
    dp = _app(home)
    if not dp.home.has_store():
        raise _fail(f"nothing ingested in {dp.home} yet")
    store = dp.store()
    rows = store.documents()
    store.close()
    if as_json:
        typer.echo(json.dumps([r.__dict__ for r in rows], indent=2))
        return
    for r in rows:
        extra = f"  {r.error}" if r.error else ""
        typer.echo(f"{r.status:5}  {r.n_pages:3} p  {r.n_chunks:4} chunks  {r.path}{extra}")


@app.command("log")
def show_log(
    n: Annotated[int, typer.Option("-n", help="How many of the latest questions.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    home: HomeOpt = None,
) -> None:
    """Show the questions asked, their answers, model, route, chunks used, latency and tokens."""
    dp = _app(home)
    if not dp.home.has_store():
        raise _fail(f"nothing ingested in {dp.home} yet")
    store = dp.store()
    rows = store.asks(n)
    store.close()
    if as_json:
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    for r in reversed(rows):
        flag = "" if r["grounded"] else "  (ungrounded)"
        typer.echo(
            f"#{r['id']} [{r['mode']}/{r['route']} {r['model']}, {float(str(r['latency_s'])):.2f} s, "
            f"{r['prompt_tokens']}+{r['completion_tokens']} tokens, chunks {r['chunk_ids']}]{flag}\n"
            f"  Q: {r['question']}\n  A: {r['answer']}"
        )


@app.command("rm")
def remove(
    keys: Annotated[list[str], typer.Argument(help="Paths, file names or sha256 prefixes of stored documents.")],
    home: HomeOpt = None,
) -> None:
    """Remove documents (and their chunks and vectors) from the store and the index."""
    from docpipe.index.ingest import IngestLockedError

    dp = _app(home)
    if not dp.home.has_store():
        raise _fail(f"nothing ingested in {dp.home} yet")
    try:
        removed = dp.remove([str(Path(k).resolve()) if Path(k).exists() else k for k in keys])
    except IngestLockedError as e:
        raise _fail(str(e), 3) from None
    for p in removed:
        typer.echo(f"removed {p}")
    if not removed:
        raise _fail("no stored document matches " + ", ".join(keys))


@app.command("bench")
def bench(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders (PDF, PNG, JPG, TIFF).")],
    repeats: Annotated[int, typer.Option("--repeats", "-n", min=1, help="Timed passes after the warm-up.")] = 3,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
) -> None:
    """Measure conversion speed (pages/s) and peak memory on your own documents."""
    _quiet_libraries()
    from docpipe.index.ingest import discover
    from docpipe.measure.bench import measure
    from docpipe.parse.converter import Converter

    files, problems = discover(paths)
    for p in problems:
        typer.echo(f"docpipe: {p.error}", err=True)
    if not files:
        raise _fail("no PDF or image files found in " + ", ".join(str(p) for p in paths))
    rep = measure(Converter(_app(None).convert_options), files, repeats)  # in-process: its RSS is ours
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


index_app = typer.Typer(help="Maintain the vector index.", no_args_is_help=True)
app.add_typer(index_app, name="index")


@index_app.command("rebuild")
def index_rebuild(
    reembed: Annotated[
        bool, typer.Option("--reembed", help="Embed every chunk again with the configured model first.")
    ] = False,
    home: HomeOpt = None,
) -> None:
    """Rebuild the FAISS index from the vectors kept in SQLite (no re-embedding)."""
    _quiet_libraries()
    from docpipe.index.ingest import IngestLockedError

    dp = _app(home)
    if not dp.home.has_store():
        raise _fail(f"nothing ingested in {dp.home} yet")
    try:
        n, kind = dp.rebuild_index(reembed)
    except IngestLockedError as e:
        raise _fail(str(e), 3) from None
    typer.echo(f"rebuilt {kind} index with {n} vectors in {dp.home.vectors}")


llm_app = typer.Typer(help="Serve and check the answering model.", no_args_is_help=True)
app.add_typer(llm_app, name="llm")


@llm_app.command("serve")
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
    import shlex
    import subprocess

    from docpipe.llm.serve import CARDS, card_env, load_card, vllm_command, wait_healthy

    path = card or CARDS / "solar-10.7b-instruct.toml"
    if not path.is_file():
        raise _fail(f"{path}: no such serving card")
    try:
        loaded = load_card(path, variant)
        if served_name:
            loaded = loaded.model_copy(update={"served_model_name": served_name})
        cmd = vllm_command(loaded, host=host, port=port, model_override=model, python=python or sys.executable)
    except ValueError as e:
        raise _fail(str(e), 2) from None
    env = card_env(path, variant)
    if dry_run:
        prefix = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
        typer.echo((prefix + " " if prefix else "") + shlex.join(cmd))
        return
    # vLLM logs to stdout; send them to stderr so stdout carries only the lines below.
    proc = subprocess.Popen(cmd, env={**os.environ, **env}, stdout=sys.stderr)
    base_url = f"http://{host}:{port}/v1"
    try:
        models = wait_healthy(base_url)
    except TimeoutError as e:
        proc.terminate()
        raise _fail(str(e)) from None
    typer.echo(f"serving {', '.join(models)} at {base_url}\nexport DOCPIPE_LLM_BASE_URL={base_url}")
    sys.stdout.flush()
    raise typer.Exit(proc.wait())


@llm_app.command("check")
def llm_check(home: HomeOpt = None) -> None:
    """Tell whether the configured LLM answers, and which model it is."""
    _quiet_libraries()
    from docpipe.llm.base import LLMError

    dp = _app(home)
    try:
        gen = dp.generator()
        gen.warm_up()
        out = gen.generate([{"role": "user", "content": "Say OK."}], max_tokens=5)
    except LLMError as e:
        raise _fail(str(e)) from None
    where = getattr(dp.settings.llm, "base_url", "") or "embedded (in-process)"
    typer.echo(f"ok: {out.model} at {where} answered in {out.latency_s:.2f} s")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to bind; anything but loopback needs DOCPIPE_API_TOKEN.")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="Port to bind.")] = 8000,
    home: HomeOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Serve the HTTP API (/api, docs at /docs) and the web viewer (/) with FastAPI + uvicorn."""
    _quiet_libraries()
    from docpipe.config import Settings

    try:
        import uvicorn

        from docpipe.server.app import create_app
        from docpipe.server.security import check_bind
    except ImportError as e:
        raise _fail(f"{e.name} is missing: pip install 'docpipe[server]'") from None
    settings = Settings.load(home)
    try:
        check_bind(host, settings.api_token)
    except ValueError as e:
        raise _fail(str(e), 2) from None
    shown = f"[{host}]" if ":" in host else host
    typer.echo(f"docpipe serving {settings.home} at http://{shown}:{port}/ (API docs at /docs)", err=True)
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info" if debug else "warning")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
