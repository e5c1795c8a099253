"""The generator role: chat messages in, text out, from a server or an embedded model."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol, TypedDict

from docpipe.errors import LLMError

__all__ = ["ChatMessage", "Generation", "Generator", "LLMError", "generate_json"]


class ChatMessage(TypedDict):
    role: str
    content: str


@dataclass(frozen=True)
class Generation:
    text: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    latency_s: float


class Generator(Protocol):
    @property
    def name(self) -> str: ...

    def warm_up(self) -> None: ...

    def generate(
        self,
        messages: list[ChatMessage],
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
        json_schema: dict[str, Any] | None = None,
    ) -> Generation: ...

    def stream(self, messages: list[ChatMessage], *, max_tokens: int = 256, temperature: float = 0.0) -> Iterator[str]:
        """Text pieces as the model produces them."""
        ...

    def count_tokens(self, text: str) -> int: ...

    @property
    def context_window(self) -> int: ...


def generate_json(
    generator: Generator, messages: list[ChatMessage], schema: dict[str, Any], *, max_tokens: int = 512
) -> tuple[dict[str, Any], Generation]:
    """A reply constrained to `schema` (llama.cpp's grammar, vLLM's guided decoding), parsed.

    The constraint makes it valid JSON of that shape unless max_tokens cut it short, or the
    kind does not constrain (SmolLM2 through transformers): LLMError then, naming the model."""
    out = generator.generate(messages, max_tokens=max_tokens, json_schema=schema)
    text = out.text.strip()
    if text.startswith("```"):  # unconstrained kinds sometimes fence it
        text = text.strip("`").removeprefix("json").strip()
    try:
        value = json.loads(text)
    except ValueError as e:
        raise LLMError(f"{out.model}: the reply is not complete JSON (max_tokens={max_tokens}?)") from e
    if not isinstance(value, dict):
        raise LLMError(f"{out.model}: the reply is JSON but not an object")
    return value, out
