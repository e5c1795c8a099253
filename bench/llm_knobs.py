"""llama.cpp settings A/B on the real answer prompts, interleaved in one process.

    python bench/llm_knobs.py capture --home HOME --out /tmp/prompts.json   # realdocs prompts, no model run
    python bench/llm_knobs.py sweep --prompts /tmp/prompts.json --variants base,t1,ub256 [--limit N]

`capture` asks every realdocs question in llm mode with a generator that records the messages
and JSON schema the answer path builds (it answers "I don't know", so it takes seconds).
`sweep` loads one xllamacpp Server per variant (the weights are mmapped, so they share pages)
and sends prompt i to every variant before prompt i+1: each variant sees the same prompt
sequence (so its prompt cache behaves as in `ask`), and all of them the same machine load.
Reports per variant: median prefill and decode seconds, tokens read from the cache, and how
many replies differ from the first variant's (greedy decoding: a different reply is a
possible accuracy change, to be scored with bench/answers_real.py).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
REALDOCS = ROOT.parent / "shared" / "realdocs"


def capture(home: Path, out: Path, budget: int | None = None) -> None:
    from docpipe.llm.base import Generation
    from docpipe.llm.ik_llama import IkLlamaGenerator
    from docpipe.llm.llama_cpp import LlamaCppGenerator
    from docpipe.runtime import quiet_third_party

    quiet_third_party()
    seen: list[dict[str, Any]] = []

    def record(
        self: Any, messages: Any, *, max_tokens: int = 256, temperature: float = 0.0, json_schema: Any = None
    ) -> Generation:
        seen.append({"messages": messages, "max_tokens": max_tokens, "schema": json_schema})
        return Generation('{"answer": "I don\'t know", "passages": []}', self.name, 0, 0, 0.0)

    originals = (LlamaCppGenerator.generate, IkLlamaGenerator.generate)
    LlamaCppGenerator.generate = record  # type: ignore[method-assign]
    IkLlamaGenerator.generate = record  # type: ignore[method-assign]
    try:
        _record_prompts(home, budget, seen)
    finally:  # the same process may run the real generators next (bench/llm_runtimes.py)
        LlamaCppGenerator.generate, IkLlamaGenerator.generate = originals  # type: ignore[method-assign]
    out.write_text(json.dumps(seen, ensure_ascii=False), encoding="utf-8")
    held = sum(s.get("held", False) for s in seen)
    mean = statistics.mean(s.get("tokens", 0) for s in seen)
    print(
        f"{len(seen)} prompts -> {out}; answer text in the prompt: {held}; mean user-message tokens {mean:.0f}",
        file=sys.stderr,
    )


def _record_prompts(home: Path, budget: int | None, seen: list[dict[str, Any]]) -> None:
    from docpipe.answer.request import AskMode, AskRequest
    from docpipe.api import Docpipe
    from docpipe.config import Settings

    dp = Docpipe(Settings.load(home, **({"llm_passage_budget": budget} if budget else {})))
    qs = json.loads((REALDOCS / "qa" / "questions.json").read_text(encoding="utf-8"))
    for q in qs:
        before = len(seen)
        dp.ask(AskRequest(question=q["q"], k=5, mode=AskMode.LLM))
        if len(seen) > before:
            seen[-1]["q"] = q["q"]
            text = seen[-1]["messages"][-1]["content"].lower().replace(",", "")
            want = [w.lower().replace(",", "") for w in q.get("all", [])]
            held = bool(want) and all(w in text for w in want)
            held = held or any(w.lower().replace(",", "") in text for w in q.get("any", []))
            seen[-1]["held"] = held
            seen[-1]["tokens"] = dp.generator().count_tokens(seen[-1]["messages"][-1]["content"])


def _variants() -> dict[str, dict[str, Any]]:
    import xllamacpp as x

    fa, kv, lm = x.llama_flash_attn_type, x.ggml_type, x.llama_load_mode
    return {
        "base": {},  # as shipped: threads = cores (2), n_batch 2048, n_ubatch 512, flash auto, f16 KV
        "t1": {"threads": 1, "threads_batch": 1},
        "t1b2": {"threads": 1, "threads_batch": 2},
        "t2b1": {"threads": 2, "threads_batch": 1},
        "ub128": {"n_ubatch": 128},
        "ub256": {"n_ubatch": 256},
        "ub1024": {"n_ubatch": 1024, "n_batch": 1024},
        "fa_on": {"flash_attn_type": fa.LLAMA_FLASH_ATTN_TYPE_ENABLED},
        "fa_off": {"flash_attn_type": fa.LLAMA_FLASH_ATTN_TYPE_DISABLED},
        "kv_q8": {
            "flash_attn_type": fa.LLAMA_FLASH_ATTN_TYPE_ENABLED,
            "cache_type_k": kv.GGML_TYPE_Q8_0,
            "cache_type_v": kv.GGML_TYPE_Q8_0,
        },
        "mlock": {"load_mode": lm.LLAMA_LOAD_MODE_MMAP_MLOCK},
        "nommap": {"load_mode": lm.LLAMA_LOAD_MODE_NONE},
        "reuse256": {"n_cache_reuse": 256},
        "reuse64": {"n_cache_reuse": 64},
        "poll0": {"poll": 0},
        "nocache": {"cache_prompt": False},
        "ngram": {"speculative": "ngram"},
    }


def _server(over: dict[str, Any], model: Path) -> tuple[Any, float]:
    import xllamacpp as x

    from docpipe.runtime import default_threads

    p = x.CommonParams()
    p.model.path = str(model)
    p.n_ctx = 4096
    p.n_parallel = 1
    p.verbosity = -1
    p.log_json = False
    threads = default_threads()
    p.cpuparams.n_threads = over.get("threads", threads)
    p.cpuparams_batch.n_threads = over.get("threads_batch", over.get("threads", threads))
    if "poll" in over:
        p.cpuparams.poll = p.cpuparams_batch.poll = over["poll"]
    if over.get("speculative") == "ngram":
        p.speculative.types = [x.common_speculative_type.COMMON_SPECULATIVE_TYPE_NGRAM_SIMPLE]
    for k, v in over.items():
        if k not in ("threads", "threads_batch", "poll", "speculative"):
            setattr(p, k, v)
    t0 = time.perf_counter()
    s = x.Server(p)
    return s, time.perf_counter() - t0


def sweep(prompts: Path, names: list[str], limit: int | None, only: str | None) -> dict[str, Any]:
    from docpipe.llm.llama_cpp import LlamaCppGenerator, _grammar

    items = json.loads(prompts.read_text(encoding="utf-8"))
    if only:
        items = [items[int(n) - 1] for n in only.split(",")]
    items = items[:limit]
    model = LlamaCppGenerator().model_path()
    variants = _variants()
    servers = {}
    load = {}
    for n in names:
        servers[n], load[n] = _server(variants[n], model)
    rows: dict[str, list[dict[str, Any]]] = {n: [] for n in names}
    la0 = os.getloadavg()
    for i, it in enumerate(items):
        body = {
            "messages": it["messages"],
            "max_tokens": it["max_tokens"],
            "temperature": 0.0,
            "top_k": 1,
            "stream": False,
            "grammar": _grammar(it["schema"]),
        }
        order = names if i % 2 == 0 else names[::-1]  # neither variant always goes first
        for n in order:
            b = dict(body, cache_prompt=variants[n].get("cache_prompt", True))
            t0 = time.perf_counter()
            d = servers[n].handle_chat_completions(b)
            wall = time.perf_counter() - t0
            t = d.get("timings") or {}
            rows[n].append(
                {
                    "wall": wall,
                    "prompt_s": t.get("prompt_ms", 0) / 1000,
                    "prompt_n": t.get("prompt_n", 0),
                    "cache_n": t.get("cache_n", 0),
                    "decode_s": t.get("predicted_ms", 0) / 1000,
                    "decode_n": t.get("predicted_n", 0),
                    "text": d["choices"][0]["message"]["content"],
                }
            )
        print(
            f"{i + 1:2d} "
            + "  ".join(f"{n} {rows[n][-1]['wall']:5.2f}" for n in names)
            + f"  load {os.getloadavg()[0]:.1f}",
            file=sys.stderr,
            flush=True,
        )
    la1 = os.getloadavg()
    out: dict[str, Any] = {"prompts": len(items), "load_before": la0[0], "load_after": la1[0], "variants": {}}
    base = rows[names[0]]
    for n in names:
        r = rows[n]
        med = statistics.median
        out["variants"][n] = {
            "load_s": round(load[n], 2),
            "wall_p50": round(med(x["wall"] for x in r), 2),
            "wall_sum": round(sum(x["wall"] for x in r), 1),
            "prefill_p50": round(med(x["prompt_s"] for x in r), 2),
            "prefill_tok_s": round(sum(x["prompt_n"] for x in r) / max(1e-9, sum(x["prompt_s"] for x in r)), 1),
            "decode_tok_s": round(sum(x["decode_n"] for x in r) / max(1e-9, sum(x["decode_s"] for x in r)), 1),
            "new_tokens_p50": med(x["prompt_n"] for x in r),
            "cached_p50": med(x["cache_n"] for x in r),
            "ratio_to_first": round(sum(x["wall"] for x in r) / sum(x["wall"] for x in base), 3),
            "replies_differ": sum(a["text"] != b["text"] for a, b in zip(r, base, strict=True)),
        }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("capture")
    c.add_argument("--home", type=Path, required=True)
    c.add_argument("--out", type=Path, required=True)
    c.add_argument("--budget", type=int, default=None, help="llm_passage_budget (default: the setting's)")
    s = sub.add_parser("sweep")
    s.add_argument("--prompts", type=Path, required=True)
    s.add_argument("--variants", default="base,t1")
    s.add_argument("--limit", type=int, default=None)
    s.add_argument("--only", default=None)
    s.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    if args.cmd == "capture":
        capture(args.home, args.out, args.budget)
        return
    result = sweep(args.prompts, args.variants.split(","), args.limit, args.only)
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
