"""The ik_llama.cpp runtime of the llama_cpp generator: chosen by name, the same greedy reply
as xllamacpp's, a prompt cache that reads only what changed, and a quiet load."""

from __future__ import annotations

import logging
import platform
import re
import subprocess
import sys

import pytest

from docpipe.config import Settings
from docpipe.llm import LLMS
from docpipe.llm.ik_llama import IkLlamaGenerator, _has_avx_vnni, _utf8_prefix, cpu_features, native_library
from docpipe.llm.llama_cpp import LlamaCppGenerator
from docpipe.options import LlamaCppOptions

INVOICE = (
    "Rechnung Nr. RE-2024-0117 vom 3. Mai 2024.\nPosition: Beratung, 4 Stunden, 480,00 EUR.\n"
    "Nettobetrag 710,25 EUR. MwSt 19 % 134,95 EUR. Gesamtbetrag: 845,20 EUR.\n"
)


def test_the_runtime_is_chosen_by_name_and_ik_llama_is_the_default() -> None:
    assert isinstance(LLMS.create(LlamaCppOptions()), IkLlamaGenerator)
    assert isinstance(LLMS.create(LlamaCppOptions(runtime="xllamacpp")), LlamaCppGenerator)
    assert Settings().llm.runtime == "ik_llama"  # type: ignore[union-attr]


@pytest.mark.skipif(platform.machine() != "x86_64", reason="x86 SIMD names")
def test_the_library_says_which_kernels_it_was_built_with() -> None:
    features = cpu_features()
    assert "AVX2" in features and "NEON" not in features  # PyPI's wheel has AVX2; the native build more
    assert IkLlamaGenerator().runtime.startswith("ik_llama.cpp (AVX")
    if native_library().is_file() and _has_avx_vnni():  # make install built it for this CPU: it is loaded
        assert "AVX_VNNI" in features


def test_a_character_split_across_tokens_waits_for_its_last_byte() -> None:
    won = "원".encode()  # three bytes, often two tokens
    assert _utf8_prefix(b"total " + won[:2]) == ("total ", won[:2])
    assert _utf8_prefix(won[:2] + won[2:]) == ("원", b"")
    assert _utf8_prefix(b"") == ("", b"")


@pytest.mark.slow
def test_both_runtimes_give_the_same_greedy_reply() -> None:
    options = LlamaCppOptions(cache_dir=Settings().cache_dir)
    messages = [
        {"role": "system", "content": "Answer with the value only."},
        {"role": "user", "content": INVOICE + "On what date was the invoice issued?"},
    ]
    ik = IkLlamaGenerator(options).generate(messages, max_tokens=24)
    xl = LlamaCppGenerator(options.model_copy(update={"runtime": "xllamacpp"})).generate(messages, max_tokens=24)
    assert ik.text == "3. Mai 2024"
    assert ik.text == xl.text and ik.prompt_tokens == xl.prompt_tokens


@pytest.mark.slow
def test_the_next_question_on_the_same_passages_reads_only_the_new_tokens(caplog: pytest.LogCaptureFixture) -> None:
    gen = IkLlamaGenerator(LlamaCppOptions(cache_dir=Settings().cache_dir))
    first = [{"role": "user", "content": INVOICE * 8 + "What is the invoice number?"}]
    second = [{"role": "user", "content": INVOICE * 8 + "What is the total (Gesamtbetrag)?"}]
    with caplog.at_level(logging.DEBUG, logger="docpipe.llm"):
        gen.generate(first, max_tokens=32)
        caplog.clear()
        out = gen.generate(second, max_tokens=32)
    assert "845,20" in out.text
    (line,) = [r.getMessage() for r in caplog.records if "prompt tokens" in r.getMessage()]
    m = re.search(r"read (\d+) prompt tokens \((\d+) from its cache\)", line)
    assert m, line
    read, cached = int(m[1]), int(m[2])
    assert read == out.prompt_tokens and cached >= read - 15


@pytest.mark.slow
def test_loading_and_answering_print_nothing_but_the_answer() -> None:
    code = (
        "from docpipe.config import Settings\n"
        "from docpipe.llm.ik_llama import IkLlamaGenerator\n"
        "from docpipe.llm.base import generate_json\n"
        "from docpipe.options import LlamaCppOptions\n"
        "g = IkLlamaGenerator(LlamaCppOptions(cache_dir=Settings().cache_dir))\n"
        "schema = {'type': 'object', 'properties': {'number': {'type': 'string'}}, 'required': ['number']}\n"
        f"v, _ = generate_json(g, [{{'role': 'user', 'content': {INVOICE!r} + 'Invoice number as JSON.'}}], schema)\n"
        "print(v['number'])\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stderr == "" and proc.stdout == "RE-2024-0117\n"
