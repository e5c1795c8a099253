"""Extraction speed on receipts: the rules alone, and with the embedded model's pass.

Each receipt is converted once (OCR, timed apart); then the rules run over every parsed
document (documents/s), and the model pass (extract_document with the llama.cpp generator,
reconciled) over the same ones (s/document). Receipts: the samples' two, plus the realdocs
receipts when ../shared/realdocs is there (`--realdocs DIR`, `-n` of them).
Writes bench/extract_speed.json.

    python bench/extract_speed.py [-n 10] [--realdocs ../shared/realdocs] [--no-model]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RULES_TARGET_DOCS_PER_S = 1.0
MODEL_TARGET_S_PER_DOC = 4.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=10, help="realdocs receipts to add to the samples")
    ap.add_argument("--realdocs", type=Path, default=ROOT.parent / "shared" / "realdocs")
    ap.add_argument("--no-model", action="store_true", help="time the rules only")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "extract_speed.json")
    args = ap.parse_args()

    from docpipe.api import Docpipe
    from docpipe.config import Settings
    from docpipe.extract import extract_document, load_schema

    files = [ROOT / "samples" / "receipt_cafe.png", ROOT / "samples" / "receipt_market.jpg"]
    img = args.realdocs / "receipts" / "img"
    if img.is_dir():
        files += sorted(img.glob("*.jpg"))[: args.n]
    settings = Settings.load(None)
    app = Docpipe(settings)
    t0 = time.perf_counter()
    docs = [d for f in files if (d := app.converter.convert(f).document) is not None]
    parse_s = time.perf_counter() - t0
    schema = load_schema("receipt")

    t0 = time.perf_counter()
    for i, doc in enumerate(docs):
        extract_document(doc, schema, source=str(i))
    rules_s = time.perf_counter() - t0
    report: dict[str, object] = {
        "machine": f"{platform.machine()} {platform.system()}, {os.cpu_count()} cores",
        "receipts": len(docs),
        "parse_s_per_doc": round(parse_s / len(docs), 3),
        "rules_docs_per_s": round(len(docs) / rules_s, 1),
        "rules_target_docs_per_s": RULES_TARGET_DOCS_PER_S,
    }
    if not args.no_model:
        try:
            gen = app.generator()
            gen.warm_up()
        except Exception as e:  # no model installed: the rules' numbers still stand
            report["model"] = f"not timed: {type(e).__name__}: {e}"
        else:
            reconciled = settings.llm.kind == "llama_cpp"
            t0 = time.perf_counter()
            for i, doc in enumerate(docs):
                extract_document(doc, schema, source=str(i), generator=gen, reconciled=reconciled)
            model_s = time.perf_counter() - t0
            report |= {
                "model": getattr(gen, "name", settings.llm.kind),
                "with_model_s_per_doc": round(model_s / len(docs), 2),
                "model_target_s_per_doc": MODEL_TARGET_S_PER_DOC,
            }
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
