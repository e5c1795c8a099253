"""What the two in-process llama.cpp runtimes share: which GGUF to load (a shipped model by
name, joined and pinned, or a local file with an optional pin), its name and the threads."""

from __future__ import annotations

import os
from pathlib import Path

from docpipe.llm.base import LLMError
from docpipe.llm.gguf import ShippedModel, resolve_model, shipped_path
from docpipe.options import LlamaCppOptions
from docpipe.pins import sha256_of
from docpipe.runtime import default_threads


def default_cache() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "docpipe"


class GGUFGenerator:
    """The model choice of a llama_cpp generator; the runtime subclasses load and run it."""

    def __init__(self, options: LlamaCppOptions | None = None) -> None:
        self.options = options or LlamaCppOptions()
        self.shipped: ShippedModel | None = None if self.options.gguf else resolve_model(self.options.model)

    @property
    def name(self) -> str:
        if self.shipped is not None:
            return self.shipped.title
        assert self.options.gguf is not None
        return self.options.gguf.stem

    @property
    def context_window(self) -> int:
        return self.options.context

    @property
    def threads(self) -> int:
        return self.options.threads or default_threads()

    def model_path(self) -> Path:
        """The GGUF to load, checked against its pin (joined from the shipped parts once)."""
        o = self.options
        if o.gguf is not None:
            if not o.gguf.is_file():
                raise LLMError(f"{o.gguf}: no such GGUF file (DOCPIPE_LLM_GGUF)")
            if o.sha256 and sha256_of(o.gguf) != o.sha256.lower():
                raise LLMError(f"{o.gguf}: sha256 differs from the pinned {o.sha256[:16]}...: refusing to load it")
            return o.gguf
        assert self.shipped is not None
        return shipped_path(self.shipped, o.cache_dir or default_cache())
