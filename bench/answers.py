"""Answer accuracy on the samples' question set: extractive vs the embedded LLM vs auto.

Each question in samples/expected/*.json names a string the right answer must contain.
This is the measurement behind the default `--mode auto`.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Any

from docpipe.answer.request import AskMode, AskRequest
from docpipe.api import Docpipe
from docpipe.config import Settings
from docpipe.parse.converter import Converter

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"


def questions() -> list[tuple[str, str]]:
    out = []
    for f in sorted((SAMPLES / "expected").glob("*.json")):
        for q in json.loads(f.read_text()).get("questions", []):
            out.append((q["question"], q["answer_contains"]))
    return out


def run(
    converter: Converter | None = None,
    llm_base_url: str | None = None,
    modes: tuple[str, ...] = ("extractive", "llm", "auto"),
) -> dict[str, Any]:
    qs = questions()
    with tempfile.TemporaryDirectory() as home:
        dp = Docpipe(Settings.load(Path(home), llm_base_url=llm_base_url))
        if converter is not None:
            dp.__dict__["converter"] = converter  # reuse warmed-up models
        files = sorted(p for p in SAMPLES.iterdir() if p.suffix in {".pdf", ".png", ".jpg"})
        dp.ingestor().ingest(files)
        out: dict[str, Any] = {"questions": len(qs)}
        store = dp.store()
        retriever = dp.retriever(store)
        found = sum(
            any(must.replace(",", "") in h.chunk.text.replace(",", "") for h in retriever.search(q, k=5))
            for q, must in qs
        )
        store.close()
        out["recall@5_samples"] = round(found / len(qs), 3)
        for mode in modes:
            right, cited, seconds = 0, 0, 0.0
            for question, must in qs:
                t0 = time.perf_counter()
                a = dp.ask(AskRequest(question=question, k=5, mode=AskMode(mode)))
                seconds += time.perf_counter() - t0
                ok = must.replace(",", "") in a.answer.replace(",", "")
                right += ok
                cited += ok and any(must.replace(",", "") in c.text.replace(",", "") for c in a.citations)
            out[mode] = {
                "accuracy": round(right / len(qs), 3),
                "cited_correctly": round(cited / len(qs), 3),
                "mean_latency_s": round(seconds / len(qs), 2),
            }
    return out


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
