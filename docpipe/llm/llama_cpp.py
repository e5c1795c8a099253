"""A GGUF model run in-process by llama.cpp through xllamacpp: OpenAI-shaped chat completions
without a server process, streaming, and decoding constrained to a JSON schema.

xllamacpp's Server is llama.cpp's own server loop in this process: it keeps the model and a
prompt cache (the next question on the same passages skips reading them again). One Server
per model file and settings per process, however many generators are made. It also listens
on 127.0.0.1 (used here only for /tokenize); a random API key keeps other local users out.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docpipe.llm.base import ChatMessage, Generation, LLMError
from docpipe.llm.gguf_generator import GGUFGenerator
from docpipe.llm.json_grammar import compact_schema
from docpipe.llm.stream_thread import Emit, threaded_stream
from docpipe.options import LlamaCppOptions


@dataclass
class _Loaded:
    server: Any
    address: str
    api_key: str
    load_s: float


logger = logging.getLogger("docpipe.llm")
_LOADED: dict[tuple[Any, ...], _Loaded] = {}
_LOCK = threading.Lock()


class LlamaCppGenerator(GGUFGenerator):
    """The Generator protocol over one GGUF on xllamacpp; `warm_up()` loads it (≈ 1–3 s for 0.5B on 2 cores)."""

    def __init__(self, options: LlamaCppOptions | None = None) -> None:
        super().__init__(options)
        self._loaded: _Loaded | None = None
        self._http: Any = None

    @property
    def load_seconds(self) -> float:
        """How long this process took to load the model (0 before warm_up)."""
        return self._loaded.load_s if self._loaded else 0.0

    @property
    def runtime(self) -> str:
        return "xllamacpp (llama.cpp's server loop, AVX2 build)"

    def warm_up(self) -> None:
        if self._loaded is not None:
            return
        path = self.model_path()
        o = self.options
        key = (
            str(path.resolve()),
            o.context,
            self.threads,
            o.threads_batch,
            o.ubatch,
            o.poll,
            o.flash_attn,
            o.cache_reuse,
        )
        with _LOCK:
            if key not in _LOADED:
                _LOADED[key] = _load(path, o, self.threads)
            self._loaded = _LOADED[key]

    def _server(self) -> Any:
        self.warm_up()
        assert self._loaded is not None
        return self._loaded.server

    def _body(
        self,
        messages: list[ChatMessage],
        max_tokens: int,
        temperature: float,
        json_schema: dict[str, Any] | None,
        stream: bool = False,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "messages": [dict(m) for m in messages],
            "max_tokens": max_tokens,
            "temperature": temperature,
            "stream": stream,
            # The slot keeps the last prompt's KV cache: the fixed instructions and worked
            # examples that open every prompt are read once per process, not per question.
            "cache_prompt": True,
        }
        if temperature <= 0:
            body["top_k"] = 1  # greedy: the same passages give the same answer
        if json_schema is not None:
            body["grammar"] = _grammar(json_schema)
        return body

    def generate(
        self,
        messages: list[ChatMessage],
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
        json_schema: dict[str, Any] | None = None,
    ) -> Generation:
        server = self._server()
        t0 = time.perf_counter()
        data = server.handle_chat_completions(self._body(messages, max_tokens, temperature, json_schema))
        _raise_on_error(data, self.name)
        try:
            text = str(data["choices"][0]["message"]["content"] or "")
        except (KeyError, IndexError, TypeError) as e:
            raise LLMError(f"{self.name}: unexpected reply from llama.cpp: {str(data)[:200]}") from e
        usage = data.get("usage") or {}
        t = data.get("timings") or {}
        logger.debug(
            "llama.cpp read %d prompt tokens (%d from its cache) in %.2f s, wrote %d in %.2f s",
            t.get("prompt_n", 0),
            t.get("cache_n", 0),
            t.get("prompt_ms", 0.0) / 1000,
            t.get("predicted_n", 0),
            t.get("predicted_ms", 0.0) / 1000,
        )
        return Generation(
            text=text.strip(),
            model=self.name,
            prompt_tokens=int(usage.get("prompt_tokens", 0)),
            completion_tokens=int(usage.get("completion_tokens", 0)),
            latency_s=time.perf_counter() - t0,
        )

    def stream(
        self,
        messages: list[ChatMessage],
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
        json_schema: dict[str, Any] | None = None,
    ) -> Iterator[str]:
        """Text pieces as llama.cpp decodes them (in a worker thread); stopping the iteration
        stops the decoding (the callback returns True)."""

        def produce(emit: Emit) -> None:
            def on_chunk(chunk: dict[str, Any]) -> bool:
                if "error" in chunk:
                    emit(LLMError(f"{self.name}: {chunk['error'].get('message', chunk['error'])}"))
                    return True
                stopped = False
                for choice in chunk.get("choices") or []:
                    delta = (choice.get("delta") or {}).get("content")
                    if delta:
                        stopped = emit(str(delta)) or stopped
                return stopped

            body = self._body(messages, max_tokens, temperature, json_schema, stream=True)
            result = self._server().handle_chat_completions(body, on_chunk)
            if isinstance(result, dict):
                _raise_on_error(result, self.name)

        return threaded_stream(produce, "llama-cpp-stream")

    def count_tokens(self, text: str) -> int:
        """llama.cpp's own count (its /tokenize on the local listener), else a safe guess."""
        self.warm_up()
        assert self._loaded is not None
        if self._loaded.address:
            import httpx

            try:
                if self._http is None:
                    self._http = httpx.Client(timeout=10.0, headers={"Authorization": f"Bearer {self._loaded.api_key}"})
                resp = self._http.post(self._loaded.address + "/tokenize", json={"content": text})
                if resp.status_code == 200:
                    return len(resp.json()["tokens"])
            except (httpx.HTTPError, ValueError, KeyError):
                pass
        return len(text) // 3 + 1


def _grammar(schema: dict[str, Any]) -> str:
    """The schema as an LLGuidance grammar, laid out as json_grammar says."""
    import xllamacpp

    return str(xllamacpp.json_schema_to_grammar(compact_schema(schema)))


def _raise_on_error(data: Any, name: str) -> None:
    if isinstance(data, dict) and "error" in data:
        err = data["error"]
        message = err.get("message", err) if isinstance(err, dict) else err
        raise LLMError(f"{name}: {message}")


def _load(path: Path, o: LlamaCppOptions, threads: int) -> _Loaded:
    try:
        import xllamacpp
    except ImportError as e:
        from docpipe.errors import MissingEngineError

        raise MissingEngineError("the llama_cpp generator needs xllamacpp: pip install xllamacpp") from e
    t0 = time.perf_counter()
    params = xllamacpp.CommonParams()
    params.model.path = str(path)
    params.n_ctx = o.context
    params.n_parallel = 1  # one slot: on a few cores concurrent requests only slow each other
    params.cpuparams.n_threads = threads
    params.cpuparams_batch.n_threads = o.threads_batch or threads
    params.n_ubatch = o.ubatch
    params.n_batch = max(params.n_batch, o.ubatch)
    params.cpuparams.poll = params.cpuparams_batch.poll = o.poll
    flash = xllamacpp.llama_flash_attn_type
    params.flash_attn_type = {
        "auto": flash.LLAMA_FLASH_ATTN_TYPE_AUTO,
        "on": flash.LLAMA_FLASH_ATTN_TYPE_ENABLED,
        "off": flash.LLAMA_FLASH_ATTN_TYPE_DISABLED,
    }[o.flash_attn]
    params.n_cache_reuse = o.cache_reuse
    params.verbosity = -1  # llama.cpp's load and timing lines stay off the terminal
    params.log_json = False
    api_key = secrets.token_urlsafe(24)
    params.api_keys = [api_key]
    try:
        server = xllamacpp.Server(params)
    except Exception as e:  # the binding raises plain exceptions for unreadable files
        raise LLMError(f"{path}: llama.cpp could not load it ({e})") from e
    address = str(getattr(server, "listening_address", "") or "")
    return _Loaded(server, address.rstrip("/"), api_key, time.perf_counter() - t0)
