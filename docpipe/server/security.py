"""What keeps the server safe to run on a network: the bearer token, the bind rule, safe names.

Client file names are labels, never paths: a name that carries a path is refused, anything
else is reduced to a plain file name shown to users, and files are stored under generated
folders inside the home.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import HTTPException, Request, Response, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
MIME_SUFFIXES = {
    "application/pdf": (".pdf",),
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg"),
    "image/tiff": (".tif", ".tiff"),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (".docx", ".docm"),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": (".pptx", ".pptm"),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (".xlsx", ".xlsm"),
    "text/html": (".html", ".htm"),
    "message/rfc822": (".eml",),
}
_UNSAFE = re.compile(r"[^\w .()+-]")
# The viewer is self-contained: scripts, styles and images from this server only (blob: for page images).
PAGE_CSP = "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'"

bearer = HTTPBearer(auto_error=False, description="DOCPIPE_API_TOKEN, when the server was started with one")


class BadName(ValueError):
    pass


def check_bind(host: str, token: str | None) -> None:
    """Anything but loopback is reachable by others: refuse it without a token."""
    if host not in LOCAL_HOSTS and not token:
        raise ValueError(f"refusing to listen on {host} without a token: set DOCPIPE_API_TOKEN or use 127.0.0.1")


def token_guard(token: str | None) -> Callable[..., None]:
    """A FastAPI dependency that requires `Authorization: Bearer <token>` when a token is set."""

    def guard(credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)]) -> None:
        if token is None:
            return
        given = credentials.credentials if credentials else ""
        if not secrets.compare_digest(given.encode(), token.encode()):
            raise HTTPException(401, "missing or wrong bearer token", headers={"WWW-Authenticate": "Bearer"})

    return guard


def display_name(client_name: str | None, mime: str | None = None) -> str:
    """A plain file name to show for an upload; refuses names that carry a path."""
    raw = unicodedata.normalize("NFC", client_name or "")
    if "/" in raw or "\\" in raw or "\x00" in raw or raw.strip() in ("..", "."):
        raise BadName(f"{raw!r}: file names must not contain a path")
    name = _UNSAFE.sub("_", raw).strip(" .") or "upload"
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    ext = f".{suffix.lower()}" if suffix else ""
    if mime is not None and ext not in MIME_SUFFIXES.get(mime, (ext,)):
        stem, ext = name, MIME_SUFFIXES[mime][0]  # the bytes decide the type, the suffix follows them
    return stem[: 120 - len(ext)] + ext


async def security_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    response = await call_next(request)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    if request.url.path == "/" or request.url.path.startswith("/static/"):
        response.headers.setdefault("Content-Security-Policy", PAGE_CSP)
    return response
