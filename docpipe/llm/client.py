"""An OpenAI-compatible chat client: vLLM, SGLang, llama.cpp server, TGI... are a base_url."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from typing import Any

import httpx

from docpipe.llm.base import ChatMessage, Generation, LLMError

DEFAULT_WINDOW = 4096  # Solar-10.7B's
logger = logging.getLogger("docpipe.llm")


class OpenAIClient:
    def __init__(
        self,
        base_url: str,
        model: str = "",
        api_key: str | None = None,
        timeout: float = 120.0,
        retries: int = 2,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.retries = retries
        self._window: int | None = None
        self._tokenize_ok: bool | None = None
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = httpx.Client(timeout=httpx.Timeout(timeout, connect=10.0), headers=headers)

    @property
    def name(self) -> str:
        return self.model or self.base_url

    def warm_up(self) -> None:
        if not self.model or self._window is None:
            models = self._request("GET", "/models").get("data", [])
            if not models:
                raise LLMError(f"LLM server at {self.base_url} serves no model")
            chosen = next((m for m in models if m["id"] == self.model), models[0])
            self.model = self.model or str(chosen["id"])
            # vLLM reports the window it serves; other servers may not.
            self._window = int(chosen.get("max_model_len") or DEFAULT_WINDOW)

    def list_models(self) -> list[str]:
        data = self._request("GET", "/models")
        return [str(m["id"]) for m in data.get("data", [])]

    @property
    def context_window(self) -> int:
        self.warm_up()
        return self._window or DEFAULT_WINDOW

    def count_tokens(self, text: str) -> int:
        """The server's own count where it offers one (vLLM's /tokenize), else a safe guess."""
        if self._tokenize_ok is not False:
            try:
                resp = self._http.post(
                    self.base_url.removesuffix("/v1") + "/tokenize", json={"model": self.model, "prompt": text}
                )
                if resp.status_code == 200:
                    self._tokenize_ok = True
                    return int(resp.json()["count"])
            except (httpx.TransportError, ValueError, KeyError):
                pass
            self._tokenize_ok = False  # not vLLM: do not ask again
        return len(text) // 3 + 1

    def stream(
        self,
        messages: list[ChatMessage],
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
        json_schema: dict[str, Any] | None = None,
    ) -> Iterator[str]:
        """Server-sent events from /chat/completions with stream=true."""
        self.warm_up()
        body: dict[str, Any] = {
            "model": self.model,
            "messages": list(messages),
            "max_tokens": max_tokens,
            "temperature": temperature,
            "stream": True,
        }
        if json_schema is not None:
            body["response_format"] = _response_format(json_schema)
        try:
            with self._http.stream("POST", self.base_url + "/chat/completions", json=body) as resp:
                if resp.status_code >= 400:
                    raise LLMError(f"LLM server at {self.base_url} refused the request: HTTP {resp.status_code}")
                for line in resp.iter_lines():
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        return
                    delta = json.loads(data)["choices"][0].get("delta", {}).get("content")
                    if delta:
                        yield str(delta)
        except httpx.TransportError as e:
            raise LLMError(f"LLM server at {self.base_url} is not reachable: {e}") from e

    def _request(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        url = self.base_url + path
        last: Exception | None = None
        for attempt in range(self.retries + 1):
            try:
                resp = self._http.request(method, url, json=body)
            except httpx.TransportError as e:
                last = e
            else:
                if resp.status_code < 500:
                    if resp.status_code >= 400:
                        raise LLMError(
                            f"LLM server at {self.base_url} refused the request: "
                            f"HTTP {resp.status_code} {resp.text[:200]}"
                        )
                    return dict(resp.json())
                last = LLMError(f"HTTP {resp.status_code}")
            if attempt < self.retries:
                time.sleep(0.5 * 2**attempt)
        raise LLMError(f"LLM server at {self.base_url} is not reachable: {last}")

    def generate(
        self,
        messages: list[ChatMessage],
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
        json_schema: dict[str, Any] | None = None,
    ) -> Generation:
        self.warm_up()
        body: dict[str, Any] = {
            "model": self.model,
            "messages": list(messages),
            "max_tokens": max_tokens,
            "temperature": temperature,
        }
        if json_schema is not None:  # vLLM and SGLang constrain decoding to the schema
            body["response_format"] = _response_format(json_schema)
        t0 = time.perf_counter()
        data = self._request("POST", "/chat/completions", body)
        try:
            text = str(data["choices"][0]["message"]["content"] or "")
        except (KeyError, IndexError, TypeError) as e:
            raise LLMError(f"LLM server at {self.base_url} sent an unexpected reply: {str(data)[:200]}") from e
        if json_schema is not None and data["choices"][0].get("finish_reason") == "length":
            # What a server whose grammar allows free whitespace does to a small model (vLLM's
            # default: SmolLM2 wrote newlines in the JSON until cut); `docpipe llm serve` prevents it.
            logger.warning(
                "%s: the JSON reply was cut at max_tokens=%d; if the server is vLLM, start it with "
                '--structured-outputs-config \'{"backend":"guidance","disable_any_whitespace":true}\'',
                self.base_url,
                max_tokens,
            )
        usage = data.get("usage") or {}
        return Generation(
            text=text,
            model=str(data.get("model") or self.model),
            prompt_tokens=int(usage.get("prompt_tokens", 0)),
            completion_tokens=int(usage.get("completion_tokens", 0)),
            latency_s=time.perf_counter() - t0,
        )


def _response_format(schema: dict[str, Any]) -> dict[str, Any]:
    return {"type": "json_schema", "json_schema": {"name": "reply", "schema": schema}}
