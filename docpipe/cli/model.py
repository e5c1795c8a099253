"""`docpipe model …`: depth up-scaling, merges, continued pretraining and GGUF export."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from docpipe.cli.common import DebugOpt, HomeOpt, quiet_libraries, reported
from docpipe.cli.root import app
from docpipe.errors import UsageError
from docpipe.model.merge import MergeMethod

model_app = typer.Typer(
    help="Build models of your own: depth up-scaling, merges, continued pretraining on your documents.",
    no_args_is_help=True,
)
app.add_typer(model_app, name="model", rich_help_panel="Models")
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
    quiet_libraries()
    from docpipe.config import Settings
    from docpipe.model.shipped import resolve_base
    from docpipe.model.upscale import upscale

    folder = resolve_base(base, Settings.load(None).cache_dir)
    report = upscale(folder, drop, out, shard_bytes=shard_mb << 20, dtype=dtype, progress=_bar("upscale", "layer"))
    if as_json:
        typer.echo(json.dumps({k: str(v) if isinstance(v, Path) else v for k, v in report.__dict__.items()}))
        return
    typer.echo(
        f"{report.layers_before} → {report.layers_after} layers, {report.bytes_written / 1e6:.0f} MB"
        f" in {report.shards} shard(s)  → {out}"
    )


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
    quiet_libraries()
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
    gradient_checkpointing: Annotated[
        bool | None,
        typer.Option(
            "--gradient-checkpointing/--no-gradient-checkpointing",
            help="Recompute activations in the backward pass: less memory, ~30% more time "
            "(default: on for CUDA and models of 1B parameters or more).",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print perplexities, steps, seconds, tokens.")] = False,
    home: HomeOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Continued pretraining on the documents in the home (their chunks in reading order), a tenth
    held out to measure perplexity before and after: from 10 documents on, a tenth of the documents;
    with fewer, the last tenth of each document's text. Resumable: run the same command again."""
    quiet_libraries()
    from docpipe.config import Settings
    from docpipe.model.adapt import AdaptOptions, adapt
    from docpipe.model.corpus import home_corpus
    from docpipe.model.shipped import resolve_base

    settings = Settings.load(home)
    corpus = home_corpus(settings.paths)
    folder = resolve_base(model, settings.cache_dir)
    options = AdaptOptions(
        steps, epochs, lora, lr, block, batch, save_every=save_every, gradient_checkpointing=gradient_checkpointing
    )
    report = adapt(folder, corpus, out, options, on_step=_bar("adapt", "step"))
    if as_json:
        typer.echo(json.dumps(report.contract(), indent=2))
        return
    typer.echo(
        f"held-out perplexity {report.perplexity_before:.2f} → {report.perplexity_after:.2f}"
        f" ({report.steps} steps, {report.tokens} tokens, {report.seconds:.0f} s)  → {out}"
    )


@model_app.command("export-gguf")
@reported
def model_export_gguf(
    model: Annotated[str, typer.Argument(help="A model folder (llama, mistral, qwen2, qwen3; BPE tokenizer).")],
    out: Annotated[Path, typer.Option("--out", help="The .gguf file to write (must not exist).")],
    outtype: Annotated[str, typer.Option(help="f16 (norms stay f32) or f32.")] = "f16",
    debug: DebugOpt = False,
) -> None:
    """Write the model as one GGUF file for llama.cpp (DOCPIPE_LLM_KIND=llama_cpp, or any llama.cpp server)."""
    quiet_libraries()
    from docpipe.config import Settings
    from docpipe.model.gguf_export import export_gguf
    from docpipe.model.shipped import resolve_base

    folder = resolve_base(model, Settings.load(None).cache_dir)
    report = export_gguf(folder, out, outtype=outtype, progress=_bar("gguf", "tensor"))
    typer.echo(f"{report.arch} GGUF, {report.tensors} tensors, {report.bytes_written / 1e6:.0f} MB  → {out}")
