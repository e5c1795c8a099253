"""/api/ask: the answer JSON of `docpipe ask --json`, or its tokens streamed as NDJSON."""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from docpipe.answer.request import AskRequest
from docpipe.server.state import ServerState, server_state

router = APIRouter(prefix="/api", tags=["ask"])
StateDep = Annotated[ServerState, Depends(server_state)]


class CitationOut(BaseModel):
    document: str
    page: int
    bbox: list[float]
    text: str


class AskResponse(BaseModel):
    answer: str
    citations: list[CitationOut]
    model: str
    grounded: bool


def _require_store(state: ServerState) -> None:
    if not state.settings.paths.has_store():
        raise HTTPException(409, "nothing ingested yet: upload a document first")


def _stream(state: ServerState, req: AskRequest) -> Iterator[bytes]:
    # The library calls on_token from its own thread; a queue hands the pieces to the response.
    pieces: queue.Queue[tuple[str, Any]] = queue.Queue()

    def run() -> None:
        try:
            answer = state.dp.ask(req, on_token=lambda t: pieces.put(("token", t)))
            pieces.put(("done", answer.contract()))
        except Exception as e:
            pieces.put(("error", f"{type(e).__name__}: {e}"))

    threading.Thread(target=run, name="docpipe-ask", daemon=True).start()
    while True:
        kind, value = pieces.get()
        if kind == "token":
            yield (json.dumps({"token": value}, ensure_ascii=False) + "\n").encode()
            continue
        body = value if kind == "done" else {"error": value}
        yield (json.dumps(body, ensure_ascii=False) + "\n").encode()
        return


@router.post("/ask", response_model=AskResponse)
async def ask(req: AskRequest, state: StateDep) -> Any:
    """Answer a question from the ingested documents with page-and-box citations: exactly the
    JSON of `docpipe ask --json`. With `stream`, NDJSON: token lines, then that object."""
    _require_store(state)
    if req.stream:
        return StreamingResponse(_stream(state, req), media_type="application/x-ndjson")
    try:
        answer = await run_in_threadpool(state.dp.ask, req)
    except Exception as e:
        raise HTTPException(500, f"{type(e).__name__}: {e}") from None
    return answer.contract()
