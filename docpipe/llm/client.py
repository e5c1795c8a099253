"""An OpenAI-compatible chat client: vLLM, SGLang, llama.cpp server, TGI... are a base_url."""

from __future__ import annotations

import time
from typing import Any

import httpx

from docpipe.llm.base import ChatMessage, Generation, LLMError


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
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = httpx.Client(timeout=httpx.Timeout(timeout, connect=10.0), headers=headers)

    @property
    def name(self) -> str:
        return self.model or self.base_url

    def warm_up(self) -> None:
        if not self.model:
            models = self.list_models()
            if not models:
                raise LLMError(f"LLM server at {self.base_url} serves no model")
            self.model = models[0]

    def list_models(self) -> list[str]:
        data = self._request("GET", "/models")
        return [str(m["id"]) for m in data.get("data", [])]

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
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "extraction", "schema": json_schema},
            }
        t0 = time.perf_counter()
        data = self._request("POST", "/chat/completions", body)
        try:
            text = str(data["choices"][0]["message"]["content"] or "")
        except (KeyError, IndexError, TypeError) as e:
            raise LLMError(f"LLM server at {self.base_url} sent an unexpected reply: {str(data)[:200]}") from e
        usage = data.get("usage") or {}
        return Generation(
            text=text,
            model=str(data.get("model") or self.model),
            prompt_tokens=int(usage.get("prompt_tokens", 0)),
            completion_tokens=int(usage.get("completion_tokens", 0)),
            latency_s=time.perf_counter() - t0,
        )
