"""bench/REPORT.md and bench/peers.png from the "peers" section of bench/results.json.

.venv/bin/python -m bench.peers.report   # rewrite the report from the stored results
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
KIND_TITLE = {"digital": "Born-digital pages", "scan": "Scanned pages (image PDFs, PNG/JPG receipts)"}


def _f(v: float | None, fmt: str = "{:.3f}") -> str:
    return "–" if v is None else fmt.format(v)


def _x(v: float | None) -> str:
    return "–" if v is None else f"{v:.2f}×"


def parse_table(kind: str, rows: dict[str, Any], ratios: dict[str, Any]) -> list[str]:
    out = [
        "| tool | pages/s (median; min–max) | peak RSS MB | cold start s | CER ↓ | reading order ↑ | tables ↑ "
        "| docpipe speed × | docpipe CER × | notes |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, r in rows.items():
        if "skipped" in r:
            out.append(f"| {name} | not run: {r['skipped']} | | | | | | | | {r.get('note', '')} |")
            continue
        rt = ratios.get(kind, {}).get(name, {})
        speed = f"{r['pages_per_s']:.2f}; {r['per_s_min']:.2f}–{r['per_s_max']:.2f}"
        errs = f" ({len(r['errors'])} doc errors)" if r.get("errors") else ""
        out.append(
            f"| {'**docpipe**' if name == 'docpipe' else name} | {speed} | {r['peak_rss_mb']:.0f} "
            f"| {r['cold_start_s']:.1f} "
            f"| {_f(r['cer'], '{:.4f}')} | {_f(r['reading_order'])} | {_f(r['tables'])} "
            f"| {_x(rt.get('speed')) if name != 'docpipe' else ''} | {_x(rt.get('cer')) if name != 'docpipe' else ''} "
            f"| {r.get('note', '')}{errs} |"
        )
    return out


def extract_table(rows: dict[str, Any], ratios: dict[str, Any]) -> list[str]:
    out = [
        "| tool | docs/s (median; min–max) | peak RSS MB | precision | recall | F1 ↑ | docpipe speed × | notes |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, r in rows.items():
        if "skipped" in r:
            out.append(f"| {name} | not run: {r['skipped']} | | | | | | {r.get('note', '')} |")
            continue
        rt = ratios.get("extract", {}).get(name, {})
        out.append(
            f"| {'**docpipe**' if name == 'docpipe' else name} | {r['docs_per_s']:.2f}; "
            f"{r['per_s_min']:.2f}–{r['per_s_max']:.2f} | {r['peak_rss_mb']:.0f} | {r['precision']:.3f} "
            f"| {r['recall']:.3f} | {r['f1']:.3f} | {_x(rt.get('speed')) if name != 'docpipe' else ''} "
            f"| {r.get('note', '')} |"
        )
    return out


def losses(peers: dict[str, Any]) -> list[str]:
    """Every column where a peer beats docpipe, stated plainly."""
    out = []
    for kind in ("digital", "scan"):
        rows = peers.get(kind, {})
        dp = rows.get("docpipe")
        if not dp or "skipped" in dp:
            continue
        for name, r in rows.items():
            if name == "docpipe" or "skipped" in r:
                continue
            if r["pages_per_s"] > dp["pages_per_s"]:
                out.append(
                    f"- {kind}: {name} is {r['pages_per_s'] / dp['pages_per_s']:.1f}× faster "
                    f"({r['pages_per_s']:.2f} vs {dp['pages_per_s']:.2f} pages/s)."
                )
            if r["cer"] < dp["cer"]:
                out.append(f"- {kind}: {name} has a lower CER ({r['cer']:.4f} vs {dp['cer']:.4f}).")
            for col in ("reading_order", "tables"):
                if r[col] is not None and dp[col] is not None and r[col] > dp[col]:
                    out.append(
                        f"- {kind}: {name} scores higher on {col.replace('_', ' ')} ({r[col]:.3f} vs {dp[col]:.3f})."
                    )
            if r["peak_rss_mb"] < dp["peak_rss_mb"]:
                out.append(
                    f"- {kind}: {name} needs less memory ({r['peak_rss_mb']:.0f} vs {dp['peak_rss_mb']:.0f} MB)."
                )
    ex = peers.get("extract", {})
    dp = ex.get("docpipe")
    if dp and "skipped" not in dp:
        for name, r in ex.items():
            if name != "docpipe" and "skipped" not in r:
                if r["f1"] > dp["f1"]:
                    out.append(f"- extraction: {name} has a higher F1 ({r['f1']:.3f} vs {dp['f1']:.3f}).")
                if r["docs_per_s"] > dp["docs_per_s"]:
                    out.append(
                        f"- extraction: {name} is {r['docs_per_s'] / dp['docs_per_s']:.1f}× faster "
                        f"({r['docs_per_s']:.2f} vs {dp['docs_per_s']:.2f} docs/s)."
                    )
    return out


def plot(peers: dict[str, Any], png: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for ax, kind in zip(axes, ("digital", "scan"), strict=True):
        for name, r in peers.get(kind, {}).items():
            if "skipped" in r:
                continue
            acc = max(0.0, 1 - r["cer"])
            ax.scatter(r["pages_per_s"], acc, s=60, color="tab:red" if name == "docpipe" else "tab:blue")
            ax.errorbar(
                r["pages_per_s"],
                acc,
                xerr=[[r["pages_per_s"] - r["per_s_min"]], [r["per_s_max"] - r["pages_per_s"]]],
                fmt="none",
                color="gray",
            )
            ax.annotate(name, (r["pages_per_s"], acc), textcoords="offset points", xytext=(5, 4), fontsize=9)
        ax.set_xscale("log")
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())  # minor labels overlap
        ax.set_xlabel("pages/s (log; bars: min–max of repeats)")
        ax.set_ylabel("1 − CER")
        ax.set_title(KIND_TITLE[kind].split(" (")[0])
        ax.grid(alpha=0.3)
    fig.suptitle("docpipe vs peers, same documents, same run")
    fig.tight_layout()
    fig.savefig(png, dpi=110)
    plt.close(fig)


def write_report(peers: dict[str, Any], path: Path) -> None:
    png = path.with_name("peers.png")
    try:
        plot(peers, png)
        have_png = True
    except ImportError:  # matplotlib lives in the peers venv and the dev extra
        have_png = False
    m = peers["machine"]
    docs = peers["documents"]
    lines = [
        "# docpipe vs peers",
        "",
        "Generated by `make bench` (`bench/peers/compare.py`); numbers from one run on the machine below. "
        "The machine is shared and noisy: speeds are medians of the repeats with their min–max, and "
        "comparisons are ratios within this run (docpipe ÷ peer: speed × > 1 means docpipe is faster, "
        "CER × < 1 means docpipe makes fewer errors).",
        "",
        f"Machine: {m['cpus']} × {m['cpu_model']}, {m['ram_gb']} GB RAM, Python {m['python']}; "
        f"load average at start {', '.join(f'{x:.1f}' for x in m['load_avg_at_start'])}. "
        f"Repeats: {peers['repeats']}{' (quick mode)' if peers['quick'] else ''}. "
        f"Wall time {peers.get('wall_s', '?')} s.",
        "",
        f"Documents (generated by `bench/peers/docset.py`, truth known): {docs['digital']['docs']} born-digital "
        f"({docs['digital']['pages']} pages: multi-page two-column reports with tables, invoices), "
        f"{docs['scan']['docs']} scanned ({docs['scan']['pages']} pages: invoices incl. one skewed 2.5° and one "
        f"turned 90°, receipts, a two-column report page); {docs['invoices']['docs']} invoices for extraction.",
        "",
        *(
            f"Re-run after the main run: {', '.join(r['tools'])}, because {r['reason']} "
            f"(load average then {', '.join(f'{x:.1f}' for x in r['machine']['load_avg_at_start'])}); "
            "ratios against these rows span the two runs."
            for r in peers.get("reruns", [])
        ),
        "",
        "![pages/s vs accuracy](peers.png)" if have_png else "",
        "",
    ]
    for kind in ("digital", "scan"):
        if peers.get(kind):
            lines += [f"## {KIND_TITLE[kind]}", "", *parse_table(kind, peers[kind], peers["ratios"]), ""]
    if peers.get("extract"):
        lines += [
            "## Invoice extraction (vendor, number, date, currency, total)",
            "",
            *extract_table(peers["extract"], peers["ratios"]),
            "",
        ]
    lines += [
        "## Where docpipe loses in this run",
        "",
        *(losses(peers) or ["- nowhere in this run."]),
        "",
        "## How the columns are measured",
        "",
        "- **pages/s**: pages ÷ median seconds of the timed passes over the whole set, in one process per tool "
        "after a first (cold) call that loads models; the cold start is shown apart.",
        "- **peak RSS**: `ru_maxrss` of the tool's process, plus that of its children (tesseract runs as one).",
        "- **CER**: Levenshtein distance ÷ truth length per page, summed over pages, after collapsing "
        "whitespace, dropping Markdown markup and the known page headers/footers. It counts order: text "
        "read across two columns costs characters.",
        "- **reading order**: the first four words of every truth line are located in the tool's text "
        "(exactly, else fuzzily so an OCR slip is not an order error); the score is the share of all pairs "
        "of lines found in the truth's order. Reading across two columns inverts many pairs.",
        "- **tables**: cell-adjacency F1 (ICDAR 2013 table competition) of each truth table against the "
        "tool's best table; only for tools that return table structure.",
        "- **extraction**: field-level precision/recall/F1 over vendor, invoice number, ISO date, currency, "
        "total; invoice2data is all-or-nothing per document (a missing required field drops the record).",
        "",
    ]
    notes = Path(__file__).with_name("NOTES.md")
    if notes.exists():  # written by hand after reading the committed run's per-document scores
        lines += [notes.read_text().rstrip(), ""]
    if peers.get("not_run_here"):
        lines += [
            "## Peers that cannot run here",
            "",
            "They fetch their models from a model hub at first use; this machine reaches only package "
            "registries. Their published figures, on other documents and hardware (not comparable with "
            "the tables above):",
            "",
            "| tool | why not here | published figure | source |",
            "| --- | --- | --- | --- |",
            *(f"| {p['tool']} | {p['why']} | {p['figure']} | {p['source']} |" for p in peers["not_run_here"]),
            "",
        ]
    path.write_text("\n".join(lines))


def main() -> None:
    results = json.loads((ROOT / "bench" / "results.json").read_text())
    write_report(results["peers"], ROOT / "bench" / "REPORT.md")


if __name__ == "__main__":
    main()
