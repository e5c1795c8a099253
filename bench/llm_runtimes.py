"""The two llama.cpp runtimes side by side on the real answer prompts, in one process.

    python bench/llm_runtimes.py --home HOME [--limit N] [--out bench/llm_runtimes.json]

The prompts are the ones the answer path builds for the realdocs questions (llm_knobs.py's
capture, no model run). Both generators are loaded once (the libraries keep their symbols
to themselves) and prompt i goes to each runtime before prompt i+1, so both see the same
prompt sequence (their prompt caches behave as in `ask`) and the same machine load. Reports
per runtime the median and p90 seconds per reply, the prompt tokens, the load time, the
process's peak RSS with both loaded, and how many replies differ (greedy decoding on both: a
different reply is a possible accuracy change, to be scored with bench/answers_real.py).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.llm_knobs import capture

RUNTIMES = ("ik_llama", "xllamacpp")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--home", type=Path, required=True, help="a docpipe home with realdocs ingested")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--out", type=Path, default=Path("bench/llm_runtimes.json"))
    args = ap.parse_args()

    from docpipe.config import Settings
    from docpipe.llm import LLMS
    from docpipe.options import LlamaCppOptions

    with tempfile.TemporaryDirectory() as tmp:
        prompts_file = Path(tmp) / "prompts.json"
        capture(args.home, prompts_file)
        prompts: list[dict[str, Any]] = json.loads(prompts_file.read_text(encoding="utf-8"))
    if args.limit:
        prompts = prompts[: args.limit]
    cache = Settings().cache_dir
    gens, load = {}, {}
    for name in RUNTIMES:
        gens[name] = LLMS.create(LlamaCppOptions(runtime=name, cache_dir=cache))
        t0 = time.perf_counter()
        gens[name].warm_up()
        load[name] = round(time.perf_counter() - t0, 2)
    seconds: dict[str, list[float]] = {n: [] for n in RUNTIMES}
    tokens: dict[str, int] = {n: 0 for n in RUNTIMES}
    replies: dict[str, list[str]] = {n: [] for n in RUNTIMES}
    for i, p in enumerate(prompts, 1):
        for name in RUNTIMES:
            t0 = time.perf_counter()
            out = gens[name].generate(p["messages"], max_tokens=p["max_tokens"], json_schema=p["schema"])
            seconds[name].append(time.perf_counter() - t0)
            tokens[name] += out.prompt_tokens
            replies[name].append(out.text)
        print(f"{i}/{len(prompts)} " + "  ".join(f"{n} {seconds[n][-1]:.2f} s" for n in RUNTIMES), file=sys.stderr)
    result: dict[str, Any] = {"prompts": len(prompts), "model": gens[RUNTIMES[0]].name}
    for name in RUNTIMES:
        s = sorted(seconds[name])
        result[name] = {
            "load_s": load[name],
            "seconds_p50": round(statistics.median(s), 2),
            "seconds_p90": round(s[int(0.9 * (len(s) - 1))], 2),
            "seconds_total": round(sum(s), 1),
            "prompt_tokens": tokens[name],  # the same prompts: equal unless the templates differ
        }
    base, other = RUNTIMES
    result["ratio_total"] = round(result[other]["seconds_total"] / result[base]["seconds_total"], 2)
    result["replies_differ"] = sum(a != b for a, b in zip(replies[base], replies[other], strict=True))
    result["peak_rss_mb_both_loaded"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
