"""`docpipe mcp`: docpipe as an MCP server for agents (the official `mcp` SDK, 2.x MCPServer).

Tools: ingest, search, ask (answer + citations, the `ask --json` contract), parse (Markdown or
HTML of a file), extract (a record for a schema); the stored documents are resources
(docpipe://documents/<id>, their Markdown). Every tool calls the Docpipe facade; a
DocpipeError comes back as the tool's error, one line.

Transports: stdio (the client starts this process: nothing listens), and streamable HTTP with
`docpipe serve`'s rule: loopback by default, anything else only with DOCPIPE_API_TOKEN, and
with a token set every request needs `Authorization: Bearer <token>`.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any, Literal

import anyio
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ToolError
from mcp_types import Resource as MCPResource
from pydantic import ValidationError
from starlette.types import ASGIApp, Receive, Scope, Send

from docpipe.answer.request import AskMode, AskRequest
from docpipe.api import Docpipe
from docpipe.config import Settings
from docpipe.errors import DocpipeError
from docpipe.serialize.html import to_html
from docpipe.serialize.markdown import to_markdown
from docpipe.server.security import check_bind

ID_LEN = 16  # the server's document id: the first hex digits of the content's sha256
URI = "docpipe://documents/{doc_id}"

INSTRUCTIONS = (
    "docpipe reads PDFs, scans, DOCX, PPTX, XLSX, HTML and mail. Ingest files into the store, then "
    "search or ask: answers cite the document, page (slide, sheet) and box of each passage."
)


class DocpipeMCP(MCPServer[Any]):
    """The stored documents listed as concrete resources (the SDK lists only static ones)."""

    def __init__(self, dp: Docpipe) -> None:
        super().__init__("docpipe", instructions=INSTRUCTIONS, log_level="WARNING")
        self.dp = dp

    async def list_resources(self) -> list[MCPResource]:
        rows = await anyio.to_thread.run_sync(self._rows)
        listed = [
            MCPResource(uri=URI.format(doc_id=r.sha256[:ID_LEN]), name=r.name, mime_type="text/markdown")
            for r in rows
            if r.status == "ok"
        ]
        return [*await super().list_resources(), *listed]

    def _rows(self) -> list[Any]:
        return self.dp.documents() if self.dp.home.has_store() else []


def _outcome(o: Any) -> dict[str, Any]:
    return {
        "path": o.path,
        "status": o.status,
        "pages": o.pages,
        "chunks": o.chunks,
        "errors": [str(e) for e in o.errors],
    }


def build(settings: Settings) -> DocpipeMCP:
    dp = Docpipe(settings)
    server = DocpipeMCP(dp)

    async def run(fn: Any, *args: Any) -> Any:
        """fn in a worker thread; docpipe's one-line errors go to the agent as the tool's error
        (the SDK hides any other exception's text as a crash)."""
        try:
            return await anyio.to_thread.run_sync(lambda: fn(*args))
        except DocpipeError as e:
            raise ToolError(str(e)) from e
        except ValidationError as e:
            raise ToolError(f"invalid arguments: {e.errors()[0]['msg']}") from e

    @server.tool(description="Ingest files or folders (PDF, images, DOCX, PPTX, XLSX, HTML, EML) into the store.")
    async def ingest(paths: list[str]) -> dict[str, Any]:
        outcomes = await run(dp.ingest, [Path(p) for p in paths])
        return {"files": [_outcome(o) for o in outcomes]}

    @server.tool(description="The passages that best match a query, with document, page, box and text.")
    async def search(query: str, k: int = 5) -> dict[str, Any]:
        hits = await run(dp.search, query, k)
        return {
            "hits": [
                {
                    "document": h.chunk.document,
                    "score": round(h.score, 4),
                    "text": h.chunk.text,
                    "spans": [{"page": s.page, "bbox": s.bbox.as_list(), "text": s.text} for s in h.chunk.spans],
                }
                for h in hits
            ]
        }

    @server.tool(
        description="Answer a question from the stored documents, with citations (document, page, bbox, text)."
    )
    async def ask(question: str, k: int = 5, mode: Literal["auto", "llm", "extractive"] = "auto") -> dict[str, Any]:
        request = await run(lambda: AskRequest(question=question, k=k, mode=AskMode(mode)))
        await run(dp.require_store)
        answer = await run(dp.ask, request)
        return answer.contract()

    @server.tool(description="Convert one file and return it as Markdown or HTML (nothing is stored).")
    async def parse(path: str, format: Literal["markdown", "html"] = "markdown") -> str:
        doc = await run(dp.parse, Path(path))
        return to_markdown(doc) if format == "markdown" else to_html(doc)

    @server.tool(description="Extract a record from a file: schema 'invoice', 'receipt' or a JSON Schema object.")
    async def extract(path: str, schema: str | dict[str, Any] = "invoice") -> dict[str, Any]:
        record = await run(dp.extract, Path(path), schema)
        return dict(json.loads(record.model_dump_json()))

    @server.resource(URI, name="document", description="A stored document as Markdown", mime_type="text/markdown")
    async def document(doc_id: str) -> str:
        def find() -> str:
            for r in dp.documents():
                if r.sha256.startswith(doc_id) and len(doc_id) >= 8 and r.status == "ok":
                    doc = dp.document(r.sha256)
                    if doc is not None:
                        return to_markdown(doc)
            raise ResourceError(f"no stored document {doc_id!r}")

        return str(await anyio.to_thread.run_sync(find))

    return server


class BearerToken:
    """ASGI middleware: with a token set, every request needs `Authorization: Bearer <token>`."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.token = token.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            given = dict(scope.get("headers", [])).get(b"authorization", b"")
            if not secrets.compare_digest(given, b"Bearer " + self.token):
                await send(
                    {"type": "http.response.start", "status": 401, "headers": [(b"www-authenticate", b"Bearer")]}
                )
                await send({"type": "http.response.body", "body": b"missing or wrong bearer token"})
                return
        await self.app(scope, receive, send)


def http_app(server: DocpipeMCP, host: str, token: str | None) -> ASGIApp:
    """The streamable HTTP app at /mcp, behind the token when there is one (check_bind first)."""
    check_bind(host, token)
    app: ASGIApp = server.streamable_http_app(host=host)
    return BearerToken(app, token) if token else app


def serve(settings: Settings, transport: Literal["stdio", "http"], host: str = "127.0.0.1", port: int = 8765) -> None:
    server = build(settings)
    if transport == "stdio":
        server.run("stdio")
        return
    import uvicorn

    uvicorn.run(http_app(server, host, settings.api_token), host=host, port=port, log_level="warning")
