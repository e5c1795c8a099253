"""pymupdf4llm over one realdocs folder, writing what ../shared/realdocs/score.py reads.

    .venv-peers/bin/python -m bench.peers.realdocs_pymupdf4llm --format md|html SRC_DIR OUT_DIR

`md`: its Markdown as is (score.py's parse and ocr scorers read pipe tables and text).
`html`: its pipe tables as HTML `<table>`s (the tables scorer reads only `<table>`).
Prints one JSON line: {"files", "seconds", "errors"}.
"""

from __future__ import annotations

import argparse
import contextlib
import html
import json
import re
import sys
import time
from pathlib import Path

_TAG = re.compile(r"<[^>]+>")


def tables_html(grids: list[list[list[str]]]) -> str:
    """Pipe-table grids -> one HTML page of `<table>`s (markup inside cells dropped)."""
    out = ["<html><body>"]
    for grid in grids:
        out.append("<table>")
        for row in grid:
            cells = "".join(f"<td>{html.escape(_TAG.sub(' ', c).strip())}</td>" for c in row)
            out.append(f"<tr>{cells}</tr>")
        out.append("</table>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def to_markdown(path: Path) -> str:
    import pymupdf
    import pymupdf4llm

    doc = pymupdf.open(path)
    if not doc.is_pdf:  # images and TIFF: every frame as a page
        doc = pymupdf.open("pdf", doc.convert_to_pdf())
    # it prints its OCR messages on stdout: keep stdout for our one JSON line
    with contextlib.redirect_stdout(sys.stderr):
        return str(pymupdf4llm.to_markdown(doc, show_progress=False))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--format", choices=["md", "html"], required=True)
    ap.add_argument("src", type=Path)
    ap.add_argument("out", type=Path)
    args = ap.parse_args()
    from bench.peers.pymupdf4llm import pipe_tables  # imports pymupdf: only in .venv-peers

    args.out.mkdir(parents=True, exist_ok=True)
    files = sorted(p for p in args.src.iterdir() if p.is_file() and not p.name.startswith("."))
    errors: dict[str, str] = {}
    t0 = time.perf_counter()
    for i, f in enumerate(files, 1):
        print(f"[{i}/{len(files)}] {f.name}", file=sys.stderr, flush=True)
        try:
            md = to_markdown(f)
        except Exception as e:  # a failure on one document is a result (scored empty), not a crash
            errors[f.name] = f"{type(e).__name__}: {e}"[:300]
            continue
        text = md if args.format == "md" else tables_html(pipe_tables(md))
        (args.out / f"{f.stem}.{args.format}").write_text(text, encoding="utf-8")
    seconds = time.perf_counter() - t0
    print(json.dumps({"files": len(files), "seconds": round(seconds, 2), "errors": errors}))


if __name__ == "__main__":
    main()
