"""The generator role by kind (docpipe.registry): `llama_cpp`, the in-process default (a shipped
or local GGUF on llama.cpp, run by ik_llama.cpp or xllamacpp as its `runtime` says);
`embedded`, SmolLM2 through transformers; `openai`, any OpenAI-compatible server; third
parties add kinds in the group `docpipe.llm`."""

from __future__ import annotations

from docpipe.llm.base import ChatMessage, Generation, Generator, LLMError, generate_json
from docpipe.options import EmbeddedLLMOptions, LlamaCppOptions, LLMOptions, OpenAIOptions
from docpipe.registry import Registry


def embedded_generator(options: EmbeddedLLMOptions) -> Generator:
    from docpipe.llm.embedded import EmbeddedSmolLM  # transformers only when this kind is made

    return EmbeddedSmolLM(cache_dir=options.cache_dir)


def llama_cpp_generator(options: LlamaCppOptions) -> Generator:
    # Each runtime's wheel is imported only when its generator is made.
    if options.runtime == "xllamacpp":
        from docpipe.llm.llama_cpp import LlamaCppGenerator

        return LlamaCppGenerator(options)
    from docpipe.llm.ik_llama import IkLlamaGenerator

    return IkLlamaGenerator(options)


def openai_generator(options: OpenAIOptions) -> Generator:
    from docpipe.llm.client import OpenAIClient

    if not options.base_url:
        raise LLMError("an OpenAI-compatible generator needs a base URL (DOCPIPE_LLM_BASE_URL)")
    return OpenAIClient(options.base_url, options.model, options.api_key, timeout=options.timeout)


LLMS: Registry[Generator] = Registry(
    "llm",
    # Not "docpipe.llm:embedded": importing the submodule docpipe.llm.embedded rebinds that name.
    {
        "llama_cpp": "docpipe.llm:llama_cpp_generator",
        "embedded": "docpipe.llm:embedded_generator",
        "openai": "docpipe.llm:openai_generator",
    },
    LLMOptions,
    label="generator",
)

__all__ = ["LLMS", "ChatMessage", "Generation", "Generator", "LLMError", "generate_json"]
