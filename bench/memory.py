"""Memory over a long document: RSS at page 10 and page 1,000 of one ingest (flat = no leak).

Generates a 1,000-page text PDF (every page different), converts it in this process while
sampling RSS before each page, then ingests it (chunks, embeddings, SQLite, FAISS) and records
the peak. Writes bench/memory.json. `python bench/memory.py --pages 100` for a quick look.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORDS = "invoice total amount vendor payment order delivery account balance tax net due date item".split()


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def make_pdf(path: Path, pages: int) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    rng = random.Random(1000)
    c = canvas.Canvas(str(path), pagesize=A4)
    for i in range(1, pages + 1):
        c.setFont("Helvetica-Bold", 16)
        c.drawString(72, 770, f"Section {i}: report page {i}")
        c.setFont("Helvetica", 11)
        for j in range(30):
            words = " ".join(rng.choice(WORDS) for _ in range(11))
            c.drawString(72, 740 - 20 * j, f"{words} {rng.randint(1, 99999)}.{rng.randint(0, 99):02d}")
        c.showPage()
    c.save()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=1000)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "memory.json")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    from docpipe.document import ConversionResult
    from docpipe.index.embed import Embedder
    from docpipe.ingest import Ingestor
    from docpipe.pipeline import Converter, ConvertOptions

    marks = sorted({p for p in (1, 10, 100, 500, args.pages // 2, args.pages) if p <= args.pages})
    with tempfile.TemporaryDirectory() as tmp:
        pdf = Path(tmp) / "long.pdf"
        make_pdf(pdf, args.pages)
        conv = Converter(ConvertOptions(max_pages=max(args.pages, 2000)))
        samples: dict[int, float] = {}

        class Sampling:
            """The ingest's converter, sampling RSS before each page (conversion in-process)."""

            def warm_up(self) -> None:
                conv.warm_up()

            def convert(self, path: Path) -> ConversionResult:
                raise NotImplementedError("the ingest streams: convert_to")

            def convert_to(self, path: Path, spool: Path) -> ConversionResult:
                def on_page(n: int) -> None:
                    if n in marks:
                        samples[n] = round(rss_mb(), 1)
                        print(f"page {n}: {samples[n]} MB", file=sys.stderr, flush=True)

                result = conv.convert_to(path, spool, on_page=on_page)
                samples[args.pages + 1] = round(rss_mb(), 1)  # every page converted and spooled
                return result

        t0 = time.perf_counter()
        [outcome] = Ingestor(Path(tmp) / "home", Sampling(), Embedder()).ingest([pdf])
        ingest_s = time.perf_counter() - t0
        assert outcome.status == "ingested" and outcome.pages == args.pages, outcome
    first, last = samples[min(10, args.pages)], samples[args.pages]
    out = {
        "pages": args.pages,
        "rss_mb_before_page": {str(k): v for k, v in samples.items() if k <= args.pages},
        "rss_mb_after_conversion": samples[args.pages + 1],
        "growth_mb_page10_to_last": round(last - first, 1),
        "growth_kb_per_page": round((last - first) * 1024 / max(1, args.pages - 10), 1),
        "ingest": {"chunks": outcome.chunks, "seconds": round(ingest_s, 1),
                   "pages_per_s": round(args.pages / ingest_s, 2)},
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "note": "one ingest in one process (conversion in-process, not in the isolation child), so the "
        "RSS covers parsing, layout, OCR models, chunking, embedding, SQLite and FAISS.",
    }
    args.out.write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
