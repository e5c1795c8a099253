"""Load on `docpipe serve` over loopback: concurrent /api/ask clients, idle and during an ingest.

A real server process on a free port with a fresh home; bounded (a fixed number of asks per
client, timeouts everywhere) and it stops the server itself. Reports upload->ingested time
per sample and /api/ask latency p50/p95 with no ingest running and while the scans ingest,
as a ratio in the same run. Not part of the tests.

    .venv/bin/python bench/server_load.py [--clients 4] [--asks 25] [--out bench/server_load.json]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
QUESTION = "What is the total due on the ACME invoice?"
EXPECT = "926.64"
SLOW_SAMPLES = ["scanned_invoice.pdf", "receipt_cafe.png", "receipt_market.jpg", "invoice_multipage.pdf"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def upload(client: httpx.Client, names: list[str]) -> list[str]:
    files = [("files", (n, (SAMPLES / n).read_bytes())) for n in names]
    r = client.post("/api/documents", files=files, timeout=120)
    r.raise_for_status()
    return [d["id"] for d in r.json()]


def wait_ingested(client: httpx.Client, ids: list[str], started: float, timeout: float = 900) -> dict[str, float]:
    done: dict[str, float] = {}
    while len(done) < len(ids):
        if time.perf_counter() - started > timeout:
            raise TimeoutError(f"not ingested after {timeout} s: {set(ids) - set(done)}")
        for i in ids:
            if i not in done and client.get(f"/api/documents/{i}").json()["status"] in ("ok", "error"):
                done[i] = time.perf_counter() - started
        time.sleep(0.2)
    return done


def ask_load(base: str, clients: int, asks: int) -> dict[str, Any]:
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()

    def one_client() -> None:
        with httpx.Client(base_url=base, timeout=120) as c:
            for _ in range(asks):
                t0 = time.perf_counter()
                try:
                    r = c.post("/api/ask", json={"question": QUESTION, "k": 5})
                    ok = r.status_code == 200 and EXPECT in r.json()["answer"]
                    why = "" if ok else f"{r.status_code} {r.text[:120]}"
                except httpx.HTTPError as e:
                    why = f"{type(e).__name__}: {e}"
                dt = time.perf_counter() - t0
                with lock:
                    (failures.append(why) if why else latencies.append(dt))

    threads = [threading.Thread(target=one_client) for _ in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    return {
        "requests": clients * asks,
        "answered": len(latencies),
        "failures": failures[:5],
        "p50_s": round(pct(latencies, 0.5), 4) if latencies else None,
        "p95_s": round(pct(latencies, 0.95), 4) if latencies else None,
        "mean_s": round(statistics.fmean(latencies), 4) if latencies else None,
        "throughput_per_s": round(len(latencies) / wall, 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--asks", type=int, default=25, help="asks per client in each phase")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "server_load.json")
    args = ap.parse_args()

    home = Path(tempfile.mkdtemp(prefix="docpipe-load-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if k != "DOCPIPE_API_TOKEN"}
    env.setdefault("PYTHONPATH", str(ROOT))
    log = (home / "server.log").open("w")
    cmd = [sys.executable, "-m", "docpipe.cli", "serve", "--port", str(port), "--home", str(home / "home")]
    server = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        with httpx.Client(base_url=base, timeout=30) as client:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if client.get("/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"server did not start: {(home / 'server.log').read_text()}")
                time.sleep(0.3)
            t0 = time.perf_counter()
            first = wait_ingested(client, upload(client, ["invoice_acme.pdf"]), t0)
            client.post("/api/ask", json={"question": QUESTION}, timeout=120).raise_for_status()  # warm
            idle = ask_load(base, args.clients, args.asks)
            t1 = time.perf_counter()
            ids = upload(client, SLOW_SAMPLES)
            during = ask_load(base, args.clients, args.asks)
            still_ingesting = client.get("/healthz").json()["ingesting"]
            ingested = wait_ingested(client, ids, t1)
        result = {
            "clients": args.clients,
            "asks_per_client": args.asks,
            "upload_to_ingested_s": {
                "invoice_acme.pdf (first, loads the models)": round(next(iter(first.values())), 2),
                **{n: round(ingested[i], 2) for n, i in zip(SLOW_SAMPLES, ids, strict=True)},
            },
            "ask_idle": idle,
            "ask_during_ingest": during,
            "ingests_still_running_when_the_asks_ended": still_ingesting,
            "p50_ratio_during_over_idle": round(during["p50_s"] / idle["p50_s"], 2)
            if idle["p50_s"] and during["p50_s"]
            else None,
        }
        args.out.write_text(json.dumps(result, indent=2) + "\n")
        print(json.dumps(result, indent=2))
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


if __name__ == "__main__":
    main()
