"""Peers on the realdocs parse set, written where score.py reads them, so a peer is scored in
the same run as docpipe:

    .venv-peers/bin/python bench/realdocs_peers.py OUTDIR [--peer pymupdf4llm|pypdfium2]
    python3 ../shared/realdocs/score.py parse OUTDIR/pymupdf4llm

One Markdown file per document (OUTDIR/<peer>/<stem>.md); a document the peer cannot read
(a TIFF for both) gets an empty file, which the scorer counts as empty output.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REALDOCS = Path(__file__).resolve().parents[2] / "shared" / "realdocs"


def pymupdf4llm_md(path: Path) -> str:
    import pymupdf4llm  # type: ignore[import-not-found]

    return str(pymupdf4llm.to_markdown(str(path)))


def pypdfium2_md(path: Path) -> str:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path))
    try:
        return "\n\n".join(page.get_textpage().get_text_range() for page in pdf)
    finally:
        pdf.close()


PEERS = {"pymupdf4llm": pymupdf4llm_md, "pypdfium2": pypdfium2_md}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", type=Path)
    ap.add_argument("--peer", choices=sorted(PEERS), action="append")
    ap.add_argument("--docs", type=Path, default=REALDOCS / "parse" / "docs")
    args = ap.parse_args()
    for peer in args.peer or ["pymupdf4llm"]:
        dest = args.out / peer
        dest.mkdir(parents=True, exist_ok=True)
        for path in sorted(args.docs.iterdir()):
            try:
                md = PEERS[peer](path) if path.suffix.lower() == ".pdf" else ""
            except Exception as e:  # a peer's failure is its score, not ours
                print(f"{peer}: {path.name}: {e}", file=sys.stderr)
                md = ""
            (dest / f"{path.stem}.md").write_text(md, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
