"""`docpipe model`: depth up-scaling, merges, continued pretraining and the GGUF export, on the
real SmolLM2-135M (from its shipped GGUF) and on tiny real models made here for bad input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import run_cli

pytestmark = pytest.mark.slow


def _tiny(path: Path, tokenizer_from: Path, *, hidden: int = 64, layers: int = 4, kind: str = "llama") -> Path:
    """A small randomly initialised model saved as a real Hugging Face folder."""
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel, LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    if kind == "gpt2":
        GPT2LMHeadModel(GPT2Config(n_layer=layers, n_embd=hidden, n_head=2, vocab_size=49152)).save_pretrained(path)
    else:
        config = LlamaConfig(
            vocab_size=49152,
            hidden_size=hidden,
            intermediate_size=2 * hidden,
            num_hidden_layers=layers,
            num_attention_heads=4,
            num_key_value_heads=2,
            tie_word_embeddings=True,
        )
        LlamaForCausalLM(config).save_pretrained(path)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(tokenizer_from / name, path / name)
    return path


def _nothing_left(out: Path) -> None:
    assert not out.exists()
    assert not [p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.partial")]


def _one_line_error(proc: Any, *needles: str) -> str:
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("docpipe: ") and "Traceback" not in proc.stderr, proc.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return str(lines[0])


@pytest.fixture(scope="module")
def upscaled(tmp_path_factory: pytest.TempPathFactory, smollm2_folder: Path) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("dus") / "smollm2-48"
    proc = run_cli("model", "upscale", "smollm2-135m", "--drop", "6", "--out", str(out), "--shard-mb", "256", "--json")
    assert proc.returncode == 0, proc.stderr
    return out, json.loads(proc.stdout)


def test_upscaled_model_has_2_n_minus_m_layers_loads_and_generates(
    upscaled: tuple[Path, dict[str, Any]], smollm2_folder: Path
) -> None:
    import torch
    from safetensors import safe_open
    from transformers import AutoModelForCausalLM, AutoTokenizer

    out, report = upscaled
    assert (report["layers_before"], report["layers_after"]) == (30, 48)
    assert report["layer_sources"] == [*range(24), *range(6, 30)]
    assert report["shards"] >= 3  # written in pieces, not as one buffer
    index = json.loads((out / "model.safetensors.index.json").read_text())
    assert {k.split(".")[2] for k in index["weight_map"] if k.startswith("model.layers.")} == {
        str(i) for i in range(48)
    }

    model = AutoModelForCausalLM.from_pretrained(out, dtype=torch.float32)
    assert model.config.num_hidden_layers == 48 and len(model.model.layers) == 48
    with safe_open(str(smollm2_folder / "model.safetensors"), "pt") as base:
        # new layer 24 is the second copy's first kept layer: base layer M = 6
        assert torch.equal(
            model.model.layers[24].self_attn.q_proj.weight, base.get_tensor("model.layers.6.self_attn.q_proj.weight")
        )
        assert torch.equal(
            model.model.layers[23].mlp.down_proj.weight, base.get_tensor("model.layers.23.mlp.down_proj.weight")
        )
    tok = AutoTokenizer.from_pretrained(out)
    ids = tok.apply_chat_template(
        [{"role": "user", "content": "What is the capital of France?"}],
        add_generation_prompt=True,
        return_tensors="pt",
        return_dict=True,
    )
    with torch.inference_mode():
        new = model.generate(**ids, max_new_tokens=12, do_sample=False)[0][ids["input_ids"].shape[1] :]
    assert "Paris" in tok.decode(new, skip_special_tokens=True)


def test_linear_merge_of_a_model_with_itself_at_half_equals_it(smollm2_folder: Path, tmp_path: Path) -> None:
    import torch
    from safetensors import safe_open

    out = tmp_path / "self-merge"
    m = str(smollm2_folder)
    run_cli("model", "merge", m, m, "--method", "linear", "--weights", "0.5,0.5", "--out", str(out), check=True)
    with (
        safe_open(str(smollm2_folder / "model.safetensors"), "pt") as a,
        safe_open(str(out / "model.safetensors"), "pt") as b,
    ):
        assert sorted(a.keys()) == sorted(b.keys()) and len(list(a.keys())) == 272
        assert all(torch.equal(a.get_tensor(k), b.get_tensor(k)) for k in a.keys())  # noqa: SIM118
    assert json.loads((out / "config.json").read_text())["num_hidden_layers"] == 30


def test_slerp_and_ties_of_two_tiny_models(smollm2_folder: Path, tmp_path: Path) -> None:
    import torch
    from safetensors import safe_open

    a = _tiny(tmp_path / "a", smollm2_folder)
    b = tmp_path / "b"
    shutil.copytree(a, b)
    with safe_open(str(a / "model.safetensors"), "pt") as f:
        tensors = {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118
    from safetensors.torch import save_file

    save_file({k: -v if v.ndim > 1 else v for k, v in tensors.items()}, str(b / "model.safetensors"))
    run_cli(
        "model",
        "merge",
        str(a),
        str(b),
        "--method",
        "slerp",
        "--weights",
        "1,1",
        "--out",
        str(tmp_path / "s"),
        check=True,
    )
    run_cli("model", "merge", str(a), str(b), "--method", "ties", "--out", str(tmp_path / "t"), check=True)
    name = "model.layers.0.mlp.up_proj.weight"
    with (
        safe_open(str(tmp_path / "s" / "model.safetensors"), "pt") as s,
        safe_open(str(tmp_path / "t" / "model.safetensors"), "pt") as t,
    ):
        # a and −a are antipodal: slerp at t=0.5 sits on the great circle, orthogonal to both
        mid = s.get_tensor(name)
        assert abs(float((mid * tensors[name]).sum())) < 1e-3 * float(tensors[name].norm() ** 2)
        # TIES from a towards −a, half the changes kept: those entries become −a, the rest stay a
        tied = t.get_tensor(name)
        flipped = torch.isclose(tied, -tensors[name]) & (tensors[name] != 0)
        assert 0.45 < float(flipped.float().mean()) < 0.55


def test_merge_refuses_mismatched_shapes_and_leaves_nothing(smollm2_folder: Path, tmp_path: Path) -> None:
    a = _tiny(tmp_path / "narrow", smollm2_folder, hidden=64)
    b = _tiny(tmp_path / "wide", smollm2_folder, hidden=128)
    out = tmp_path / "merged"
    proc = run_cli("model", "merge", str(a), str(b), "--out", str(out))
    _one_line_error(proc, "wide", "[49152, 128]", "[49152, 64]", "only models of one shape can be merged")
    _nothing_left(out)


def test_unsupported_architecture_and_drop_too_large_are_one_line_errors(smollm2_folder: Path, tmp_path: Path) -> None:
    gpt2 = _tiny(tmp_path / "gpt2", smollm2_folder, kind="gpt2", layers=2, hidden=32)
    out = tmp_path / "up"
    _one_line_error(run_cli("model", "upscale", str(gpt2), "--drop", "0", "--out", str(out)), "'gpt2'", "not supported")
    _nothing_left(out)
    llama = _tiny(tmp_path / "llama4", smollm2_folder, layers=4)
    _one_line_error(run_cli("model", "upscale", str(llama), "--drop", "2", "--out", str(out)), "--drop 2", "n/2 = 2")
    _nothing_left(out)
    proc = run_cli("model", "upscale", str(llama), "--drop", "1", "--out", str(out), "--json", check=True)
    assert json.loads(proc.stdout)["layer_sources"] == [0, 1, 2, 1, 2, 3]


def test_adapt_lowers_held_out_perplexity(adapted: tuple[Path, dict[str, Any]]) -> None:
    out, report = adapted
    assert {"perplexity_before", "perplexity_after", "steps", "seconds", "tokens"} <= set(report)
    assert report["steps"] == 24 and report["tokens"] == 24 * 64 and report["seconds"] > 0
    # three documents (< 10): each one's last tenth in reading order is held out, the rest trained on
    assert report["split"] == "text" and report["train_documents"] == 3
    assert sorted(report["held_out_documents"]) == ["invoice_acme.pdf", "invoice_multipage.pdf", "two_column.pdf"]
    assert report["perplexity_after"] < report["perplexity_before"]
    lower = [name for name, p in report["per_document"].items() if p["after"] < p["before"]]
    assert len(lower) >= 2, report["per_document"]  # not one document's table rows carrying the mean
    config = json.loads((out / "config.json").read_text())
    assert config["num_hidden_layers"] == 30 and not (out / "adapter_config.json").exists()  # LoRA merged in
    assert not list(out.parent.glob(f".{out.name}.checkpoint*"))


def test_adapt_resumes_from_its_checkpoint(smollm2_folder: Path, text_home: Path, tmp_path: Path) -> None:
    """Ctrl-C after the step-4 checkpoint; the same call again goes on from step 4."""
    from docpipe.config import Home
    from docpipe.model.adapt import AdaptOptions, adapt, checkpoint_dir
    from docpipe.model.corpus import home_corpus
    from docpipe.model.folder import ModelFolder

    tiny = ModelFolder.open(_tiny(tmp_path / "tiny", smollm2_folder))
    corpus = home_corpus(Home(text_home))
    options = AdaptOptions(steps=8, block=64, save_every=4, lr=1e-3)
    out = tmp_path / "tiny-docs"

    def interrupt(step: int, total: int, loss: float) -> None:
        if step == 6:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        adapt(tiny, corpus, out, options, device="cpu", on_step=interrupt)
    _nothing_left(out)
    assert json.loads((checkpoint_dir(out) / "state.json").read_text())["step"] == 4
    report = adapt(tiny, corpus, out, options, device="cpu")
    assert report.resumed_from == 4 and report.steps == 8 and report.tokens == 4 * 64
    assert (out / "model.safetensors").is_file() and not checkpoint_dir(out).exists()


def test_gradient_checkpointing_trains_the_same_weights_and_may_be_toggled_on_resume(
    smollm2_folder: Path, text_home: Path, tmp_path: Path
) -> None:
    """Checkpointing recomputes activations in the backward pass: the same steps give the same
    model (full weights and LoRA), and a run checkpointed without it resumes with it."""
    from docpipe.config import Home
    from docpipe.model.adapt import AdaptOptions, adapt, checkpoint_dir
    from docpipe.model.corpus import home_corpus
    from docpipe.model.folder import ModelFolder

    tiny = ModelFolder.open(_tiny(tmp_path / "tiny", smollm2_folder))
    corpus = home_corpus(Home(text_home))
    for lora in (False, True):
        runs = {}
        for gc in (False, True):
            options = AdaptOptions(steps=4, block=64, save_every=0, lr=1e-3, lora=lora, gradient_checkpointing=gc)
            runs[gc] = adapt(tiny, corpus, tmp_path / f"out-{lora}-{gc}", options, device="cpu")
            assert runs[gc].gradient_checkpointing is gc
        assert runs[True].perplexity_after == pytest.approx(runs[False].perplexity_after, rel=1e-4)
        assert runs[True].perplexity_after < runs[True].perplexity_before
    saved = json.loads((tmp_path / "out-False-True" / "config.json").read_text())
    assert saved.get("use_cache", True) is True  # served with a KV cache, as the base was

    out = tmp_path / "resumed"

    def interrupt(step: int, total: int, loss: float) -> None:
        if step == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        adapt(tiny, corpus, out, AdaptOptions(steps=4, block=64, save_every=2, gradient_checkpointing=False),
              device="cpu", on_step=interrupt)  # fmt: skip
    report = adapt(tiny, corpus, out, AdaptOptions(steps=4, block=64, save_every=2, gradient_checkpointing=True),
                   device="cpu")  # fmt: skip
    assert report.resumed_from == 2 and report.gradient_checkpointing and not checkpoint_dir(out).exists()


def test_adapt_on_a_home_without_documents_is_one_line(tmp_path: Path) -> None:
    out = tmp_path / "x"
    proc = run_cli("model", "adapt", "smollm2-135m", "--out", str(out), "--steps", "2", home=tmp_path / "empty")
    _one_line_error(proc, "nothing ingested in", "empty")
    _nothing_left(out)


def test_adapt_on_a_home_whose_documents_were_removed_is_one_line(text_home: Path, tmp_path: Path) -> None:
    """The store exists but holds no document: the same refusal, in one line, nothing written."""
    home = tmp_path / "emptied"
    shutil.copytree(text_home, home)
    run_cli("rm", "two_column.pdf", "invoice_acme.pdf", "invoice_multipage.pdf", home=home, check=True)
    out = tmp_path / "x"
    proc = run_cli("model", "adapt", "smollm2-135m", "--out", str(out), "--steps", "2", home=home)
    _one_line_error(proc, "emptied", "0 document(s) with text", "docpipe ingest")
    _nothing_left(out)


def test_a_target_that_holds_files_is_refused_and_left_as_it_was(smollm2_folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "taken"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    m = str(smollm2_folder)
    for args in (("upscale", m, "--drop", "6"), ("merge", m, m)):
        _one_line_error(run_cli("model", *args, "--out", str(out)), "taken", "already exists and is not empty")
        assert [p.name for p in out.iterdir()] == ["notes.txt"] and (out / "notes.txt").read_text() == "mine"
        assert not list(tmp_path.glob(".taken.partial*"))


def test_upscale_interrupted_mid_write_leaves_nothing(smollm2_folder: Path, tmp_path: Path) -> None:
    """A real Ctrl-C (SIGINT) once the first shards are on disk: no DIR, no partial folder."""
    import signal
    import subprocess
    import time

    from tests.conftest import DOCPIPE, ROOT

    # The whole write takes ~1.5 s; on a loaded machine this loop may see the first shard only as
    # the last is written, and a SIGINT then lands after the work is done (exit 0, DIR complete,
    # which is right too). So up to three tries, and at least one must be cut mid-write.
    for attempt in range(3):
        out = tmp_path / f"up{attempt}"
        cmd = [*DOCPIPE, "model", "upscale", str(smollm2_folder), "--drop", "6", "--out", str(out), "--shard-mb", "16"]
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 300
        while not any(tmp_path.glob(f".{out.name}.partial-*/*.safetensors")) and proc.poll() is None:
            assert time.monotonic() < deadline, "no shard written in 300 s"
            time.sleep(0.02)
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=120)
        assert "Traceback" not in stderr, stderr
        if proc.returncode == 0:  # finished before the signal: complete, nothing partial beside it
            assert (out / "config.json").is_file()
            assert not [p for p in tmp_path.iterdir() if p.name.startswith(f".{out.name}.partial")]
            continue
        _nothing_left(out)
        return
    pytest.fail("the upscale finished before SIGINT three times: nothing was interrupted")


def test_gguf_export_loads_and_generates_in_llama_cpp(smollm2_folder: Path, tmp_path: Path) -> None:
    xllamacpp = pytest.importorskip("xllamacpp")
    out = tmp_path / "smollm2.gguf"
    run_cli("model", "export-gguf", str(smollm2_folder), "--out", str(out), check=True)
    params = xllamacpp.CommonParams()
    params.model.path = str(out)
    params.n_ctx = 512
    params.n_parallel = 1
    params.verbosity = -1
    server = xllamacpp.Server(params)
    reply = server.handle_chat_completions(
        {
            "messages": [{"role": "user", "content": "What is the capital of France?"}],
            "max_tokens": 16,
            "temperature": 0,
        }
    )
    assert "Paris" in reply["choices"][0]["message"]["content"]
    assert reply["usage"]["prompt_tokens"] < 60  # the chat template's special tokens read as one token each
