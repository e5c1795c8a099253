"""Memory over a long document: RSS at page 10 and page 1,000 of one ingest, and peak RSS of a
short and a long document side by side (flat = the same).

For each size, a fresh process generates a text PDF (every page different) and ingests it
(conversion, chunks, embeddings, SQLite, FAISS), sampling RSS before each page and after each
batch of chunks embedded. `make bench` runs 20 and 200 pages (bench/memory_200.json);
`make bench-memory` 100 and 1,000 (bench/memory.json).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
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


def one_run(pages: int) -> dict[str, object]:
    """Ingest a generated `pages`-page PDF in this process, sampling RSS as it goes."""
    sys.path.insert(0, str(ROOT))
    from docpipe.document import ConversionResult
    from docpipe.index.embed import SentenceTransformerEmbedder
    from docpipe.index.ingest import Ingestor
    from docpipe.options import Limits
    from docpipe.parse.converter import Converter, ConvertOptions

    marks = sorted({p for p in (1, 10, 20, 100, 200, 500, pages // 2, pages) if p <= pages})
    samples: dict[int, float] = {}
    embed_rss: list[float] = []  # after each batch of chunks embedded
    with tempfile.TemporaryDirectory() as tmp:
        pdf = Path(tmp) / "long.pdf"
        make_pdf(pdf, pages)
        conv = Converter(ConvertOptions(limits=Limits(max_pages=max(pages, 2000))))

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
                        print(f"{pages} pages: page {n}: {samples[n]} MB", file=sys.stderr, flush=True)

                return conv.convert_to(path, spool, on_page=on_page)

        class SamplingEmbedder(SentenceTransformerEmbedder):
            def embed(self, texts, *, progress=False):  # type: ignore[no-untyped-def]
                out = super().embed(texts, progress=progress)
                embed_rss.append(round(rss_mb(), 1))
                return out

        t0 = time.perf_counter()
        [outcome] = Ingestor(Path(tmp) / "home", Sampling(), SamplingEmbedder()).ingest([pdf])
        ingest_s = time.perf_counter() - t0
        assert outcome.status == "ingested" and outcome.pages == pages, outcome
    first, last = samples[min(10, pages)], samples[pages]
    return {
        "pages": pages,
        "rss_mb_before_page": {str(k): v for k, v in samples.items()},
        "growth_mb_page10_to_last": round(last - first, 1),
        "growth_kb_per_page": round((last - first) * 1024 / max(1, pages - 10), 1),
        "rss_mb_after_embedding_batch": {
            "first": embed_rss[0],
            "last": embed_rss[-1],
            "max": max(embed_rss),
            "batches": len(embed_rss),
        },
        "chunks": outcome.chunks,
        "seconds": round(ingest_s, 1),
        "pages_per_s": round(pages / ingest_s, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", default="100,1000", help="document sizes, each ingested in its own process")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "memory.json")
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one_run(args.one)))
        return
    sizes = sorted(int(p) for p in args.pages.split(","))
    runs = []
    for n in sizes:  # a fresh process each, so each peak RSS is that size's own
        proc = subprocess.run(
            [sys.executable, __file__, "--one", str(n)], stdout=subprocess.PIPE, text=True, check=True
        )
        runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    small, big = runs[0], runs[-1]
    out = {
        "runs": runs,
        "peak_rss_ratio": round(big["peak_rss_mb"] / small["peak_rss_mb"], 3),
        "pages_ratio": round(big["pages"] / small["pages"], 1),
        "note": "each size ingested in its own process, conversion in-process (not in the isolation child), so "
        "the RSS covers parsing, layout, OCR models, chunking, embedding, SQLite and FAISS. Flat: the peak "
        "of the large document is that of the small one (ratio ~1) and RSS does not grow from page 10 on.",
    }
    args.out.write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
