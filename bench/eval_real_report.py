"""Builds the eval-real report from score.py's JSON (one per step and tool) and renders it as Markdown.

Input per tool: {step: score.py --json output}. Output: summary metrics side by side with the
ratio docpipe / peer, per-document (per-table) rows side by side, and for extraction the
precision/recall/F1 of every field (score.py prints only accuracy per field).
"""

from __future__ import annotations

from typing import Any

# step -> (summary metrics, per-item metrics, per-item list key in score.py's JSON)
STEPS: dict[str, tuple[list[str], list[str], str]] = {
    "parse": (
        ["word_f1", "order", "headings_found", "table_rows_found"],
        ["word_f1", "order", "headings", "table_rows"],
        "per_doc",
    ),
    "tables": (["matched", "mean_adjacency_f1", "mean_row_f1"], ["adjacency_f1", "row_f1", "pred_dims"], "per_table"),
    "ocr": (["mean_word_f1", "micro_f1"], ["f1"], "per_doc"),
    "extract": (["micro_p", "micro_r", "micro_f1"], [], "per_doc"),
    "qa": (["accuracy", "answerable_acc", "refusal_acc", "citation_acc"], [], "per_question"),
}
PAIR_METRICS = ("headings", "table_rows")  # [found, of] per document; pooled in the summary
NO_RATIO = {"tables"}  # counts of the set, not a score


def ratio(a: Any, b: Any) -> float | None:
    if isinstance(a, int | float) and isinstance(b, int | float) and b:
        return round(a / b, 3)
    return None


def item_id(step: str, item: dict[str, Any]) -> str:
    return f"{item['doc']} #{item['table']}" if step == "tables" else str(item.get("doc", item.get("q", "?")))


def summary_of(step: str, score: dict[str, Any]) -> dict[str, Any]:
    names, _, key = STEPS[step]
    out = {k: score["summary"][k] for k in names if k in score.get("summary", {})}
    if step == "parse":  # pooled counts, as score.py prints them
        for m in PAIR_METRICS:
            found = sum(d[m][0] for d in score[key])
            of = sum(d[m][1] for d in score[key])
            out[f"{m}_count"] = f"{found}/{of}"
    if step == "tables":
        out["tables"] = score["summary"].get("tables")
    if step == "extract":
        for st in score.get("sets", []):
            out[f"{st['set']}_f1"] = st["micro_f1"]
    return out


def field_f1(score: dict[str, Any]) -> dict[str, dict[str, dict[str, float | int]]]:
    """Per set and field: a wrong value is a false positive and a false negative, a missing one a false negative."""
    counts: dict[str, dict[str, list[int]]] = {}
    for item in score.get("per_doc", []):
        for field, r in item["fields"].items():
            c = counts.setdefault(item["set"], {}).setdefault(field, [0, 0, 0])  # tp, fp, fn
            if r["ok"]:
                c[0] += 1
            else:
                c[2] += 1
                if r["pred"] not in (None, "", []):
                    c[1] += 1
    out: dict[str, dict[str, dict[str, float | int]]] = {}
    for set_name, fields in counts.items():
        for field, (tp, fp, fn) in fields.items():
            p = tp / (tp + fp) if tp + fp else 0.0
            r = tp / (tp + fn) if tp + fn else 0.0
            f = 2 * p * r / (p + r) if p + r else 0.0
            out.setdefault(set_name, {})[field] = {"p": round(p, 4), "r": round(r, 4), "f1": round(f, 4), "n": tp + fn}
    return out


def build_report(docpipe: dict[str, Any], peer: dict[str, Any], meta: dict[str, Any]) -> dict[str, Any]:
    name = meta.get("peer", "peer")
    report: dict[str, Any] = {"meta": meta, "summary": {}, "per_doc": {}}
    for step, score in docpipe.items():
        if step not in STEPS:
            continue
        _, item_metrics, key = STEPS[step]
        dp_sum = summary_of(step, score)
        entry: dict[str, Any] = {"docpipe": dp_sum}
        if step in peer:
            pe_sum = summary_of(step, peer[step])
            entry[name] = pe_sum
            entry["ratio"] = {
                k: r for k, v in dp_sum.items() if k not in NO_RATIO and (r := ratio(v, pe_sum.get(k))) is not None
            }
        report["summary"][step] = entry
        if step == "extract":
            report["extract_fields"] = field_f1(score)
            report["extract_sets"] = score.get("sets", [])
        if not item_metrics:
            continue
        peer_items = {item_id(step, it): it for it in peer.get(step, {}).get(key, [])}
        rows = []
        for it in score[key]:
            iid = item_id(step, it)
            row: dict[str, Any] = {"id": iid, "docpipe": {m: it.get(m) for m in item_metrics}}
            if iid in peer_items:
                row[name] = {m: peer_items[iid].get(m) for m in item_metrics}
            rows.append(row)
        report["per_doc"][step] = rows
    return report


def fmt(v: Any) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.3f}"
    if isinstance(v, list) and len(v) == 2:
        return f"{v[0]}/{v[1]}" if v[1] else "–"
    return str(v)


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header), *("| " + " | ".join(r) + " |" for r in rows)]


def render_markdown(report: dict[str, Any]) -> str:
    meta = report["meta"]
    name = meta.get("peer", "peer")
    lines = [
        "# docpipe on realdocs (`make eval-real`)",
        "",
        f"Commit `{meta.get('commit', '?')}`, {meta.get('date', '')}, steps {' '.join(meta.get('steps', []))}; "
        f"scored by realdocs' score.py, {name} in the same run. Ratio = docpipe / {name}. "
        f"Load average at the end {meta.get('load_avg', '?')} (shared machine: compare seconds only within this run).",
        "",
        "| step | docpipe s | " + name + " s |",
        "|---|---|---|",
    ]
    for step in meta.get("steps", []):
        secs = [meta.get(k, {}).get(step) for k in ("docpipe_seconds", "peer_seconds")]
        lines.append(f"| {step} | " + " | ".join("–" if s is None else f"{s:.0f}" for s in secs) + " |")
    for step, entry in report["summary"].items():
        lines += ["", f"## {step}", ""]
        dp, pe, ra = entry["docpipe"], entry.get(name, {}), entry.get("ratio", {})
        lines += _table(
            ["metric", "docpipe", name, "ratio"], [[k, fmt(v), fmt(pe.get(k)), fmt(ra.get(k))] for k, v in dp.items()]
        )
        if step == "extract":
            rows = [
                [s, f, fmt(m["p"]), fmt(m["r"]), fmt(m["f1"]), str(m["n"])]
                for s, fields in report.get("extract_fields", {}).items()
                for f, m in fields.items()
            ]
            lines += ["", f"docpipe per field ({name} has no field extraction):", ""]
            lines += _table(["set", "field", "P", "R", "F1", "n"], rows)
        items = report["per_doc"].get(step)
        if items:
            metrics = list(items[0]["docpipe"])
            header = ["document"] + [f"{m} {who}" for m in metrics for who in ("docpipe", name)]
            rows = [
                [r["id"]] + [fmt(r[who].get(m)) if who in r else "–" for m in metrics for who in ("docpipe", name)]
                for r in items
            ]
            lines += ["", *_table(header, rows)]
    return "\n".join(lines) + "\n"
