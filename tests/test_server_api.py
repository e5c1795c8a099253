"""`docpipe serve`'s HTTP API against the real app, a real store and real models, in-process."""

from __future__ import annotations

import asyncio
import io
import json
import os
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from docpipe.answer.ask import NOT_FOUND
from docpipe.config import Settings
from docpipe.options import Limits
from docpipe.server.app import create_app
from docpipe.server.security import BadName, check_bind, display_name
from tests.conftest import DOCPIPE, SAMPLES, expected, run_cli

QUESTION = "What is the total due on the ACME invoice?"
TOKEN = "s3cret-token-for-tests"


def _settings(home: Path, **update: Any) -> Settings:
    return Settings.load(home).model_copy(update={"api_token": None, **update})


def _stored_files(home: Path) -> list[Path]:
    return sorted(p for p in (home / "uploads").rglob("*") if p.is_file()) if (home / "uploads").exists() else []


def _wait_ingested(client: TestClient, doc_id: str, timeout: float = 600.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        doc: dict[str, Any] = client.get(f"/api/documents/{doc_id}").json()
        if doc["status"] in ("ok", "error"):
            return doc
        time.sleep(0.5)
    raise AssertionError(f"{doc_id} not ingested after {timeout} s")


@pytest.fixture
def bare(tmp_path: Path) -> Iterator[tuple[TestClient, Path]]:
    """A server on an empty home inside tmp_path (so writes outside the home are visible)."""
    home = tmp_path / "home"
    with TestClient(create_app(_settings(home))) as client:
        yield client, home


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Path, dict[str, Any]]]:
    """A server whose home got the ACME invoice through POST /api/documents."""
    home = tmp_path_factory.mktemp("served") / "home"
    with TestClient(create_app(_settings(home, llm_max_tokens=24))) as client:  # short LLM answers
        pdf = (SAMPLES / "invoice_acme.pdf").read_bytes()
        r = client.post("/api/documents", files=[("files", ("invoice_acme.pdf", pdf, "application/pdf"))])
        assert r.status_code == 202, r.text
        (queued,) = r.json()
        assert queued["status"] in ("queued", "ingesting") and queued["name"] == "invoice_acme.pdf"
        doc = _wait_ingested(client, queued["id"])
        assert doc["status"] == "ok", doc
        yield client, home, doc


# -- upload, ingest, ask, pages, extract ---------------------------------------------------


@pytest.mark.slow
def test_uploaded_invoice_is_ingested_with_its_page_size(served: tuple[TestClient, Path, dict[str, Any]]) -> None:
    client, home, doc = served
    assert doc["name"] == "invoice_acme.pdf" and doc["pages"] == 1 and doc["chunks"] >= 1 and doc["error"] is None
    assert doc["page_sizes"] == [{"number": 1, "width": 612.0, "height": 792.0, "native": False}]
    listed = {d["id"]: d for d in client.get("/api/documents").json()}
    assert listed[doc["id"]]["name"] == "invoice_acme.pdf" and listed[doc["id"]]["status"] == "ok"
    stored = home / "uploads" / doc["id"] / "invoice_acme.pdf"
    assert stored.read_bytes() == (SAMPLES / "invoice_acme.pdf").read_bytes()


@pytest.mark.slow
def test_ask_answers_the_total_with_the_citation_and_the_cli_json(
    served: tuple[TestClient, Path, dict[str, Any]],
) -> None:
    client, home, _ = served
    total = f"{expected('invoice_acme')['data']['total']:,.2f}"
    r = client.post("/api/ask", json={"question": QUESTION, "k": 5})
    assert r.status_code == 200, r.text
    answer = r.json()
    assert set(answer) == {"answer", "citations", "model", "grounded"}
    assert total in answer["answer"] and answer["grounded"] is True
    cite = answer["citations"][0]
    assert cite["document"] == "invoice_acme.pdf" and cite["page"] == 1 and total in cite["text"]
    x0, y0, x1, y1 = cite["bbox"]
    assert 0 <= x0 < x1 <= 612 and 300 < y0 < y1 < 500  # the totals block, mid-page
    cli = run_cli("ask", QUESTION, "--json", "-k", "5", home=home, check=True)
    assert json.loads(cli.stdout) == answer


@pytest.mark.slow
def test_ask_filters_are_those_of_the_cli(served: tuple[TestClient, Path, dict[str, Any]]) -> None:
    client, home, _ = served
    total = f"{expected('invoice_acme')['data']['total']:,.2f}"

    def ask(**flt: Any) -> dict[str, Any]:
        r = client.post("/api/ask", json={"question": QUESTION, "mode": "extractive", **flt})
        assert r.status_code == 200, r.text
        return dict(r.json())

    for kept in ({"document": "invoice_acme.pdf"}, {"document": "%acme%"}, {"type": "pdf"}, {"since": "2000-01-01"}):
        answer = ask(**kept)
        assert total in answer["answer"] and answer["citations"][0]["document"] == "invoice_acme.pdf", kept
    for excluded in ({"document": "receipt%"}, {"type": "image"}, {"since": "2999-01-01"}):
        answer = ask(**excluded)
        assert answer["answer"] == NOT_FOUND and answer["citations"] == [], excluded
    cli = run_cli("ask", QUESTION, "--json", "--mode", "extractive", "--type", "image", home=home, check=True)
    assert json.loads(cli.stdout) == ask(type="image")
    for bad in ({"type": "docx"}, {"since": "last week"}):
        assert client.post("/api/ask", json={"question": QUESTION, **bad}).status_code == 422, bad


@pytest.mark.slow
def test_ask_streams_ndjson_ending_with_the_answer(served: tuple[TestClient, Path, dict[str, Any]]) -> None:
    client, _, _ = served
    with client.stream("POST", "/api/ask", json={"question": QUESTION, "stream": True}) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/x-ndjson")
        lines = [json.loads(line) for line in r.iter_lines() if line]
    assert all(set(line) == {"token"} for line in lines[:-1])
    assert lines[-1] == client.post("/api/ask", json={"question": QUESTION}).json()


@pytest.mark.slow
def test_ask_streams_the_llm_tokens_as_they_come(served: tuple[TestClient, Path, dict[str, Any]]) -> None:
    client, _, _ = served
    body = {"question": "Who is the invoice billed to?", "mode": "llm", "stream": True}
    with client.stream("POST", "/api/ask", json=body) as r:
        assert r.status_code == 200
        lines = [json.loads(line) for line in r.iter_lines() if line]
    tokens, final = lines[:-1], lines[-1]
    assert len(tokens) >= 2 and all(set(t) == {"token"} and t["token"] for t in tokens)
    assert set(final) == {"answer", "citations", "model", "grounded"} and "Qwen2.5-Coder-0.5B" in final["model"]
    # The words stream as written; the last line carries the checked verdict on them.
    if final["grounded"]:
        assert final["citations"] and final["citations"][0]["document"] == "invoice_acme.pdf"
    else:
        assert final["answer"] == NOT_FOUND and final["citations"] == []


@pytest.mark.slow
def test_page_png_has_the_page_size_at_the_asked_dpi(served: tuple[TestClient, Path, dict[str, Any]]) -> None:
    client, _, doc = served
    for dpi, size in ((100, (850, 1100)), (72, (612, 792))):
        r = client.get(f"/api/documents/{doc['id']}/pages/1.png", params={"dpi": dpi})
        assert r.status_code == 200 and r.headers["content-type"] == "image/png"
        img = Image.open(io.BytesIO(r.content))
        assert img.format == "PNG" and img.size == size
    assert client.get(f"/api/documents/{doc['id']}/pages/2.png").status_code == 404
    assert client.get("/api/documents/0000000000000000/pages/1.png").status_code == 404


@pytest.mark.slow
def test_image_page_png_is_the_image_itself(bare: tuple[TestClient, Path]) -> None:
    client, _ = bare
    png = (SAMPLES / "receipt_cafe.png").read_bytes()
    (queued,) = client.post("/api/documents", files=[("files", ("receipt_cafe.png", png, "image/png"))]).json()
    doc = _wait_ingested(client, queued["id"])
    assert doc["status"] == "ok", doc
    page = Image.open(io.BytesIO(client.get(f"/api/documents/{doc['id']}/pages/1.png").content))
    original = Image.open(SAMPLES / "receipt_cafe.png")
    assert page.size == original.size
    dpi = float(original.info.get("dpi", (72, 72))[0])
    assert doc["page_sizes"][0]["width"] == pytest.approx(original.width * 72 / dpi, abs=0.01)


@pytest.mark.slow
def test_extract_by_document_id_gives_the_contract_record(served: tuple[TestClient, Path, dict[str, Any]]) -> None:
    client, _, doc = served
    r = client.post("/api/extract", json={"document_id": doc["id"], "schema": "invoice"})
    assert r.status_code == 200, r.text
    rec = r.json()
    exp = expected("invoice_acme")["data"]
    assert set(rec) == {"source", "schema", "status", "data", "provenance", "errors"}
    assert rec["source"] == "invoice_acme.pdf" and rec["schema"] == "invoice" and rec["status"] == "ok"
    assert rec["data"]["total"] == exp["total"] and rec["data"]["invoice_number"] == exp["invoice_number"]
    prov = rec["provenance"]["total"]
    assert prov["page"] == 1 and "926.64" in prov["text"] and len(prov["bbox"]) == 4


@pytest.mark.slow
def test_extract_an_uploaded_file_keeps_nothing(served: tuple[TestClient, Path, dict[str, Any]]) -> None:
    client, home, _ = served
    before = _stored_files(home)
    pdf = (SAMPLES / "invoice_acme.pdf").read_bytes()
    r = client.post(
        "/api/extract", files={"file": ("acme copy.pdf", pdf, "application/pdf")}, data={"schema": "invoice"}
    )
    assert r.status_code == 200, r.text
    rec = r.json()
    assert rec["source"] == "acme copy.pdf" and rec["data"]["total"] == expected("invoice_acme")["data"]["total"]
    assert _stored_files(home) == before
    bad = client.post("/api/extract", json={"document_id": "0000000000000000", "schema": "/etc/passwd"})
    assert bad.status_code == 404
    path_schema = client.post("/api/extract", files={"file": ("a.pdf", pdf)}, data={"schema": "/etc/passwd"})
    assert path_schema.status_code == 422 and "schema" in path_schema.json()["detail"]


@pytest.mark.slow
def test_same_bytes_uploaded_again_are_not_ingested_twice(served: tuple[TestClient, Path, dict[str, Any]]) -> None:
    client, home, doc = served
    before = _stored_files(home)
    pdf = (SAMPLES / "invoice_acme.pdf").read_bytes()
    (again,) = client.post("/api/documents", files=[("files", ("renamed.pdf", pdf, "application/pdf"))]).json()
    assert again["id"] == doc["id"] and again["status"] == "ok" and again["name"] == "invoice_acme.pdf"
    assert _stored_files(home) == before


@pytest.mark.slow
def test_a_document_without_text_is_listed_with_its_error(served: tuple[TestClient, Path, dict[str, Any]]) -> None:
    import pypdfium2 as pdfium

    client, home, _ = served
    blank = pdfium.PdfDocument.new()
    blank.new_page(612, 792)
    buf = io.BytesIO()
    blank.save(buf)
    blank.close()
    (queued,) = client.post("/api/documents", files=[("files", ("blank.pdf", buf.getvalue()))]).json()
    doc = _wait_ingested(client, queued["id"])
    assert doc["status"] == "error" and doc["name"] == "blank.pdf" and doc["page_sizes"] == []
    assert "blank.pdf" in doc["error"] and "text" in doc["error"] and str(home) not in doc["error"]
    listed = {d["id"]: d for d in client.get("/api/documents").json()}
    assert listed[doc["id"]]["status"] == "error" and str(home) not in listed[doc["id"]]["error"]


def _damaged_pdf() -> bytes:
    # The zero byte of tests/test_hostile.py: the PDF opens (so the upload is accepted), its page does not.
    data = bytearray((SAMPLES / "invoice_acme.pdf").read_bytes())
    data[int(0.134765625 * (len(data) - 1))] = 0
    return bytes(data)


@pytest.mark.slow
def test_a_failed_upload_names_the_upload_never_the_servers_path(
    served: tuple[TestClient, Path, dict[str, Any]],
) -> None:
    client, home, _ = served
    (queued,) = client.post("/api/documents", files=[("files", ("damaged.pdf", _damaged_pdf()))]).json()
    doc = _wait_ingested(client, queued["id"])
    assert doc["status"] == "error" and doc["error"].startswith("damaged.pdf: page 1 cannot be read"), doc
    assert str(home) not in doc["error"] and "uploads" not in doc["error"]


@pytest.mark.slow
def test_extract_of_a_corrupt_upload_names_the_upload(served: tuple[TestClient, Path, dict[str, Any]]) -> None:
    client, home, _ = served
    r = client.post("/api/extract", files={"file": ("scan 7.pdf", _damaged_pdf())}, data={"schema": "invoice"})
    assert r.status_code == 200, r.text
    rec = r.json()
    assert rec["status"] == "error" and rec["source"] == "scan 7.pdf"
    assert rec["errors"] and all(e.startswith("scan 7.pdf: ") for e in rec["errors"]), rec["errors"]
    assert not any(str(home) in e or "incoming" in e for e in rec["errors"])


# -- security ------------------------------------------------------------------------------


def test_every_api_route_needs_the_token_when_one_is_set(tmp_path: Path) -> None:
    with TestClient(create_app(_settings(tmp_path / "home", api_token=TOKEN))) as client:
        calls = [
            ("GET", "/api/documents", {}),
            ("GET", "/api/documents/abc", {}),
            ("GET", "/api/documents/abc/pages/1.png", {}),
            ("POST", "/api/ask", {"json": {"question": QUESTION}}),
            ("POST", "/api/extract", {"json": {"document_id": "abc"}}),
            ("POST", "/api/documents", {"files": {"files": ("a.pdf", b"%PDF-1.4")}}),
        ]
        for method, url, kw in calls:
            for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
                r = client.request(method, url, headers=headers, **kw)
                assert r.status_code == 401, (method, url, headers, r.text)
                assert r.headers["www-authenticate"] == "Bearer"
        ok = client.get("/api/documents", headers={"Authorization": f"Bearer {TOKEN}"})
        assert ok.status_code == 200 and ok.json() == []
        assert client.get("/healthz").status_code == 200 and client.get("/").status_code == 200
    assert _stored_files(tmp_path / "home") == []


@pytest.mark.parametrize("name", ["../../etc/passwd", "..\\..\\evil.pdf", "/etc/passwd", "sub/dir.pdf", ".."])
def test_a_file_name_with_a_path_is_refused_and_nothing_is_written(bare: tuple[TestClient, Path], name: str) -> None:
    client, home = bare
    outside = sorted(p.name for p in home.parent.iterdir())
    pdf = (SAMPLES / "invoice_acme.pdf").read_bytes()
    r = client.post("/api/documents", files=[("files", (name, pdf, "application/pdf"))])
    assert r.status_code == 400 and "path" in r.json()["detail"]
    assert _stored_files(home) == []
    assert sorted(p.name for p in home.parent.iterdir()) == outside  # nothing beside the home
    assert client.get("/api/documents").json() == []


def test_display_names_are_neutralised_and_follow_the_sniffed_type() -> None:
    assert display_name("Invoice <March>?.PDF", "application/pdf") == "Invoice _March__.pdf"
    assert display_name("scan.pdf", "image/png") == "scan.pdf.png"
    assert display_name(".hidden", "application/pdf") == "hidden.pdf"
    assert display_name("", "image/jpeg") == "upload.jpg"
    assert len(display_name("x" * 500 + ".pdf", "application/pdf")) == 120
    with pytest.raises(BadName):
        display_name("a/../../b.pdf")


def test_a_200_mb_upload_is_refused_with_413_and_nothing_is_stored(tmp_path: Path) -> None:
    home = tmp_path / "home"
    settings = _settings(home)
    assert settings.limits.max_file_mb == 200
    boundary = "docpipe-test-boundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="huge.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n%PDF-1.4\n"
    ).encode()
    sent = 0

    async def body() -> AsyncIterator[bytes]:  # made lazily: 200 MB never sits in memory
        nonlocal sent
        yield head
        block = b"0" * (1 << 20)
        for _ in range(201):
            sent += len(block)
            yield block
        yield f"\r\n--{boundary}--\r\n".encode()

    async def post() -> httpx.Response:
        transport = httpx.ASGITransport(app=create_app(settings))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.post(
                "/api/documents", content=body(), headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}
            )

    r = asyncio.run(post())
    assert r.status_code == 413 and "too large" in r.json()["detail"]
    assert sent <= 201 << 20
    assert _stored_files(home) == []
    assert not (home / "store.db").exists()


def test_a_declared_oversized_body_is_refused_before_reading(bare: tuple[TestClient, Path]) -> None:
    client, home = bare
    r = client.post(
        "/api/documents",
        content=b"x",
        headers={"Content-Type": "multipart/form-data; boundary=b", "Content-Length": str(50 << 30)},
    )
    assert r.status_code == 413 and _stored_files(home) == []


def test_content_is_sniffed_and_limits_refuse_with_nothing_stored(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with TestClient(create_app(_settings(home, limits=Limits(max_pages=1)))) as client:
        text = client.post(
            "/api/documents", files=[("files", ("notes.pdf", b"just text, not a PDF", "application/pdf"))]
        )
        assert text.status_code == 415 and "notes.pdf" in text.json()["detail"]
        many = (SAMPLES / "invoice_multipage.pdf").read_bytes()
        pages = client.post("/api/documents", files=[("files", ("multi.pdf", many, "application/pdf"))])
        assert pages.status_code == 422 and "too many pages" in pages.json()["detail"]
        assert "/" not in pages.json()["detail"]  # the server's paths stay private
        mixed = client.post(
            "/api/documents",
            files=[("files", ("ok.pdf", (SAMPLES / "invoice_acme.pdf").read_bytes())), ("files", ("bad.pdf", b"zz"))],
        )
        assert mixed.status_code == 415
    assert _stored_files(home) == []


def test_docs_are_served_without_a_cdn(bare: tuple[TestClient, Path]) -> None:
    client, _ = bare
    html = client.get("/docs").text
    assert "/docs-assets/swagger-ui-bundle.js" in html and "cdn" not in html.lower()
    assert client.get("/docs-assets/swagger-ui-bundle.js").status_code == 200
    spec = client.get("/openapi.json").json()
    assert {"/api/documents", "/api/ask", "/api/extract", "/healthz"} <= set(spec["paths"])
    page = client.get("/")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert "access-control-allow-origin" not in client.get("/api/documents", headers={"Origin": "http://x"}).headers


def test_binding_beyond_localhost_needs_a_token() -> None:
    check_bind("127.0.0.1", None)
    check_bind("0.0.0.0", TOKEN)
    with pytest.raises(ValueError, match="without a token"):
        check_bind("0.0.0.0", None)
    env = {k: v for k, v in os.environ.items() if k != "DOCPIPE_API_TOKEN"}
    proc = subprocess.run(
        [*DOCPIPE, "serve", "--host", "0.0.0.0", "--port", "9"], capture_output=True, text=True, env=env, timeout=120
    )
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "DOCPIPE_API_TOKEN" in proc.stderr
