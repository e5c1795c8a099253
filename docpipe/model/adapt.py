"""Continued pretraining on a home's documents: next-token loss on the training text, perplexity
on the held-out text (corpus.py says which) before and after; full weights or LoRA (peft), merged back into
a plain model folder at the end so vLLM serves it and the GGUF export reads it.

Checkpoints go to a folder beside the target (.NAME.checkpoint) every `save_every` steps; the
same command run again resumes from the last one. The data order is a function of the seed and
the epoch, so a resumed run sees the batches an uninterrupted one would have.
"""

from __future__ import annotations

import json
import math
import os
import resource
import shutil
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from docpipe.errors import ModelBuildError, UsageError, shown
from docpipe.model.corpus import Corpus
from docpipe.model.folder import ModelFolder
from docpipe.model.staging import check_target, staged

LORA_TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
StepReport = Callable[[int, int, float], None]  # (step, total steps, loss)


@dataclass(frozen=True)
class AdaptOptions:
    steps: int | None = None  # exactly this many optimizer steps, or
    epochs: float | None = None  # passes over the training text (default 1 when neither is given)
    lora: bool = False
    lr: float | None = None  # default: 5e-5 full, 1e-3 LoRA
    block: int = 256  # tokens per sequence
    batch: int = 1  # sequences per step
    lora_rank: int = 16
    save_every: int = 50
    seed: int = 0
    # Recompute each layer's activations in the backward pass instead of keeping them: less
    # memory for ~30 % more compute. None = where it pays (gradient_checkpointing_default).
    gradient_checkpointing: bool | None = None

    def learning_rate(self) -> float:
        return self.lr if self.lr is not None else (1e-3 if self.lora else 5e-5)

    def check(self) -> None:
        if self.steps is not None and self.epochs is not None:
            raise UsageError("--steps and --epochs: give one of them")
        if self.steps is not None and self.steps < 1:
            raise UsageError(f"--steps {self.steps}: must be at least 1")
        if self.epochs is not None and self.epochs <= 0:
            raise UsageError(f"--epochs {self.epochs}: must be more than 0")
        if self.block < 16 or self.batch < 1:
            raise UsageError("--block must be at least 16 tokens and --batch at least 1")


@dataclass
class AdaptReport:
    perplexity_before: float
    perplexity_after: float
    steps: int
    seconds: float  # training steps only (perplexity passes and saving excluded)
    tokens: int  # training tokens seen
    held_out_tokens: int
    train_documents: int
    held_out_documents: list[str]
    split: str  # "documents": whole documents held out; "text": the last tenth of each one
    device: str
    lora: bool
    resumed_from: int = 0
    peak_rss_mb: float = 0.0
    gradient_checkpointing: bool = False
    per_document: dict[str, dict[str, float]] = field(default_factory=dict)

    def contract(self) -> dict[str, Any]:
        return asdict(self)


def token_stream(tok: Any, texts: list[str]) -> list[int]:
    """Documents one after another, each ended by EOS so none runs into the next."""
    ids: list[int] = []
    for text in texts:
        ids += tok(text, add_special_tokens=False)["input_ids"] + [tok.eos_token_id]
    return ids


def blocks(ids: list[int], size: int, keep_tail: bool) -> list[list[int]]:
    out = [ids[i : i + size] for i in range(0, len(ids), size)]
    if out and len(out[-1]) < size and not keep_tail and len(out) > 1:
        out.pop()  # training: equal lengths; evaluation keeps every token
    return [b for b in out if len(b) > 1]


def perplexity(model: Any, seqs: list[list[int]], device: str) -> tuple[float, int]:
    """exp(mean next-token loss) over every predicted token of the sequences, and that count."""
    import torch

    model.eval()
    nll, count = 0.0, 0
    with torch.inference_mode():
        for seq in seqs:
            x = torch.tensor([seq], device=device)
            loss = model(input_ids=x, labels=x).loss
            n = len(seq) - 1
            nll += float(loss) * n
            count += n
    return (math.exp(nll / count) if count else float("nan")), count


# From here on a model's activations, not its weights, decide whether it fits: Mistral-7B and
# the 10.7B upscale. Below it (SmolLM2 on a laptop CPU) checkpointing costs time and saves
# little (measured in bench/model.json: "gradient_checkpointing").
CHECKPOINTING_FROM_PARAMS = 1_000_000_000


def gradient_checkpointing_default(device: str, n_params: int) -> bool:
    """On for CUDA (GPU memory is what runs out) and for large models anywhere."""
    return device == "cuda" or n_params >= CHECKPOINTING_FROM_PARAMS


def held_out(model: Any, held: dict[str, list[list[int]]], device: str) -> tuple[float, int, dict[str, float]]:
    """Perplexity over all held-out text, its token count, and each document's: one pass, the
    overall figure pooled from the documents' losses (a second pass over the same text doubled
    the evaluation time, which on a 48-layer model under load outlasted the training)."""
    nll, count, per_doc = 0.0, 0, {}
    for name, seqs in held.items():
        value, n = perplexity(model, seqs, device)
        per_doc[name] = value
        if n:
            nll += math.log(value) * n
            count += n
    return (math.exp(nll / count) if count else float("nan")), count, per_doc


def checkpoint_dir(out: Path) -> Path:
    return out.parent / f".{out.name}.checkpoint"


def _fingerprint(model: ModelFolder, corpus: Corpus, options: AdaptOptions) -> dict[str, Any]:
    """What a checkpoint must match to be resumed: the model, the data and the settings."""
    return {
        "model": str(model.path.resolve()),
        "train": sorted(d.sha256 for d in corpus.train),
        "held_out": sorted(d.sha256 for d in corpus.held_out),
        "split": corpus.split,
        # Checkpointing changes memory and time, not the training: a run may resume with it toggled.
        "options": {k: v for k, v in asdict(options).items() if k != "gradient_checkpointing"},
    }


def adapt(
    model: ModelFolder,
    corpus: Corpus,
    out: Path,
    options: AdaptOptions,
    *,
    device: str | None = None,
    on_step: StepReport | None = None,
) -> AdaptReport:
    options.check()
    check_target(out)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from docpipe.runtime import torch_device

    device = device or torch_device()
    tok = AutoTokenizer.from_pretrained(str(model.path))
    dtype = torch.bfloat16 if device == "cuda" and torch.cuda.is_bf16_supported() else torch.float32
    hf: Any = AutoModelForCausalLM.from_pretrained(str(model.path), dtype=dtype)
    hf = hf.to(device)
    train = blocks(token_stream(tok, [d.text for d in corpus.train]), options.block, keep_tail=False)
    held = {d.name: blocks(token_stream(tok, [d.text]), options.block, keep_tail=True) for d in corpus.held_out}
    if not train:
        raise ModelBuildError("the training documents hold no text to learn from")
    per_batch = math.ceil(len(train) / options.batch)
    total = options.steps or max(1, math.ceil((options.epochs or 1.0) * per_batch))

    before, n_held, per_before = held_out(hf, held, device)
    per_doc = {name: {"before": value} for name, value in per_before.items()}

    checkpointing = options.gradient_checkpointing
    if checkpointing is None:
        checkpointing = gradient_checkpointing_default(device, sum(p.numel() for p in hf.parameters()))
    if checkpointing:
        hf.config.use_cache = False  # a KV cache is useless in training and clashes with checkpointing
        # Non-reentrant: works with LoRA's frozen inputs without enable_input_require_grads().
        # transformers 5 renamed it (the old name warns, and goes in v6); older ones have only the old.
        if hasattr(hf, "activation_checkpointing_enable"):
            hf.activation_checkpointing_enable(activation_checkpointing_kwargs={"use_reentrant": False})
        else:
            hf.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})

    torch.manual_seed(options.seed)  # LoRA's A matrices start random: the same run gives the same model
    if options.lora:
        from peft import LoraConfig, get_peft_model

        config = LoraConfig(
            r=options.lora_rank, lora_alpha=2 * options.lora_rank, target_modules=LORA_TARGETS, task_type="CAUSAL_LM"
        )
        with warnings.catch_warnings():  # transformers' deprecation notes about peft's own calls
            warnings.simplefilter("ignore", FutureWarning)
            hf = get_peft_model(hf, config)
    params = [p for p in hf.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=options.learning_rate(), weight_decay=0.0)
    warmup = max(1, min(20, total // 10))
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: min(1.0, (s + 1) / warmup))

    ckpt = checkpoint_dir(out)
    fingerprint = _fingerprint(model, corpus, options)
    start = _resume(ckpt, fingerprint, hf, optimizer, schedule)

    hf.train()
    if on_step:
        on_step(start, total, float("nan"))  # the bar starts here, so its rate counts steps only
    seconds = 0.0
    step = start
    for step in range(start, total):
        epoch, within = divmod(step, per_batch)
        order = torch.randperm(len(train), generator=torch.Generator().manual_seed(options.seed + epoch)).tolist()
        chosen = [train[i] for i in order[within * options.batch : (within + 1) * options.batch]]
        t0 = time.perf_counter()
        x = torch.tensor(chosen, device=device)
        loss = hf(input_ids=x, labels=x).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad(set_to_none=True)
        seconds += time.perf_counter() - t0
        if on_step:
            on_step(step + 1, total, float(loss.detach()))
        if options.save_every and (step + 1) % options.save_every == 0 and step + 1 < total:
            _save_checkpoint(ckpt, fingerprint, step + 1, hf, optimizer, schedule)
    steps_run = total - start

    if options.lora:
        hf = hf.merge_and_unload()  # a plain model again: servable and exportable like any other
    if checkpointing:
        (getattr(hf, "activation_checkpointing_disable", None) or hf.gradient_checkpointing_disable)()
        hf.config.use_cache = True  # the saved config serves with a cache, as the base did
    after, _, per_after = held_out(hf, held, device)
    for name, value in per_after.items():
        per_doc[name]["after"] = value

    with staged(out) as tmp:
        hf.save_pretrained(tmp)
        model.copy_side_files(tmp)
        recipe = {"method": "continued-pretraining", "base": str(model.path), **fingerprint, "steps": total}
        (tmp / "docpipe_recipe.json").write_text(json.dumps(recipe, indent=2))
    shutil.rmtree(ckpt, ignore_errors=True)
    return AdaptReport(
        perplexity_before=before,
        perplexity_after=after,
        steps=total,
        seconds=seconds,
        tokens=steps_run * options.batch * options.block,
        held_out_tokens=n_held,
        train_documents=len(corpus.train),
        held_out_documents=[d.name for d in corpus.held_out],
        split=corpus.split,
        device=device,
        lora=options.lora,
        resumed_from=start,
        peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        per_document=per_doc,
        gradient_checkpointing=checkpointing,
    )


def _trainable_state(model: Any) -> dict[str, Any]:
    return {n: p.detach().cpu() for n, p in model.named_parameters() if p.requires_grad}


def _save_checkpoint(ckpt: Path, fingerprint: dict[str, Any], step: int, model: Any, opt: Any, sched: Any) -> None:
    """Written beside the last one and swapped in: a kill mid-save keeps the previous checkpoint."""
    import torch
    from safetensors.torch import save_file

    tmp = ckpt.with_name(ckpt.name + ".new")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    save_file({k: v.contiguous() for k, v in _trainable_state(model).items()}, str(tmp / "trainable.safetensors"))
    torch.save({"optimizer": opt.state_dict(), "schedule": sched.state_dict()}, tmp / "optimizer.pt")
    (tmp / "state.json").write_text(json.dumps({"step": step, **fingerprint}))
    old = ckpt.with_name(ckpt.name + ".old")
    if ckpt.exists():
        os.replace(ckpt, old)
    os.replace(tmp, ckpt)
    shutil.rmtree(old, ignore_errors=True)


def _resume(ckpt: Path, fingerprint: dict[str, Any], model: Any, opt: Any, sched: Any) -> int:
    state_file = ckpt / "state.json"
    if not state_file.is_file():
        return 0
    state = json.loads(state_file.read_text())
    step = int(state.pop("step"))
    if state != json.loads(json.dumps(fingerprint)):
        raise ModelBuildError(
            f"{shown(ckpt)} holds a checkpoint of another run (model, documents or options differ):"
            " run that command again to resume it, or remove the folder"
        )
    import torch
    from safetensors.torch import load_file

    saved = load_file(str(ckpt / "trainable.safetensors"))
    params = dict(model.named_parameters())
    with torch.no_grad():
        for name, value in saved.items():
            params[name].copy_(value.to(params[name].device))
    extra = torch.load(ckpt / "optimizer.pt", weights_only=True)
    opt.load_state_dict(extra["optimizer"])
    sched.load_state_dict(extra["schedule"])
    return step


def held_out_perplexity(model: ModelFolder, corpus: Corpus, block: int = 256, device: str | None = None) -> float:
    """The held-out perplexity `adapt` reports, for a model that is not being trained (a baseline)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from docpipe.runtime import torch_device

    device = device or torch_device()
    tok = AutoTokenizer.from_pretrained(str(model.path))
    hf: Any = AutoModelForCausalLM.from_pretrained(str(model.path), dtype=torch.float32)
    seqs = [b for d in corpus.held_out for b in blocks(token_stream(tok, [d.text]), block, keep_tail=True)]
    return perplexity(hf.to(device), seqs, device)[0]
