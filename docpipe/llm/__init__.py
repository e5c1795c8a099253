"""Generators by kind: the embedded default, or any OpenAI-compatible server."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from docpipe.llm.base import ChatMessage, Generation, Generator, LLMError


def _embedded(**kw: Any) -> Generator:
    from docpipe.llm.embedded import EmbeddedSmolLM

    return EmbeddedSmolLM(cache_dir=kw.get("cache_dir"))


def _openai(**kw: Any) -> Generator:
    from docpipe.llm.client import OpenAIClient

    if not kw.get("base_url"):
        raise LLMError("an OpenAI-compatible generator needs a base URL (DOCPIPE_LLM_BASE_URL)")
    return OpenAIClient(kw["base_url"], kw.get("model") or "", kw.get("api_key"))


GENERATORS: dict[str, Callable[..., Generator]] = {"embedded": _embedded, "openai": _openai}


def make_generator(
    kind: str,
    *,
    base_url: str | None = None,
    model: str = "",
    api_key: str | None = None,
    cache_dir: Path | None = None,
) -> Generator:
    try:
        factory = GENERATORS[kind]
    except KeyError:
        raise ValueError(f"unknown generator {kind!r}; choose from {sorted(GENERATORS)}") from None
    return factory(base_url=base_url, model=model, api_key=api_key, cache_dir=cache_dir)


__all__ = ["GENERATORS", "ChatMessage", "Generation", "Generator", "LLMError", "make_generator"]
