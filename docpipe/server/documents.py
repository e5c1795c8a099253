"""/api/documents: upload (ingested in the background), list, status and page images."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from docpipe.parse.load import LoadError
from docpipe.server.native_view import page_html
from docpipe.server.render import NoSuchPage, png_bytes, render_page
from docpipe.server.state import ID_LEN, DocumentDetail, DocumentInfo, ServerState, server_state
from docpipe.server.uploads import check_document, file_upload, receive_form
from docpipe.server.worker import Job

router = APIRouter(prefix="/api/documents", tags=["documents"])
StateDep = Annotated[ServerState, Depends(server_state)]


@router.post(
    "",
    status_code=202,
    response_model=list[DocumentInfo],
    openapi_extra={
        "requestBody": {
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {"files": {"type": "array", "items": {"type": "string", "format": "binary"}}},
                    }
                }
            }
        }
    },
)
async def upload(request: Request, state: StateDep) -> list[DocumentInfo]:
    """Upload one or more PDF/PNG/JPEG/TIFF/DOCX/PPTX/XLSX/HTML/EML files (multipart field `files`). Each is checked
    (type sniffed from its bytes, size and page limits), stored under the home and queued for
    ingestion; poll GET /api/documents/{id} for its status. Any refused file refuses the request."""
    s = state.settings
    form = await receive_form(request, state.incoming, s.limits.max_file_mb)
    if not form.files:
        raise HTTPException(400, "no file in the upload (send multipart field `files`)")
    try:
        for rec in form.files:
            await run_in_threadpool(check_document, rec, s)
    except HTTPException:
        form.discard()
        raise
    known = {f.info.id: f for f in state.documents()}
    out: list[DocumentInfo] = []
    for rec in form.files:
        doc_id = rec.sha256[:ID_LEN]
        prior = known.get(doc_id)
        if prior is not None and prior.info.status in ("ok", "queued", "ingesting") and prior.path.is_file():
            rec.path.unlink(missing_ok=True)
            out.append(prior.info)  # same bytes: already stored or on their way
            continue
        path = file_upload(rec, state.uploads)
        job = state.worker.submit(Job(id=doc_id, name=path.name, path=path))
        out.append(DocumentInfo(id=job.id, name=job.name, status=job.status, pages=0, chunks=0))
    return out


@router.get("", response_model=list[DocumentInfo])
def list_documents(state: StateDep) -> list[DocumentInfo]:
    """Every document: stored ones (ok or error) and uploads still queued or ingesting."""
    return [f.info for f in state.documents()]


@router.get("/{doc_id}", response_model=DocumentDetail)
def get_document(doc_id: str, state: StateDep) -> DocumentDetail:
    """Status, pages, chunks and error of one document, with each page's size in points."""
    found = state.find(doc_id)
    return DocumentDetail(**found.info.model_dump(), page_sizes=state.page_sizes(found))


@router.get("/{doc_id}/pages/{number}.png", response_class=Response, responses={200: {"content": {"image/png": {}}}})
def page_png(doc_id: str, number: int, state: StateDep, dpi: Annotated[int, Query(ge=36, le=300)] = 100) -> Response:
    """Page `number` (1-based) as PNG: PDFs rendered at `dpi`, images as stored. Boxes scale
    from points to pixels by image width / page width. Office, web and mail pages have no image:
    see pages/{number}.html."""
    found = state.find(doc_id)
    if not found.path.is_file():
        raise HTTPException(410, f"{found.info.name}: the original file is no longer on the server")
    try:
        img = render_page(found.path, number, dpi, state.settings.limits, state.settings.pdf_password)
    except NoSuchPage as e:
        raise HTTPException(404, f"{found.info.name}: no {e}") from None
    except LoadError as e:
        raise HTTPException(422, f"{found.info.name}: {e.reason}") from None
    return Response(png_bytes(img), media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})


@router.get("/{doc_id}/pages/{number}.html", response_class=HTMLResponse)
def page_view(doc_id: str, number: int, state: StateDep) -> HTMLResponse:
    """Page `number` of an office, web or mail document (no page image) as an HTML fragment of
    its elements; each element and table row has data-bbox in the same points as citations."""
    found = state.find(doc_id)
    doc = state.document(found)
    if not 1 <= number <= len(doc.pages):
        raise HTTPException(404, f"{found.info.name}: no page {number} of {len(doc.pages)}")
    return HTMLResponse(page_html(doc, number), headers={"Cache-Control": "private, max-age=3600"})
