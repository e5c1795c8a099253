"""The two PDF renderers side by side at the same DPI (docpipe.parse.load.render): seconds per
page to render, peak RSS of a process that only renders, and the OCR words of the image-only
realdocs PDFs converted with each (word F1 by shared/realdocs/score.py). Writes the
"renderers" section of bench/results.json.

    .venv/bin/python bench/renderers.py [--realdocs DIR] [--dpi 200]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.realdocs import default_realdocs  # noqa: E402

SCANNED = ("ocr_test", "nemotron_multipage")  # image-only PDFs: every word comes through the renderer


def render_only(name: str, dpi: int, files: list[Path]) -> dict[str, Any]:
    code = (
        "import resource, sys, time\nfrom pathlib import Path\nfrom docpipe.parse.load import open_source\n"
        "n, spent = 0, 0.0\n"
        "for f in sys.argv[3:]:\n"
        "    with open_source(Path(f), renderer=sys.argv[1]) as src:\n"
        "        for sp in src.pages():\n"
        "            t0 = time.perf_counter(); sp.render(int(sys.argv[2])); spent += time.perf_counter() - t0; n += 1\n"
        "print(n, spent, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,"
        " resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [str(ROOT / ".venv/bin/python"), "-c", code, name, str(dpi), *map(str, files)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout.split()
    n, spent, self_kb, child_kb = int(out[0]), float(out[1]), int(out[2]), int(out[3])
    return {
        "pages": n,
        "render_s_per_page": round(spent / n, 4),
        "rss_self_mb": self_kb // 1024,
        "rss_renderer_child_mb": child_kb // 1024,
    }


def ocr_words(name: str, dpi: int, files: list[Path], rd: Path, work: Path) -> dict[str, Any]:
    out = work / name
    out.mkdir()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DOCPIPE_RENDERER": name,
        "DOCPIPE_RENDER_DPI": str(dpi),
        "HF_HUB_OFFLINE": "1",
    }
    for f in files:
        md = subprocess.run(
            [str(ROOT / ".venv/bin/python"), "-m", "docpipe.cli", "parse", str(f), "--format", "markdown"],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
        )
        (out / f"{f.stem}.md").write_text(md.stdout)
    score = subprocess.run([sys.executable, str(rd / "score.py"), "parse", str(out)], capture_output=True, text=True)
    per_doc = {}
    for line in score.stdout.splitlines():
        m = re.match(r"(\S+)\s.*word_F1=([\d.]+)", line)
        if m and not line.startswith("SUMMARY"):
            per_doc[m.group(1)] = float(m.group(2))
    return {"word_f1": per_doc, "summary": score.stdout.strip().splitlines()[-1:]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--realdocs", type=Path, default=default_realdocs())
    ap.add_argument("--dpi", type=int, default=200)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results.json")
    args = ap.parse_args()
    docs = sorted((args.realdocs / "parse" / "docs").glob("*.pdf"))
    scanned = [p for p in docs if p.stem.startswith(SCANNED)]
    section: dict[str, Any] = {"dpi": args.dpi, "load_avg_at_start": os.getloadavg()}
    with tempfile.TemporaryDirectory(prefix="docpipe-renderers-") as tmp:
        for name in ("pypdfium2", "pdf2image"):
            section[name] = {
                **render_only(name, args.dpi, docs),
                "ocr": ocr_words(name, args.dpi, scanned, args.realdocs, Path(tmp)),
            }
            print(name, json.dumps(section[name]), file=sys.stderr)
    a, b = section["pypdfium2"]["render_s_per_page"], section["pdf2image"]["render_s_per_page"]
    section["pdf2image_vs_pypdfium2_time"] = round(b / a, 2)
    result = json.loads(args.out.read_text()) if args.out.exists() else {}
    result["renderers"] = section
    args.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
