"""`docpipe serve` (HTTP API and web viewer) and `docpipe mcp` (tools for agents)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import Annotated

import typer

from docpipe.cli.common import DebugOpt, HomeOpt, quiet_libraries, reported
from docpipe.cli.root import app
from docpipe.errors import DocpipeError, UsageError

# Both servers bind the same way (serve: HTTP always; mcp: with --transport http).
HostOpt = Annotated[str, typer.Option(help="Address to bind; anything but loopback needs DOCPIPE_API_TOKEN.")]


@contextmanager
def _server_extra() -> Iterator[None]:
    """An import of the server extra that fails says how to install it, in one line."""
    try:
        yield
    except ImportError as e:
        raise DocpipeError(f"{e.name} is missing: pip install 'docpipe[server]'") from None


def _bound_url(host: str, port: int, api_token: str | None) -> str:
    """The base URL to bind, after the rule that anything but loopback needs an API token."""
    from docpipe.server.security import check_bind

    try:
        check_bind(host, api_token)
    except ValueError as e:
        raise UsageError(str(e)) from None
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


@app.command(rich_help_panel="Serving")
@reported
def serve(
    host: HostOpt = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to bind.")] = 8000,
    home: HomeOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Serve the HTTP API (/api, docs at /docs) and the web viewer (/) with FastAPI + uvicorn."""
    quiet_libraries()
    from docpipe.config import Settings

    with _server_extra():
        import uvicorn

        from docpipe.server.app import create_app
    settings = Settings.load(home)
    url = _bound_url(host, port, settings.api_token)
    typer.echo(f"docpipe serving {settings.home} at {url}/ (API docs at /docs)", err=True)
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info" if debug else "warning")


class McpTransport(StrEnum):  # here, not in server/mcp_server.py: importing that loads the SDK
    STDIO = "stdio"
    HTTP = "http"


@app.command("mcp", rich_help_panel="Serving")
@reported
def mcp_server(
    transport: Annotated[
        McpTransport, typer.Option(help="stdio (the agent starts docpipe) or http (streamable HTTP at /mcp).")
    ] = McpTransport.STDIO,
    host: HostOpt = "127.0.0.1",
    port: Annotated[int, typer.Option(help="http: port to bind.")] = 8765,
    home: HomeOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Serve docpipe to agents over MCP: tools ingest, search, ask, parse, extract; documents as resources."""
    quiet_libraries()
    from docpipe.config import Settings

    with _server_extra():
        from docpipe.server.mcp_server import serve as serve_mcp
    settings = Settings.load(home)
    if transport is McpTransport.HTTP:
        url = _bound_url(host, port, settings.api_token)
        typer.echo(f"docpipe MCP serving {settings.home} at {url}/mcp", err=True)
    serve_mcp(settings, transport.value, host, port)
