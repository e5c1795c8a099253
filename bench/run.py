"""`make bench`: docpipe beside the raw tools it builds on, same pages, same run.

Timings on a shared 2-core machine are noisy, so each figure is the median of several
repeats, the spread is kept, and comparisons are ratios measured in the same run.
Writes bench/results.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import sys
import time
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
TEXT_PDFS = ["invoice_acme.pdf", "invoice_multipage.pdf", "two_column.pdf"]
SCANS = ["scanned_invoice.pdf", "receipt_cafe.png", "receipt_market.jpg"]


def timed(fn: Callable[[], object], repeats: int) -> dict[str, float]:
    runs = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t0)
    return {"median_s": statistics.median(runs), "min_s": min(runs), "max_s": max(runs)}


def pages_of(names: list[str]) -> int:
    import pypdfium2 as pdfium

    n = 0
    for name in names:
        n += len(pdfium.PdfDocument(str(SAMPLES / name))) if name.endswith(".pdf") else 1
    return n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results.json")
    ap.add_argument("--quick", action="store_true", help="small sizes: checks the harness, not the speed")
    args = ap.parse_args()

    import numpy as np
    import pdfplumber
    import pypdfium2 as pdfium
    from rapidocr import RapidOCR

    from docpipe.parse.converter import Converter

    conv = Converter()
    conv.warm_up()
    ocr = RapidOCR(params={"Global.log_level": "error"})

    def docpipe_all(names: list[str]) -> Callable[[], object]:
        return lambda: [conv.convert(SAMPLES / n) for n in names]

    def plumber_text() -> None:
        for n in TEXT_PDFS:
            with pdfplumber.open(SAMPLES / n) as pdf:
                for p in pdf.pages:
                    p.extract_text()
                    p.extract_tables()

    def pdfium_text() -> None:
        for n in TEXT_PDFS:
            pdf = pdfium.PdfDocument(str(SAMPLES / n))
            for page in pdf:
                page.get_textpage().get_text_range()

    def raw_ocr() -> None:
        for n in SCANS:
            if n.endswith(".pdf"):
                for page in pdfium.PdfDocument(str(SAMPLES / n)):
                    ocr(np.asarray(page.render(scale=200 / 72).to_pil().convert("RGB")))
            else:
                ocr(str(SAMPLES / n))

    text_pages, scan_pages = pages_of(TEXT_PDFS), pages_of(SCANS)
    rows: dict[str, Any] = {}
    for key, fn, pages in (
        ("docpipe_text_pdf", docpipe_all(TEXT_PDFS), text_pages),
        ("pdfplumber_text_and_tables", plumber_text, text_pages),
        ("pypdfium2_text_only", pdfium_text, text_pages),
        ("docpipe_scans", docpipe_all(SCANS), scan_pages),
        ("rapidocr_raw_scans", raw_ocr, scan_pages),
    ):
        t = timed(fn, args.repeats)
        rows[key] = {**t, "pages": pages, "s_per_page": t["median_s"] / pages, "pages_per_s": pages / t["median_s"]}
        print(f"{key:30} {rows[key]['s_per_page'] * 1000:8.1f} ms/page  ({pages} pages, median of {args.repeats})")
    ratios = {
        "docpipe_vs_pdfplumber_text": rows["docpipe_text_pdf"]["s_per_page"]
        / rows["pdfplumber_text_and_tables"]["s_per_page"],
        "docpipe_vs_rapidocr_scans": rows["docpipe_scans"]["s_per_page"] / rows["rapidocr_raw_scans"]["s_per_page"],
    }
    sys.path.insert(0, str(Path(__file__).parent))
    import answers
    import retrieval

    retrieval_figures = retrieval.run(quick=args.quick)
    print(json.dumps(retrieval_figures, indent=2))
    answer_figures = answers.run(conv)
    print(json.dumps(answer_figures, indent=2))
    import llm_speed

    llm_figures = llm_speed.run(answers.run)
    print(json.dumps(llm_figures, indent=2))
    result = {
        "machine": {
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "cpus": __import__("os").cpu_count(),
        },
        "versions": {p: version(p) for p in ("pypdfium2", "pdfplumber", "rapidocr", "rapid-layout", "onnxruntime")},
        "timings": rows,
        "ratios_time": ratios,
        "retrieval": retrieval_figures,
        "answers": answer_figures,
        "llm": llm_figures,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "note": "ratios > 1 mean docpipe takes longer per page; it also does layout, tables and reading order",
    }
    if args.out.exists():  # bench/peers/compare.py writes its own section: keep it
        result |= {k: v for k, v in json.loads(args.out.read_text()).items() if k == "peers"}
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(ratios, indent=2), f"\npeak RSS {result['peak_rss_mb']:.0f} MB → {args.out}")


if __name__ == "__main__":
    main()
