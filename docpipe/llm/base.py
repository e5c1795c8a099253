"""The generator role: chat messages in, text out, from a server or an embedded model."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol, TypedDict

from docpipe.errors import LLMError

__all__ = ["ChatMessage", "Generation", "Generator", "LLMError"]


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
