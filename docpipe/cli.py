"""The `docpipe` command: parses arguments, calls the library, prints. No logic lives here."""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, ParamSpec, TypeVar

import click
import typer

# The choices of --mode, --type, --format, --engine and --method are the library's own enums:
# typer lists them in --help and refuses anything else (exit 2).
from docpipe.answer.request import AskMode, DocumentKind
from docpipe.errors import DocpipeError, UsageError
from docpipe.jobs import Engine, Format, Method
from docpipe.model.merge import MergeMethod
from docpipe.serialize import DocumentFormat

if TYPE_CHECKING:
    from pydantic import ValidationError

    from docpipe.answer.ask import Answer
    from docpipe.api import Docpipe

P = ParamSpec("P")
R = TypeVar("R")

SUPPORTED_KINDS = "PDF, images, DOCX, PPTX, XLSX, HTML, EML"

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


def _usage(e: ValidationError, options: dict[str, str]) -> UsageError:
    """A pydantic refusal as one line naming the option the user typed."""
    first = e.errors()[0]
    field = str(first["loc"][0]) if first["loc"] else ""
    return UsageError(f"{options.get(field, field)}: {first['msg']}, not {first['input']!r}")


@app.command()
@reported
def ingest(
    paths: Annotated[list[Path], typer.Argument(help=f"Files or folders ({SUPPORTED_KINDS}).")],
    home: HomeOpt = None,
    password: PasswordOpt = None,
    workers: WorkersOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Parse, chunk, embed and index documents. Unchanged files are skipped by content hash."""
    _quiet_libraries()
    from tqdm import tqdm

    from docpipe.index.ingest import FileOutcome, discover

    dp = _app(home, pdf_password=password, workers=workers)
    files, problems = discover(paths)
    for p in problems:
        typer.echo(f"error: {p.error}", err=True)
    if not files and not problems:
        raise DocpipeError(f"no supported files ({SUPPORTED_KINDS}) found in " + ", ".join(map(str, paths)))
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
@reported
def ask(
    question: Annotated[str, typer.Argument(help="A question about the ingested documents.")],
    k: Annotated[int, typer.Option("-k", help="Passages to retrieve.")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON.")] = False,
    mode: Annotated[
        AskMode, typer.Option(help="auto: LLM, checked against the passages, else the best line; llm; extractive.")
    ] = AskMode.AUTO,
    document: Annotated[
        str | None, typer.Option(help="Only this document (file name or path; % matches anything).")
    ] = None,
    kind: Annotated[DocumentKind | None, typer.Option("--type", help="Only documents of this kind.")] = None,
    since: Annotated[str | None, typer.Option(help="Only documents ingested on or after YYYY-MM-DD.")] = None,
    stream: Annotated[bool, typer.Option("--stream", help="Print the LLM's words as they come.")] = False,
    home: HomeOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Answer a question from the documents, citing document, page and box."""
    _quiet_libraries()
    from pydantic import ValidationError

    from docpipe.answer.request import AskRequest

    try:  # the same checks as /api/ask's
        fields = {"question": question, "k": k, "mode": mode, "stream": stream, "document": document}
        request = AskRequest.model_validate({**fields, "type": kind, "since": since or None})
    except ValidationError as e:
        raise _usage(e, {"question": "QUESTION", "k": "-k", "document": "--document", "since": "--since"}) from None
    dp = _app(home)
    dp.require_store()
    on_token = None
    if stream and not as_json:

        def on_token(piece: str) -> None:
            sys.stdout.write(piece)
            sys.stdout.flush()

    said: list[str] = []
    if on_token is not None:
        write = on_token

        def on_token(piece: str) -> None:
            said.append(piece)
            write(piece)

    answer = dp.ask(request, on_token=on_token)
    if as_json:
        typer.echo(json.dumps(answer.contract(), ensure_ascii=False, indent=2))
        return
    _print_answer(answer, streamed=bool(said))


def _print_answer(answer: Answer, *, streamed: bool) -> None:
    if streamed:  # the words are out already; a streamed answer that failed its check is withdrawn
        typer.echo("" if answer.grounded else f"\n{answer.answer}")
    else:
        typer.echo(answer.answer)
    for i, c in enumerate(answer.citations, start=1):
        box = ", ".join(f"{v:.0f}" for v in c.bbox)
        typer.echo(f"  [{i}] {c.document}, page {c.page}, box [{box}]: “{c.text}”")
    typer.echo(f"  ({answer.model}, {answer.latency_s:.1f} s)")


@app.command()
@reported
def chat(
    k: Annotated[int, typer.Option("-k", help="Passages to retrieve per question.")] = 5,
    mode: Annotated[AskMode, typer.Option(help="auto, llm or extractive (as for ask).")] = AskMode.AUTO,
    home: HomeOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Ask question after question with the model loaded once; an empty line or Ctrl-D ends."""
    _quiet_libraries()
    from docpipe.answer.request import AskRequest

    dp = _app(home)
    dp.require_store()
    if mode != AskMode.EXTRACTIVE:
        typer.echo("loading the model…", err=True)
        dp.warm_up()
    typer.echo("Ask about your documents (empty line to quit).", err=True)

    said: list[str] = []

    def on_token(piece: str) -> None:
        said.append(piece)
        sys.stdout.write(piece)
        sys.stdout.flush()

    while True:
        said.clear()
        try:
            question = input("? ").strip()
        except (EOFError, KeyboardInterrupt):
            typer.echo("")
            return
        if not question:
            return
        request = AskRequest(question=question[:4000], k=k, mode=mode, stream=True)
        answer = dp.ask(request, on_token=on_token)
        _print_answer(answer, streamed=bool(said))


@app.command()
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
    _quiet_libraries()
    from tqdm import tqdm

    from docpipe.config import Settings
    from docpipe.extract.schemas import load_schema
    from docpipe.index.ingest import discover
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
    files, problems = discover(paths)
    for p in problems:
        typer.echo(f"error: {p.error}", err=True)
    if not files:
        raise DocpipeError(f"no supported files ({SUPPORTED_KINDS}) found in " + ", ".join(map(str, paths)))
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
    failed = summary.failed + len(problems)
    extra = f", {summary.skipped} already done" if summary.skipped else ""
    typer.echo(f"{summary.ok} ok, {failed} failed{extra}  → {out}/results.jsonl")
    if failed:
        raise typer.Exit(1)


@app.command()
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
    """Convert one file and print it in reading order (or draw it with --overlay); its pages
    are spread over the workers."""
    _quiet_libraries()
    from docpipe.serialize import SERIALIZERS

    dp = _app(None, workers=workers)
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


@app.command("ls")
@reported
def list_documents(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    home: HomeOpt = None,
) -> None:
    """List ingested documents with status, pages, chunks and errors."""
    rows = _app(home).documents()
    if as_json:
        typer.echo(json.dumps([r.listing() for r in rows], indent=2))
        return
    for r in rows:
        extra = f"  {r.error}" if r.error else ""
        typer.echo(f"{r.status:5}  {r.n_pages:3} p  {r.n_chunks:4} chunks  {r.path}{extra}")


@app.command("log")
@reported
def show_log(
    n: Annotated[int, typer.Option("-n", help="How many of the latest questions.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    home: HomeOpt = None,
) -> None:
    """Show the questions asked, their answers, model, route, chunks used, latency and tokens."""
    rows = _app(home).asks(n)
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
@reported
def remove(
    keys: Annotated[list[str], typer.Argument(help="Paths, file names or sha256 prefixes of stored documents.")],
    home: HomeOpt = None,
) -> None:
    """Remove documents (and their chunks and vectors) from the store and the index."""
    dp = _app(home)
    dp.require_store()
    removed = dp.remove([str(Path(k).resolve()) if Path(k).exists() else k for k in keys])
    for p in removed:
        typer.echo(f"removed {p}")
    if not removed:
        raise DocpipeError("no stored document matches " + ", ".join(keys))


@app.command("bench")
@reported
def bench(
    paths: Annotated[list[Path], typer.Argument(help=f"Files or folders ({SUPPORTED_KINDS}).")],
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
        raise DocpipeError("no PDF or image files found in " + ", ".join(str(p) for p in paths))
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
@reported
def index_rebuild(
    reembed: Annotated[
        bool, typer.Option("--reembed", help="Embed every chunk again with the configured model first.")
    ] = False,
    home: HomeOpt = None,
) -> None:
    """Rebuild the FAISS index from the vectors kept in SQLite (no re-embedding)."""
    _quiet_libraries()
    dp = _app(home)
    dp.require_store()
    n, kind = dp.rebuild_index(reembed)
    typer.echo(f"rebuilt {kind} index with {n} vectors in {dp.home.vectors}")


llm_app = typer.Typer(help="Serve and check the answering model.", no_args_is_help=True)
app.add_typer(llm_app, name="llm")


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
    _quiet_libraries()
    dp = _app(home)
    gen = dp.generator()  # an LLMError says what is wrong in one line
    gen.warm_up()
    out = gen.generate([{"role": "user", "content": "Say OK."}], max_tokens=5)
    where = getattr(dp.settings.llm, "base_url", "") or "embedded (in-process)"
    typer.echo(f"ok: {out.model} at {where} answered in {out.latency_s:.2f} s")


model_app = typer.Typer(
    help="Build models of your own: depth up-scaling, merges, continued pretraining on your documents.",
    no_args_is_help=True,
)
app.add_typer(model_app, name="model")
OutOpt = Annotated[Path, typer.Option("--out", help="New model folder (must not exist or be empty).")]


def _bar(desc: str, unit: str) -> Callable[..., None]:
    """A (done, total[, loss]) callback drawing a tqdm bar on stderr, from the first report on
    (an error before any work prints its one line alone)."""
    from tqdm import tqdm

    bars: list[tqdm[None]] = []

    def update(done: int, total: int, loss: float | None = None) -> None:
        if not bars:
            bars.append(tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, dynamic_ncols=True))
        bar = bars[0]
        if loss is not None and loss == loss:  # NaN: the report before the first step
            bar.set_postfix(loss=f"{loss:.3f}", refresh=False)
        bar.update(done - bar.n)
        if done >= total:
            bar.close()

    return update


@model_app.command("upscale")
@reported
def model_upscale(
    base: Annotated[str, typer.Argument(help="A Llama/Mistral/Qwen model folder, or a shipped model: smollm2-135m.")],
    drop: Annotated[int, typer.Option("--drop", help="M: layers cut from each copy; n layers become 2(n−M).")],
    out: OutOpt,
    shard_mb: Annotated[int, typer.Option("--shard-mb", min=16, help="Largest shard written (MB).")] = 2048,
    dtype: Annotated[str | None, typer.Option(help="float32, bfloat16 or float16 (default: as the base).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    debug: DebugOpt = False,
) -> None:
    """Depth up-scaling (Solar's recipe): two copies of the base, the last M layers cut from the first,
    the first M from the second, stacked. Streams tensor by tensor: memory stays near one shard."""
    _quiet_libraries()
    from docpipe.config import Settings
    from docpipe.model.shipped import resolve_base
    from docpipe.model.upscale import upscale

    folder = resolve_base(base, Settings.load(None).cache_dir)
    report = upscale(folder, drop, out, shard_bytes=shard_mb << 20, dtype=dtype, progress=_bar("upscale", "layer"))
    if as_json:
        typer.echo(json.dumps({k: str(v) if isinstance(v, Path) else v for k, v in report.__dict__.items()}))
        return
    typer.echo(f"{report.layers_before} → {report.layers_after} layers, {report.bytes_written / 1e6:.0f} MB"
               f" in {report.shards} shard(s)  → {out}")


@model_app.command("merge")
@reported
def model_merge(
    models: Annotated[list[str], typer.Argument(help="Model folders of one architecture (ties: the first is base).")],
    out: OutOpt,
    method: Annotated[MergeMethod, typer.Option(help="linear (mean), slerp (of two), ties.")] = MergeMethod.LINEAR,
    weights: Annotated[
        str | None, typer.Option(help="Comma-separated, one per model (ties: per model after the base); default equal.")
    ] = None,
    density: Annotated[float, typer.Option(help="ties: share of each model's changes kept.")] = 0.5,
    debug: DebugOpt = False,
) -> None:
    """Merge checkpoints of one architecture tensor by tensor (slerp's t is the second weight's share)."""
    _quiet_libraries()
    from docpipe.config import Settings
    from docpipe.model.merge import merge
    from docpipe.model.shipped import resolve_base

    try:
        w = [float(x) for x in weights.split(",")] if weights else None
    except ValueError:
        raise UsageError(f"--weights {weights!r}: numbers separated by commas, e.g. 0.5,0.5") from None
    cache = Settings.load(None).cache_dir
    folders = [resolve_base(m, cache) for m in models]
    report = merge(folders, out, method=method, weights=w, density=density, progress=_bar("merge", "tensor"))
    typer.echo(f"{report.method} merge of {len(folders)} models ({report.tensors} tensors)  → {out}")


@model_app.command("adapt")
@reported
def model_adapt(
    model: Annotated[str, typer.Argument(help="A model folder, or a shipped model: smollm2-135m.")],
    out: OutOpt,
    steps: Annotated[int | None, typer.Option(help="Optimizer steps (instead of --epochs).")] = None,
    epochs: Annotated[float | None, typer.Option(help="Passes over the training text (default 1).")] = None,
    lora: Annotated[bool, typer.Option("--lora", help="Train LoRA adapters (peft), merged in at the end.")] = False,
    lr: Annotated[float | None, typer.Option(help="Learning rate (default 5e-5 full, 1e-3 LoRA).")] = None,
    block: Annotated[int, typer.Option(help="Tokens per training sequence.")] = 256,
    batch: Annotated[int, typer.Option(help="Sequences per step.")] = 1,
    save_every: Annotated[int, typer.Option(help="Checkpoint every N steps (0: never).")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print perplexities, steps, seconds, tokens.")] = False,
    home: HomeOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Continued pretraining on the documents in the home (their chunks in reading order), a tenth of
    them held out to measure perplexity before and after. Resumable: run the same command again."""
    _quiet_libraries()
    from docpipe.config import Settings
    from docpipe.model.adapt import AdaptOptions, adapt
    from docpipe.model.corpus import home_corpus
    from docpipe.model.shipped import resolve_base

    settings = Settings.load(home)
    corpus = home_corpus(settings.paths)
    folder = resolve_base(model, settings.cache_dir)
    options = AdaptOptions(steps, epochs, lora, lr, block, batch, save_every=save_every)
    report = adapt(folder, corpus, out, options, on_step=_bar("adapt", "step"))
    if as_json:
        typer.echo(json.dumps(report.contract(), indent=2))
        return
    typer.echo(f"held-out perplexity {report.perplexity_before:.2f} → {report.perplexity_after:.2f}"
               f" ({report.steps} steps, {report.tokens} tokens, {report.seconds:.0f} s)  → {out}")


@model_app.command("export-gguf")
@reported
def model_export_gguf(
    model: Annotated[str, typer.Argument(help="A model folder (llama, mistral, qwen2, qwen3; BPE tokenizer).")],
    out: Annotated[Path, typer.Option("--out", help="The .gguf file to write (must not exist).")],
    outtype: Annotated[str, typer.Option(help="f16 (norms stay f32) or f32.")] = "f16",
    debug: DebugOpt = False,
) -> None:
    """Write the model as one GGUF file for llama.cpp (DOCPIPE_LLM_KIND=llama_cpp, or any llama.cpp server)."""
    _quiet_libraries()
    from docpipe.config import Settings
    from docpipe.model.gguf_export import export_gguf
    from docpipe.model.shipped import resolve_base

    folder = resolve_base(model, Settings.load(None).cache_dir)
    report = export_gguf(folder, out, outtype=outtype, progress=_bar("gguf", "tensor"))
    typer.echo(f"{report.arch} GGUF, {report.tensors} tensors, {report.bytes_written / 1e6:.0f} MB  → {out}")


def _bound_url(host: str, port: int, api_token: str | None) -> str:
    """The base URL to bind, after the rule that anything but loopback needs an API token."""
    from docpipe.server.security import check_bind

    try:
        check_bind(host, api_token)
    except ValueError as e:
        raise UsageError(str(e)) from None
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


@app.command()
@reported
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
    except ImportError as e:
        raise DocpipeError(f"{e.name} is missing: pip install 'docpipe[server]'") from None
    settings = Settings.load(home)
    url = _bound_url(host, port, settings.api_token)
    typer.echo(f"docpipe serving {settings.home} at {url}/ (API docs at /docs)", err=True)
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info" if debug else "warning")


class McpTransport(StrEnum):  # here, not in server/mcp_server.py: importing that loads the SDK
    STDIO = "stdio"
    HTTP = "http"


@app.command("mcp")
@reported
def mcp_server(
    transport: Annotated[
        McpTransport, typer.Option(help="stdio (the agent starts docpipe) or http (streamable HTTP at /mcp).")
    ] = McpTransport.STDIO,
    host: Annotated[str, typer.Option(help="http: address to bind; anything but loopback needs DOCPIPE_API_TOKEN.")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="http: port to bind.")] = 8765,
    home: HomeOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Serve docpipe to agents over MCP: tools ingest, search, ask, parse, extract; documents as resources."""
    _quiet_libraries()
    from docpipe.config import Settings

    try:
        from docpipe.server.mcp_server import serve as serve_mcp
    except ImportError as e:
        raise DocpipeError(f"{e.name} is missing: pip install 'docpipe[server]'") from None
    settings = Settings.load(home)
    if transport is McpTransport.HTTP:
        url = _bound_url(host, port, settings.api_token)
        typer.echo(f"docpipe MCP serving {settings.home} at {url}/mcp", err=True)
    serve_mcp(settings, transport.value, host, port)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
