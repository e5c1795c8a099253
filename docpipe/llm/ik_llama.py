"""A GGUF model run in-process by ik_llama.cpp (the `ik-llama-cpp-python` wheel), the fork of
llama.cpp with its own CPU matrix kernels: on this 2-core machine its PyPI wheel (AVX2) reads a
prompt 1.8-2x as fast as xllamacpp's, and the library `make install` builds for the CPU
(native_library) 2-2.5x faster again, with the same answers (bench/llm_runtimes.py and
bench/answers_real.py measure them).

The wheel's own high-level class is not used: it hard-codes one chat template, clears the KV
cache on every call and samples through a Python loop over the vocabulary. This module drives
its ctypes bindings directly and adds what the answer path needs:
- the GGUF's own chat template, rendered by jinja2 as transformers does;
- a prompt cache: the KV of the last prompt is kept and only the tokens after the common
  prefix are read (the fixed instructions open every prompt; a follow-up on the same
  document shares its leading passages too);
- greedy decoding on the logits through numpy, and JSON-schema decoding through llguidance
  (the same grammar engine xllamacpp runs inside).
One model and context per file and settings per process, behind a lock: one reply at a time.
"""

from __future__ import annotations

import ctypes
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from docpipe.llm.base import ChatMessage, Generation, LLMError
from docpipe.llm.gguf_generator import GGUFGenerator
from docpipe.llm.stream_thread import threaded_stream
from docpipe.options import LlamaCppOptions

logger = logging.getLogger("docpipe.llm")

_ATTR_CONTROL = 1 << 3  # llama_token_attr: LLAMA_TOKEN_ATTR_CONTROL
_ATTR_USER_DEFINED = 1 << 4


_LOG_CALLBACK = ctypes.CFUNCTYPE(None, ctypes.c_int, ctypes.c_char_p, ctypes.c_void_p)
_QUIET = _LOG_CALLBACK(lambda level, text, data: None)  # kept: the library holds the pointer


def native_library() -> Path:
    """Where `make install` builds ik_llama.cpp for this CPU (scripts/build_native_llm.sh)."""
    return Path(sys.prefix) / "lib" / "ik_llama_native" / "libllama.so"


def _bindings() -> Any:
    # The wheel's loader reads IK_LLAMA_CPP_LIB_PATH when ik_llama_cpp is first imported: the
    # native build wins over the wheel's AVX2 library unless the user points elsewhere.
    if native_library().is_file():
        os.environ.setdefault("IK_LLAMA_CPP_LIB_PATH", str(native_library()))
    try:
        from ik_llama_cpp import _ctypes_api as C
    except ImportError as e:
        from docpipe.errors import MissingEngineError

        raise MissingEngineError(
            "the llama_cpp generator's ik_llama runtime needs ik-llama-cpp-python: "
            "pip install ik-llama-cpp-python==0.1.5 llguidance"
        ) from e
    lib = C._lib
    lib.llama_log_set.argtypes, lib.llama_log_set.restype = [_LOG_CALLBACK, ctypes.c_void_p], None
    lib.llama_log_set(_QUIET, None)  # llama.cpp's load and timing lines stay off the terminal
    for name, args, res in (
        ("llama_kv_cache_seq_rm", [ctypes.c_void_p, ctypes.c_int32, ctypes.c_int32, ctypes.c_int32], ctypes.c_bool),
        ("llama_model_chat_template", [ctypes.c_void_p, ctypes.c_char_p], ctypes.c_char_p),
        ("llama_token_get_attr", [ctypes.c_void_p, ctypes.c_int32], ctypes.c_int),
        ("llama_token_eos", [ctypes.c_void_p], ctypes.c_int32),
        ("llama_token_bos", [ctypes.c_void_p], ctypes.c_int32),
        ("llama_token_is_eog", [ctypes.c_void_p, ctypes.c_int32], ctypes.c_bool),
        ("llama_n_vocab", [ctypes.c_void_p], ctypes.c_int32),
        ("llama_print_system_info", [], ctypes.c_char_p),
    ):
        fn = getattr(lib, name)
        fn.argtypes, fn.restype = args, res
    return C


@dataclass
class _Session:
    """A loaded model and its one context; `cached` are the tokens whose KV the context holds."""

    C: Any
    model: Any  # ik_llama_cpp._internals.IkModel
    context: Any  # ik_llama_cpp._internals.IkContext
    n_vocab: int
    load_s: float
    template: Any  # jinja2 Template or None
    cached: list[int] = field(default_factory=list)
    # The last prompt's next-token logits: the same prompt again starts from them instead of
    # re-reading its last token alone, whose logits can differ in the last bits from a batch
    # read and flip a near tie (the same question twice gave "1,2,3" then "1, 2, 3").
    last_prompt: list[int] = field(default_factory=list)
    last_logits: Any = None
    _replay: Any = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    _tokenizer: Any = None  # llguidance.LLTokenizer, built on the first JSON reply

    @property
    def ptr(self) -> Any:
        return self.model.model

    def tokenize(self, text: str, *, special: bool) -> list[int]:
        return list(self.model.tokenize(text, add_bos=False, special=special))

    def piece(self, token: int, *, special: bool = False) -> bytes:
        size = 256
        while True:  # a negative count is the size the piece needs
            buf = ctypes.create_string_buffer(size)
            n = self.C.llama_token_to_piece(self.ptr, token, buf, size, 0, special)
            if n >= 0:
                return buf.raw[:n]
            size = -n

    def render(self, messages: list[ChatMessage]) -> str:
        if self.template is None:
            raise LLMError("the GGUF has no chat template (tokenizer.chat_template): use a chat model")
        bos = self.piece(self.C._lib.llama_token_bos(self.ptr), special=True).decode("utf-8", "replace")
        eos = self.piece(self.C._lib.llama_token_eos(self.ptr), special=True).decode("utf-8", "replace")
        return str(
            self.template.render(
                messages=[dict(m) for m in messages], add_generation_prompt=True, bos_token=bos, eos_token=eos
            )
        )

    def lltokenizer(self) -> Any:
        """llguidance's view of the vocabulary: each token's bytes, control tokens marked."""
        if self._tokenizer is None:
            import llguidance

            lib = self.C._lib
            tokens = []
            for t in range(self.n_vocab):
                b = self.piece(t, special=True)
                attr = lib.llama_token_get_attr(self.ptr, t)
                if attr & _ATTR_CONTROL or (attr & _ATTR_USER_DEFINED and b.startswith(b"<") and b.endswith(b">")):
                    b = b"\xff" + b
                tokens.append(b)
            session = self

            class _Vocab:
                eos_token_id = lib.llama_token_eos(self.ptr)
                bos_token_id = None

                def __init__(self) -> None:
                    self.tokens = tokens

                def __call__(self, s: bytes) -> list[int]:
                    return session.tokenize(s.decode("utf-8", "replace"), special=False)

            self._tokenizer = llguidance.LLTokenizer(llguidance.TokenizerWrapper(_Vocab()))
        return self._tokenizer

    def read(self, prompt: list[int]) -> int:
        """Bring the context to `prompt`, reading only what follows the cached prefix; returns
        how many tokens came from the cache. At least the last token is read, for its logits."""
        from ik_llama_cpp._internals import make_batch_range

        if prompt == self.last_prompt and self.cached[: len(prompt)] == prompt:
            self.C._lib.llama_kv_cache_seq_rm(self.context.ctx, 0, len(prompt), -1)
            self.cached, self._replay = list(prompt), self.last_logits
            return len(prompt)
        keep = 0
        limit = min(len(self.cached), len(prompt) - 1)
        while keep < limit and self.cached[keep] == prompt[keep]:
            keep += 1
        self.C._lib.llama_kv_cache_seq_rm(self.context.ctx, 0, keep, -1)
        self.cached = prompt[:keep]
        step = self.context._n_ubatch
        for i in range(keep, len(prompt), step):
            chunk = prompt[i : i + step]
            self._decode(make_batch_range(chunk, pos_start=i, logits_last=i + step >= len(prompt)))
            self.cached.extend(chunk)
        self.last_prompt, self.last_logits, self._replay = list(prompt), self._logits().copy(), None
        return keep

    def step(self, token: int) -> None:
        from ik_llama_cpp._internals import make_batch_single

        self._decode(make_batch_single(token, len(self.cached)))
        self.cached.append(token)

    def _decode(self, batch: Any) -> None:
        try:
            ret = self.context.decode(batch)
        finally:
            self.C.llama_batch_free(batch)
        if ret != 0:
            self.cached, self.last_prompt = [], []  # the KV is in an unknown state: read the next prompt whole
            self.C.llama_kv_cache_clear(self.context.ctx)
            raise LLMError(f"ik_llama.cpp could not decode (llama_decode returned {ret}; context full?)")

    def _logits(self) -> Any:
        import numpy as np

        return np.ctypeslib.as_array(self.C.llama_get_logits_ith(self.context.ctx, -1), shape=(self.n_vocab,))

    def next_token(self, matcher: Any, mask: Any) -> int:
        import numpy as np

        logits, self._replay = (self._logits() if self._replay is None else self._replay), None
        if matcher is None:
            return int(np.argmax(logits))
        from llguidance.numpy import fill_next_token_bitmask

        fill_next_token_bitmask(matcher, mask)
        bits = np.unpackbits(mask[0].view(np.uint8), bitorder="little")[: self.n_vocab].astype(bool)
        return int(np.argmax(np.where(bits, logits, -np.inf)))


_LOADED: dict[tuple[Any, ...], _Session] = {}
_LOCK = threading.Lock()


def _load(path: Path, o: LlamaCppOptions, threads: int) -> _Session:
    C = _bindings()
    from ik_llama_cpp._internals import IkContext, IkModel

    t0 = time.perf_counter()
    C.llama_backend_init()
    try:
        model = IkModel(str(path))
    except RuntimeError as e:
        raise LLMError(f"{path}: ik_llama.cpp could not load it ({e})") from e
    # The wheel's IQK flash attention asserts on long prompts without AVX-VNNI: "auto" asks the CPU.
    flash = o.flash_attn == "on" or (o.flash_attn == "auto" and _has_avx_vnni())
    context = IkContext(model, n_ctx=o.context, n_threads=threads, flash_attn=flash)
    raw = C._lib.llama_model_chat_template(model.model, None)
    template = None
    if raw:
        from jinja2.sandbox import ImmutableSandboxedEnvironment

        env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
        env.globals["raise_exception"] = _raise_template_error
        template = env.from_string(raw.decode("utf-8"))
    n_vocab = int(C._lib.llama_n_vocab(model.model))
    return _Session(C, model, context, n_vocab, time.perf_counter() - t0, template)


def cpu_features() -> list[str]:
    """The SIMD kernels the loaded ik_llama.cpp library was built with ("AVX2", "AVX512_VNNI",
    ...): PyPI's wheel has AVX2 only; `make install` rebuilds it for the CPU (Makefile native-llm)."""
    info = _bindings()._lib.llama_print_system_info().decode("ascii", "replace")
    return [k.strip() for k, _, v in (f.partition("=") for f in info.split("|")) if v.strip() == "1"]


def _raise_template_error(message: str) -> None:
    raise LLMError(f"the GGUF's chat template refused the messages: {message}")


def _has_avx_vnni() -> bool:
    try:
        flags = Path("/proc/cpuinfo").read_text().split("flags", 2)[1].split("\n", 1)[0].split()
    except (OSError, IndexError):
        return False
    return "avx_vnni" in flags


class IkLlamaGenerator(GGUFGenerator):
    """The Generator protocol over one GGUF on ik_llama.cpp; `warm_up()` loads it (≈ 0.5 s for 0.5B)."""

    def __init__(self, options: LlamaCppOptions | None = None) -> None:
        super().__init__(options)
        self._session: _Session | None = None

    def warm_up(self) -> None:
        if self._session is not None:
            return
        path = self.model_path()
        o = self.options
        key = (str(path.resolve()), o.context, self.threads, o.flash_attn)
        with _LOCK:
            if key not in _LOADED:
                _LOADED[key] = _load(path, o, self.threads)
            self._session = _LOADED[key]

    @property
    def load_seconds(self) -> float:
        return self._session.load_s if self._session else 0.0

    @property
    def runtime(self) -> str:
        """What runs the model, for `docpipe llm check` and the benches."""
        return "ik_llama.cpp (" + " ".join(cpu_features()) + ")"

    def _run(
        self,
        messages: list[ChatMessage],
        max_tokens: int,
        json_schema: dict[str, Any] | None,
        on_piece: Callable[[str], bool],
    ) -> tuple[int, int]:
        """Greedy reply; each decoded text piece goes to on_piece, which returns True to stop.
        Returns (prompt tokens, completion tokens)."""
        self.warm_up()
        s = self._session
        assert s is not None
        prompt = s.tokenize(s.render(messages), special=True)
        if len(prompt) + max_tokens > self.options.context:
            raise LLMError(
                f"{self.name}: the prompt is {len(prompt)} tokens and the reply may take {max_tokens}; "
                f"the context is {self.options.context}"
            )
        with s.lock:
            matcher, mask = self._matcher(s, json_schema)
            t0 = time.perf_counter()
            cached = s.read(prompt)
            t_read = time.perf_counter() - t0
            pending = b""
            n = 0
            while n < max_tokens:
                token = s.next_token(matcher, mask)
                if matcher is not None:
                    if not matcher.consume_token(token):
                        raise LLMError(f"{self.name}: the JSON grammar refused a token ({matcher.get_error()})")
                    done = matcher.is_stopped()
                else:
                    done = False
                if s.C._lib.llama_token_is_eog(s.ptr, token):
                    break
                n += 1
                pending += s.piece(token)
                text, pending = _utf8_prefix(pending)
                stop = bool(text) and on_piece(text)
                if done or stop or n >= max_tokens:
                    break
                s.step(token)
            if pending:
                on_piece(pending.decode("utf-8", "replace"))
            logger.debug(
                "ik_llama.cpp read %d prompt tokens (%d from its cache) in %.2f s, wrote %d in %.2f s",
                len(prompt),
                cached,
                t_read,
                n,
                time.perf_counter() - t0 - t_read,
            )
        return len(prompt), n

    def _matcher(self, s: _Session, json_schema: dict[str, Any] | None) -> tuple[Any, Any]:
        if json_schema is None:
            return None, None
        import llguidance
        from llguidance.numpy import allocate_token_bitmask

        from docpipe.llm.json_grammar import compact_schema

        tok = s.lltokenizer()
        grammar = llguidance.LLMatcher.grammar_from_json_schema(compact_schema(json_schema))
        matcher = llguidance.LLMatcher(tok, grammar)
        if matcher.is_error():
            raise LLMError(f"{self.name}: the JSON schema does not compile ({matcher.get_error()})")
        return matcher, allocate_token_bitmask(1, tok.vocab_size)

    def generate(
        self,
        messages: list[ChatMessage],
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
        json_schema: dict[str, Any] | None = None,
    ) -> Generation:
        del temperature  # greedy always: the same passages give the same answer
        t0 = time.perf_counter()
        parts: list[str] = []

        def keep(piece: str) -> bool:
            parts.append(piece)
            return False

        prompt_n, completion_n = self._run(messages, max_tokens, json_schema, keep)
        return Generation("".join(parts).strip(), self.name, prompt_n, completion_n, time.perf_counter() - t0)

    def stream(
        self,
        messages: list[ChatMessage],
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
        json_schema: dict[str, Any] | None = None,
    ) -> Iterator[str]:
        """Text pieces as they are decoded (in a worker thread); stopping the iteration stops
        the decoding after the current token."""
        del temperature
        return threaded_stream(lambda emit: self._run(messages, max_tokens, json_schema, emit), "ik-llama-stream")

    def count_tokens(self, text: str) -> int:
        self.warm_up()
        assert self._session is not None
        return len(self._session.tokenize(text, special=False))


def _utf8_prefix(data: bytes) -> tuple[str, bytes]:
    """The longest decodable prefix of data and the bytes of a character still incomplete."""
    for cut in range(len(data), max(len(data) - 4, -1), -1):
        try:
            return data[:cut].decode("utf-8"), data[cut:]
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", "replace"), b""
