"""`docpipe mcp` in a real subprocess, driven by the MCP SDK's own client: over stdio it lists
the tools, ingests office files, and answers with citations of a sheet row and a DOCX
paragraph; over streamable HTTP it refuses a request without the bearer token."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests import office_files as of

ROOT = Path(__file__).resolve().parents[1]


def _env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), **extra}


def _json(result: Any) -> Any:
    assert not result.is_error, result.content
    return json.loads(result.content[0].text)


async def _stdio_session(home: Path, folder: Path) -> dict[str, Any]:
    from mcp import Client
    from mcp.client.stdio import StdioServerParameters

    params = StdioServerParameters(
        command=sys.executable, args=["-m", "docpipe.cli", "mcp", "--home", str(home)], env=_env(), cwd=str(ROOT)
    )
    out: dict[str, Any] = {}
    async with Client(params, read_timeout_seconds=600) as client:
        out["tools"] = sorted(t.name for t in (await client.list_tools()).tools)
        out["ingest"] = _json(await client.call_tool("ingest", {"paths": [str(folder)]}))
        out["parse"] = (await client.call_tool("parse", {"path": str(folder / "contract.docx")})).content[0].text
        out["bad"] = await client.call_tool("parse", {"path": str(folder / "missing.docx")})
        out["row"] = _json(await client.call_tool("ask", {"question": "How many wing nuts are in stock?"}))
        out["para"] = _json(
            await client.call_tool("ask", {"question": "Who is the contract between?", "mode": "extractive"})
        )
        out["invoice"] = _json(
            await client.call_tool(
                "ask", {"question": "What is the total due on invoice INV-MAIL-7?", "mode": "extractive"}
            )
        )
        out["search"] = _json(await client.call_tool("search", {"query": "penalty per week of delay", "k": 3}))
        out["extract"] = _json(
            await client.call_tool(
                "extract",
                {
                    "path": str(folder / "stock.xlsx"),
                    "schema": {"title": "stock", "type": "object", "properties": {"item": {"type": "string"}}},
                },
            )
        )
        resources = (await client.list_resources()).resources
        out["resources"] = {r.name: str(r.uri) for r in resources}
        doc = next(r for r in resources if r.name == "contract.docx")
        out["resource"] = (await client.read_resource(doc.uri)).contents[0].text  # type: ignore[union-attr]
    return out


@pytest.mark.slow
def test_an_agent_lists_the_tools_and_gets_cited_answers_over_stdio(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    of.contract_docx(folder / "contract.docx")
    of.stock_xlsx(folder / "stock.xlsx")
    of.mail_eml(folder / "mail.eml")
    out = asyncio.run(_stdio_session(tmp_path / "home", folder))
    assert out["tools"] == ["ask", "extract", "ingest", "parse", "search"]
    ingested = {Path(f["path"]).name: f["status"] for f in out["ingest"]["files"]}
    assert ingested == dict.fromkeys(["contract.docx", "mail.eml", "invoice-7.pdf", "stock.xlsx"], "ingested")
    # The mail's PDF attachment is a document of its own, linked to the mail, and answers for itself.
    from docpipe.index.store import Store

    with Store(tmp_path / "home" / "store.db") as store:
        mail, invoice = store.documents.get("mail.eml"), store.documents.get("invoice-7.pdf")
    assert mail is not None and invoice is not None and invoice.parent == mail.id
    assert [a.sha256 for a in mail.attachments] == [invoice.id]
    cite = out["invoice"]["citations"][0]
    assert cite["document"] == "invoice-7.pdf" and "318.40" in cite["text"] and "318.40" in out["invoice"]["answer"]
    assert "# Supply contract" in out["parse"] and "| Steel bolts | 100 | 12.50 EUR |" in out["parse"]
    assert out["bad"].is_error and "missing.docx" in out["bad"].content[0].text
    # The sheet row that holds the answer is cited: its document, its sheet as the page, its text.
    row = out["row"]
    cited = [c for c in row["citations"] if c["document"] == "stock.xlsx"]
    assert cited and cited[0]["page"] == 1 and "Wing nuts | 75" in cited[0]["text"], row
    assert len(cited[0]["bbox"]) == 4
    para = out["para"]
    assert para["citations"][0]["document"] == "contract.docx"
    assert "Nordlicht GmbH" in para["citations"][0]["text"] and "Nordlicht" in para["answer"]
    top = out["search"]["hits"][0]
    assert top["document"] == "contract.docx" and "2 percent per week" in top["text"]
    assert out["extract"]["schema"] == "stock" and out["extract"]["source"].endswith("stock.xlsx")
    assert set(out["resources"]) == {"contract.docx", "stock.xlsx", "mail.eml", "invoice-7.pdf"}
    assert out["resources"]["contract.docx"].startswith("docpipe://documents/")
    assert out["resource"].startswith("# Supply contract\n")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _http_tools(url: str, token: str | None) -> list[str]:
    import httpx2  # the SDK's own HTTP client
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx2.AsyncClient(headers=headers, timeout=60) as http:
        transport = streamable_http_client(url, http_client=http)
        async with Client(transport) as client:  # type: ignore[arg-type]
            return sorted(t.name for t in (await client.list_tools()).tools)


@pytest.mark.slow
def test_streamable_http_needs_the_token_when_one_is_set(tmp_path: Path) -> None:
    import httpx

    port = _free_port()
    cmd = [
        sys.executable,
        "-m",
        "docpipe.cli",
        "mcp",
        "--transport",
        "http",
        "--port",
        str(port),
        "--home",
        str(tmp_path),
    ]
    proc = subprocess.Popen(cmd, env=_env(DOCPIPE_API_TOKEN="t0ken"), cwd=ROOT, stderr=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{port}/mcp"
        for _ in range(300):
            try:
                r = httpx.post(url, json={})
                break
            except httpx.ConnectError:
                time.sleep(0.2)
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
        assert asyncio.run(_http_tools(url, "t0ken")) == ["ask", "extract", "ingest", "parse", "search"]
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    # Anything but loopback without a token is refused before binding, in one line.
    refused = subprocess.run(
        [
            sys.executable,
            "-m",
            "docpipe.cli",
            "mcp",
            "--transport",
            "http",
            "--host",
            "0.0.0.0",
            "--home",
            str(tmp_path),
        ],
        env={k: v for k, v in _env().items() if k != "DOCPIPE_API_TOKEN"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode == 2
    assert refused.stderr.strip() == (
        "docpipe: refusing to listen on 0.0.0.0 without a token: set DOCPIPE_API_TOKEN or use 127.0.0.1"
    )
