"""Retrieval figures for `make bench`: recall@5 (hybrid vs dense-only vs keyword-only, same
corpus, same questions), query latency at 100k chunks, embedding throughput, peak memory."""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from docpipe.document import BBox, Document, Element, Line, Page, Provenance
from docpipe.index.chunking import chunk_document
from docpipe.index.embed import Embedder, SentenceTransformerEmbedder
from docpipe.index.search import EXACT_WEIGHT, identifiers, rrf
from docpipe.index.store import Store
from docpipe.index.vectors import VectorIndex

VENDORS = [
    "Acme Tools",
    "Blue Harbor Logistics",
    "Nordlicht GmbH",
    "Corner Cafe",
    "Fresh Market",
    "Polar Freight",
    "Sunrise Bakery",
    "Granite Office Supply",
    "Riverbend Electric",
    "Atlas Printing",
    "Cobalt Software",
    "Maple Catering",
    "Orion Security",
    "Summit Legal",
    "Harbor Marine Parts",
]
ITEMS = [
    "steel bracket",
    "printer toner",
    "consulting hours",
    "pallet wrapping",
    "coffee beans",
    "legal review",
    "cable ties",
    "forklift rental",
    "office chairs",
    "security patrol",
    "catering service",
    "software licence",
]


def synthetic_invoice(i: int, rng: random.Random) -> tuple[Document, dict[str, str]]:
    """A small invoice-shaped document (no rendering: this measures retrieval, not parsing)."""
    vendor = rng.choice(VENDORS)
    number = f"INV-{2024 + i % 3}-{10000 + i}"
    total = f"{rng.randint(50, 99999) / 100:,.2f}"
    lines = [vendor, f"Invoice No: {number}", f"Invoice Date: {rng.randint(1, 28):02d}.{rng.randint(1, 12):02d}.2024"]
    lines += [f"{rng.choice(ITEMS)} {rng.randint(1, 20)} x {rng.randint(1, 500)}.00" for _ in range(4)]
    lines += [f"Total Due ${total}"]
    els = []
    for k, text in enumerate(lines):
        box = BBox(x0=50, y0=50 + 14 * k, x1=400, y1=62 + 14 * k)
        els.append(
            Element(
                id=f"e{k}",
                label="text",
                text=text,
                prov=[Provenance(page=1, bbox=box)],
                lines=[Line(text=text, bbox=box)],
            )
        )
    doc = Document(
        id=f"{i:064x}",
        name=f"invoice_{i:05d}.pdf",
        source="bench",
        mime="application/pdf",
        pages=[Page(number=1, width=612, height=792, origin="text_layer")],
        body=els,
    )
    return doc, {"number": number, "vendor": vendor, "total": total}


def recall_at_k(home: Path, embedder: Embedder, n_docs: int, k: int = 5) -> dict[str, Any]:
    rng = random.Random(11)
    store = Store(home / "store.db")
    truth: list[tuple[str, str, str]] = []  # (question, document name, answer text)
    t_embed, n_chunks, texts = 0.0, 0, []
    for i in range(n_docs):
        doc, facts = synthetic_invoice(i, rng)
        chunks = chunk_document(doc, 200, embedder.count_tokens)
        t0 = time.perf_counter()
        vecs = embedder.embed([c.text for c in chunks])
        t_embed += time.perf_counter() - t0
        n_chunks += len(chunks)
        texts += [c.text for c in chunks]
        store.documents.put(doc, f"/bench/{doc.name}", chunks, vecs, embedder.name)
        if i % 5 == 0:
            truth.append((f"What is the total due on invoice {facts['number']}?", doc.name, facts["total"]))
            truth.append((f"Which company issued invoice {facts['number']}?", doc.name, facts["vendor"]))
    t0 = time.perf_counter()
    embedder.embed(texts[:512])  # batched, as a bulk ingest would
    batched = min(512, len(texts)) / (time.perf_counter() - t0)
    vectors = VectorIndex(home, embedder.name, embedder.dim)
    vectors.load(store, persist=True)
    hits = {"hybrid": 0, "dense": 0, "keyword": 0}
    for question, name, _answer in truth:
        qvec = embedder.embed([question])[0]
        dense = [cid for cid, _ in vectors.search(qvec, 20)]
        keyword = store.keyword.search(question, 20)
        exact = store.keyword.phrases(identifiers(question), 20)
        fused = rrf([dense, keyword, exact], weights=[1.0, 1.0, EXACT_WEIGHT])
        ranked = {"hybrid": sorted(fused, key=lambda c: -fused[c])[:k], "dense": dense[:k], "keyword": keyword[:k]}
        for how, ids in ranked.items():
            docs = {c.document for c in store.documents.chunks(ids).values()}
            hits[how] += name in docs
    store.close()
    return {
        "corpus_docs": n_docs,
        "questions": len(truth),
        **{f"recall@{k}_{how}": round(v / len(truth), 3) for how, v in hits.items()},
        "embed_chunks_per_s_per_document": round(n_chunks / t_embed, 1),
        "embed_chunks_per_s_batched": round(batched, 1),
    }


def latency_at_scale(home: Path, embedder: Embedder, n_chunks: int, queries: int = 200) -> dict[str, Any]:
    """p50/p95 of retrieval alone (dense + BM25 + fusion + fetching chunks) at n_chunks."""
    rng = np.random.default_rng(3)
    # Word frequencies follow Zipf's law, as in real text: a few words everywhere, most rare.
    vocab = np.array([f"w{i}" for i in range(20_000)])
    zipf = 1 / np.arange(1, len(vocab) + 1)
    zipf /= zipf.sum()
    store = Store(home / "store.db")
    dim = embedder.dim
    vecs = rng.standard_normal((n_chunks, dim)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    with store.db.write() as db:  # raw rows: one synthetic document, n_chunks chunks, no conversion
        db.execute(
            "INSERT INTO documents(sha256, path, name, status, n_pages, updated_at) VALUES ('x','/x','x','ok',1,0)"
        )
        doc_id = db.execute("SELECT id FROM documents").fetchone()[0]
        for i in range(n_chunks):
            text = " ".join(vocab[rng.choice(len(vocab), 60, p=zipf)]) + f" INV-{i}"
            cur = db.execute(
                "INSERT INTO chunks(document_id, seq, text, html, heading, spans, content_hash) VALUES (?,?,?,?,?,?,?)",
                (doc_id, i, text, "", None, "[]", str(i)),
            )
            db.execute(
                "INSERT INTO embeddings(chunk_id, model, vector) VALUES (?,?,?)",
                (cur.lastrowid, embedder.name, vecs[i].tobytes()),
            )
    t0 = time.perf_counter()
    vectors = VectorIndex(home, embedder.name, dim)
    vectors.load(store, persist=True)
    build_s = time.perf_counter() - t0
    qs = [" ".join(vocab[rng.choice(len(vocab), 5, p=zipf)]) + f" INV-{rng.integers(n_chunks)}" for _ in range(queries)]
    qvecs = rng.standard_normal((queries, dim)).astype(np.float32)
    times = []
    for q, qv in zip(qs, qvecs, strict=True):
        t = time.perf_counter()
        dense = [cid for cid, _ in vectors.search(qv / np.linalg.norm(qv), 20)]
        keyword = store.keyword.search(q, 20)
        exact = store.keyword.phrases(identifiers(q), 20)
        fused = rrf([dense, keyword, exact], weights=[1.0, 1.0, EXACT_WEIGHT])
        store.documents.chunks(sorted(fused, key=lambda c: -fused[c])[:5])
        times.append((time.perf_counter() - t) * 1000)
    t = time.perf_counter()
    for q in qs[:50]:
        embedder.embed([q])
    embed_ms = (time.perf_counter() - t) / 50 * 1000
    store.close()
    times.sort()
    return {
        "chunks": n_chunks,
        "index_kind": vectors.kind,
        "index_build_s": round(build_s, 2),
        "retrieval_p50_ms": round(statistics.median(times), 2),
        "retrieval_p95_ms": round(times[int(0.95 * len(times)) - 1], 2),
        "query_embedding_ms": round(embed_ms, 2),
    }


def run(quick: bool = False) -> dict[str, Any]:
    embedder = SentenceTransformerEmbedder()
    embedder.warm_up()
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        recall = recall_at_k(Path(a), embedder, 60 if quick else 400)
        latency = latency_at_scale(Path(b), embedder, 5_000 if quick else 100_000)
    return {"recall": recall, "latency": latency}


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
