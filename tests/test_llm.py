"""The LLM side: the embedded model really generates, the client fails clearly, vLLM argv."""

from __future__ import annotations

import json
import socket
import sys
from pathlib import Path

import pytest

from docpipe.errors import UnknownEngineError
from docpipe.llm import LLMS, LLMError
from docpipe.llm.client import OpenAIClient
from docpipe.llm.serve import CARDS, load_card, vllm_command
from docpipe.options import EmbeddedLLMOptions, OpenAIOptions

SOLAR = CARDS / "solar-10.7b-instruct.toml"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_client_names_the_url_when_the_server_is_down() -> None:
    url = f"http://127.0.0.1:{_closed_port()}/v1"
    client = OpenAIClient(url, "m", retries=1)
    with pytest.raises(LLMError, match=r"127\.0\.0\.1.*not reachable"):
        client.generate([{"role": "user", "content": "hi"}])


def test_registry_knows_both_kinds_and_refuses_others() -> None:
    assert set(LLMS.kinds()) >= {"embedded", "openai"}
    choose = r"unknown generator 'gpt-magic'; choose from .*embedded, llama_cpp, openai"
    with pytest.raises(UnknownEngineError, match=choose):
        LLMS.create("gpt-magic")
    with pytest.raises(LLMError, match="base URL"):
        LLMS.create("openai")


def test_vllm_command_for_solar_on_gpu_is_exact() -> None:
    cmd = vllm_command(load_card(SOLAR), host="0.0.0.0", port=8000, python="python")
    assert cmd == [
        "python",
        "-m",
        "vllm.entrypoints.openai.api_server",
        "--model",
        "upstage/SOLAR-10.7B-Instruct-v1.0",
        "--served-model-name",
        "solar-10.7b-instruct",
        "--max-model-len",
        "4096",
        "--dtype",
        "bfloat16",
        "--host",
        "0.0.0.0",
        "--port",
        "8000",
        "--gpu-memory-utilization",
        "0.9",
        "--tensor-parallel-size",
        "1",
        "--structured-outputs-config",
        '{"backend":"guidance","disable_any_whitespace":true}',
    ]


def test_vllm_command_constrains_replies_to_compact_json_with_llguidance() -> None:
    """vLLM's default grammar let SmolLM2 pad the reply's JSON with newlines until max_tokens cut it;
    every card variant asks for llguidance and no free whitespace (only a backend that takes the flag)."""
    for variant in (None, "quantized", "cpu"):
        cmd = vllm_command(load_card(SOLAR, variant), python="python")
        config = json.loads(cmd[cmd.index("--structured-outputs-config") + 1])
        assert config == {"backend": "guidance", "disable_any_whitespace": True}
    outlines = load_card(SOLAR).model_copy(update={"structured_outputs_backend": "outlines"})
    cmd = vllm_command(outlines, python="python")
    assert json.loads(cmd[cmd.index("--structured-outputs-config") + 1]) == {"backend": "outlines"}


def test_vllm_command_variants_quantized_and_cpu() -> None:
    awq = vllm_command(load_card(SOLAR, "quantized"), python="python")
    assert awq[awq.index("--quantization") + 1] == "awq"
    assert awq[awq.index("--model") + 1] == "TheBloke/SOLAR-10.7B-Instruct-v1.0-AWQ"
    cpu = vllm_command(load_card(SOLAR, "cpu"), model_override="/models/smol", python="python")
    assert cpu[cpu.index("--dtype") + 1] == "float32" and "--gpu-memory-utilization" not in cpu
    assert cpu[cpu.index("--model") + 1] == "/models/smol"
    assert cpu[cpu.index("--max-model-len") + 1] == "2048"


@pytest.mark.slow
def test_embedded_model_answers_from_the_prompt(tmp_path: Path) -> None:
    gen = LLMS.create(EmbeddedLLMOptions(cache_dir=Path.home() / ".cache" / "docpipe"))
    out = gen.generate(
        [{"role": "user", "content": "What is the capital of France? Answer in one sentence."}], max_tokens=20
    )
    assert "Paris" in out.text
    assert out.model == "SmolLM2-135M-Instruct" and out.completion_tokens > 0 and out.prompt_tokens > 10


@pytest.mark.slow
def test_llm_serve_dry_run_prints_the_command() -> None:
    import subprocess

    proc = subprocess.run(
        [sys.executable, "-m", "docpipe.cli", "llm", "serve", "--dry-run"], capture_output=True, text=True, check=True
    )
    assert "vllm.entrypoints.openai.api_server" in proc.stdout and "--max-model-len 4096" in proc.stdout


def test_each_kind_resolves_to_its_factory_even_after_its_module_is_imported() -> None:
    import docpipe.llm.client
    import docpipe.llm.embedded  # rebinds docpipe.llm.embedded: the factories must not share that name

    assert callable(LLMS.factory("embedded")) and callable(LLMS.factory("openai"))
    client = LLMS.create(OpenAIOptions(base_url="http://127.0.0.1:1/v1", model="m", timeout=5))
    assert isinstance(client, docpipe.llm.client.OpenAIClient) and client.name == "m"
    assert isinstance(LLMS.create("embedded"), docpipe.llm.embedded.EmbeddedSmolLM)


def test_serve_command_lays_the_variant_over_the_card_with_its_environment(tmp_path: Path) -> None:
    from docpipe.errors import DocpipeError, UsageError
    from docpipe.llm.serve import serve_command

    gpu = serve_command(port=8123)
    assert gpu.base_url == "http://127.0.0.1:8123/v1" and gpu.env == {}
    assert "--gpu-memory-utilization" in gpu.argv and gpu.argv[gpu.argv.index("--dtype") + 1] == "bfloat16"
    cpu = serve_command(variant="cpu", model="/models/solar", served_name="solar")
    assert cpu.shell().startswith("VLLM_CPU_KVCACHE_SPACE=1 HF_HUB_OFFLINE=1 ")
    assert cpu.argv[cpu.argv.index("--model") + 1] == "/models/solar" and "--gpu-memory-utilization" not in cpu.argv
    assert cpu.argv[cpu.argv.index("--served-model-name") + 1] == "solar"
    with pytest.raises(UsageError, match=r"has no \[nope\] section"):
        serve_command(variant="nope")
    with pytest.raises(DocpipeError, match="no such serving card"):
        serve_command(tmp_path / "missing.toml")
