"""Answers on the real documents (../shared/realdocs/qa), generator by generator, side by side.

    python bench/answers_real.py --home HOME            # HOME: realdocs ingested (run.sh's qa step does it)
    python bench/answers_real.py --ingest --home HOME   # ingest the realdocs folders into HOME first
    python bench/answers_real.py                        # `make bench`: ingest into a temporary home

Each configuration runs in its own process (so its peak RSS is its own), with the model
loaded once and kept, as `docpipe chat` and the server keep it: model load time, seconds per
question (p50/p90, end to end: retrieval + prompt + generation + grounding), time to the first
streamed token, peak RSS; then realdocs' own scorer (score.py qa) over the answers: accuracy,
refusals, citations to the right document. Writes bench/answers_real.json.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
REALDOCS = (ROOT.parent / "shared" / "realdocs") if (ROOT.parent / "shared").exists() else ROOT / "realdocs"
CONFIGS: dict[str, dict[str, Any]] = {
    "qwen2.5-coder-0.5b": {"llm": {"kind": "llama_cpp", "model": "qwen2.5-coder-0.5b"}, "mode": "auto"},
    "qwen2.5-coder-0.5b-xllamacpp": {
        "llm": {"kind": "llama_cpp", "model": "qwen2.5-coder-0.5b", "runtime": "xllamacpp"},
        "mode": "auto",
    },
    "qwen2.5-coder-1.5b": {"llm": {"kind": "llama_cpp", "model": "qwen2.5-coder-1.5b"}, "mode": "auto"},
    "smollm2-135m": {"llm": {"kind": "llama_cpp", "model": "smollm2-135m"}, "mode": "auto"},
    "extractive": {"llm": None, "mode": "extractive"},
}


def _realdocs(args: argparse.Namespace) -> Path:
    return Path(args.realdocs) if args.realdocs else REALDOCS


def _questions(realdocs: Path, limit: int | None, only: str | None) -> list[dict[str, Any]]:
    """The questions, all or a subset: the first `limit`, or the 1-based numbers in `only`."""
    qs: list[dict[str, Any]] = json.loads((realdocs / "qa" / "questions.json").read_text(encoding="utf-8"))
    if only:
        return [qs[int(n) - 1] for n in only.split(",")]
    return qs[:limit]


class _ModelReplies(logging.Handler):
    """The model's raw reply to each question (docpipe.ask's DEBUG line): what grounding and
    the answer were made from, kept beside the answer to tell a model's miss from a refusal."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.last: str | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if record.msg.startswith("model %s replied"):
            self.last = str(record.args[1]) if isinstance(record.args, tuple) else None


def one(name: str, home: Path, realdocs: Path, limit: int | None, only: str | None = None) -> dict[str, Any]:
    """One configuration in this process: load, ask every question, score."""
    from docpipe.answer.request import AskMode, AskRequest
    from docpipe.api import Docpipe
    from docpipe.config import Settings
    from docpipe.runtime import quiet_third_party

    quiet_third_party()
    cfg = CONFIGS[name]
    llm = dict(cfg["llm"] or {})
    if llm and os.environ.get("BENCH_THREADS"):  # e.g. 1 on a machine other jobs keep busy
        llm["threads"] = int(os.environ["BENCH_THREADS"])
    overrides: dict[str, Any] = {"llm": llm} if llm else {}
    dp = Docpipe(Settings.load(home, **overrides))
    questions = _questions(realdocs, limit, only)
    out: dict[str, Any] = {"config": name, "mode": cfg["mode"], "threads": llm.get("threads", 0)}
    out["questions"] = len(questions)
    t0 = time.perf_counter()
    dp.embedder.warm_up() if hasattr(dp.embedder, "warm_up") else None
    if cfg["llm"]:
        gen = dp.generator()
        gen.warm_up()
        out["model"] = gen.name
        out["load_s"] = round(float(getattr(gen, "load_seconds", time.perf_counter() - t0)), 2)
        out["runtime"] = str(getattr(gen, "runtime", type(gen).__name__))
    replies = _ModelReplies()
    logging.getLogger("docpipe.ask").addHandler(replies)
    logging.getLogger("docpipe.ask").setLevel(logging.DEBUG)
    rows, seconds = [], []
    firsts: list[float] = []  # time to the first streamed word, where one came
    model_firsts: list[float] = []  # of those, where the model wrote the answer (prefill in it)
    for q in questions:
        replies.last = None
        t = time.perf_counter()
        first: list[float] = []

        # Streamed on its first asking: a question asked again would time a prompt cache.
        def on_token(_piece: str, t: float = t, first: list[float] = first) -> None:
            if not first:
                first.append(time.perf_counter() - t)

        request = AskRequest(question=q["q"], k=5, mode=AskMode(cfg["mode"]))
        a = dp.ask(request, on_token=on_token if cfg["llm"] else None)
        seconds.append(time.perf_counter() - t)
        if first:
            firsts.append(first[0])
            if a.model == out.get("model"):
                model_firsts.append(first[0])
        row = {"q": q["q"], **a.contract(), "grounded": a.grounded, "latency_s": round(seconds[-1], 2)}
        row["first_token_s"] = round(first[0], 2) if first else None
        rows.append(row | {"reply": replies.last})
        if os.environ.get("BENCH_ANSWERS"):  # a copy as it goes, to score a run cut short
            with open(f"{os.environ['BENCH_ANSWERS']}.{name}.jsonl", "a", encoding="utf-8") as f:
                f.write(json.dumps(rows[-1], ensure_ascii=False) + "\n")
        print(f"{name}: {seconds[-1]:5.1f} s  {q['q'][:60]} -> {a.answer[:60]}", file=sys.stderr, flush=True)
    if firsts:
        out["first_token_s_p50"] = round(statistics.median(firsts), 2)
        out["first_token_s_p50_model"] = round(statistics.median(model_firsts), 2) if model_firsts else None
    out["seconds_p50"] = round(statistics.median(seconds), 2)
    out["seconds_p90"] = round(sorted(seconds)[int(0.9 * (len(seconds) - 1))], 2)
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    with tempfile.TemporaryDirectory() as tmp:
        answers = Path(tmp) / "answers.jsonl"
        answers.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        scored = Path(tmp) / "score.json"
        subprocess.run(
            [sys.executable, str(realdocs / "score.py"), "--json", str(scored), "qa", str(answers)],
            check=True,
            capture_output=True,
        )
        score = json.loads(scored.read_text())
    out["score"] = score["summary"]
    latency = {r["q"]: r["latency_s"] for r in rows}
    reply = {r["q"]: r["reply"] for r in rows}
    out["per_question"] = [
        {k: p[k] for k in ("q", "doc", "refuse", "ok", "cited", "answer", "citations")}
        | {"s": latency.get(p["q"]), "reply": reply.get(p["q"])}
        for p in score["per_question"]
    ]
    return out


def ingest(home: Path, realdocs: Path) -> None:
    from docpipe.api import Docpipe
    from docpipe.config import Settings
    from docpipe.index.ingest import discover

    dp = Docpipe(Settings.load(home))
    folders = [realdocs / "parse" / "docs", realdocs / "receipts" / "img", realdocs / "invoices" / "docs"]
    files, missing = discover([*folders, realdocs / "tables" / "docs"])  # ingest takes files, not folders
    if missing:
        raise SystemExit(f"realdocs incomplete: {', '.join(o.path for o in missing)}")
    outcomes = dp.ingestor().ingest(files)
    failed = [o for o in outcomes if o.status == "failed"]
    print(f"ingested {len(outcomes) - len(failed)} of {len(outcomes)} files into {home}", file=sys.stderr)
    for o in failed:
        print(f"  failed: {o.path}: {o.error}", file=sys.stderr)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--home", type=Path, default=None, help="an ingested home (default: ingest into a temp one)")
    ap.add_argument("--realdocs", default=None)
    ap.add_argument("--configs", default=",".join(CONFIGS))
    ap.add_argument("--ingest", action="store_true")
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--only", default=None, help="1-based question numbers, comma-separated (a subset)")
    ap.add_argument("--one", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "answers_real.json")
    args = ap.parse_args()
    realdocs = _realdocs(args)
    if not (realdocs / "qa" / "questions.json").exists():
        sys.exit(f"no realdocs questions at {realdocs}/qa/questions.json (give --realdocs DIR)")
    if args.home is None:
        tmp = tempfile.TemporaryDirectory(prefix="answers-real-")
        args.home, args.ingest = Path(tmp.name), True
    if args.one:
        print(json.dumps(one(args.one, args.home, realdocs, args.limit, args.only), ensure_ascii=False))
        return
    if args.ingest:
        ingest(args.home, realdocs)
    results: dict[str, Any] = {"questions": str(realdocs / "qa" / "questions.json"), "cores": os.cpu_count()}
    if args.out.exists() and os.environ.get("BENCH_KEEP"):  # add configurations to an earlier run's file
        results = json.loads(args.out.read_text(encoding="utf-8"))
    for name in args.configs.split(","):
        cmd = [sys.executable, __file__, "--one", name, "--home", str(args.home), "--realdocs", str(realdocs)]
        if args.limit:
            cmd += ["--limit", str(args.limit)]
        if args.only:
            cmd += ["--only", args.only]
        proc = subprocess.run(cmd, capture_output=False, stdout=subprocess.PIPE, text=True)
        if proc.returncode != 0:
            results[name] = {"error": f"exit {proc.returncode}"}
            continue
        results[name] = json.loads(proc.stdout.strip().splitlines()[-1])
        s = results[name]["score"]
        print(
            f"{name}: accuracy {s['accuracy']:.3f} answerable {s['answerable_acc']:.3f} "
            f"refusals {s['refusal_acc']:.3f} citations {s['citation_acc']:.3f}  p50 {results[name]['seconds_p50']} s",
            file=sys.stderr,
        )
        results[name]["load_average_after"] = round(os.getloadavg()[0], 1)  # the machine is shared
        args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")  # after each one


if __name__ == "__main__":
    main()
