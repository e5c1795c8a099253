"""/api/extract: a stored document (by id) or an uploaded file + a schema -> the contract record.

Schemas come by built-in name or as an inline JSON Schema object; never as a path or a
module name, which would let a client read server files or import code.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from docpipe.extract import extract_document
from docpipe.extract.file import extract_file
from docpipe.extract.record import ExtractionRecord
from docpipe.extract.schemas import BUILTIN, Schema
from docpipe.server.state import ServerState, server_state
from docpipe.server.uploads import check_document, receive_form

router = APIRouter(prefix="/api", tags=["extract"])
StateDep = Annotated[ServerState, Depends(server_state)]


class ExtractRequest(BaseModel):
    document_id: str
    schema_: str | dict[str, Any] = Field(default="invoice", alias="schema")


def resolve_schema(spec: str | dict[str, Any]) -> Schema:
    if isinstance(spec, str) and spec.lstrip().startswith("{"):
        try:
            spec = json.loads(spec)
        except ValueError as e:
            raise HTTPException(422, f"schema: not valid JSON ({e})") from None
    if isinstance(spec, str):
        if spec not in BUILTIN:
            raise HTTPException(422, f"schema: use {' or '.join(sorted(BUILTIN))}, or send a JSON Schema object")
        return BUILTIN[spec]()
    props = spec.get("properties") if isinstance(spec, dict) else None
    if not isinstance(props, dict) or not props:
        raise HTTPException(422, "schema: a JSON Schema needs an object with top-level 'properties'")
    return Schema(str(spec.get("title") or "custom"), spec, tuple(props))


def _by_id(state: ServerState, req: ExtractRequest) -> ExtractionRecord:
    found = state.find(req.document_id)
    if found.info.status != "ok":
        raise HTTPException(409, f"{found.info.name}: not ingested ({found.info.status})")
    with state.dp.store() as store:
        doc = store.documents.get(found.sha256)
    if doc is None:
        raise HTTPException(404, f"no document {req.document_id!r}")
    return extract_document(doc, resolve_schema(req.schema_), source=found.info.name)


async def _by_upload(state: ServerState, request: Request) -> ExtractionRecord:
    s = state.settings
    form = await receive_form(request, state.incoming, s.limits.max_file_mb)
    try:
        if len(form.files) != 1:
            raise HTTPException(400, "send exactly one file (multipart field `file`) and a `schema` field")
        rec = form.files[0]
        schema = resolve_schema(form.fields.get("schema", "invoice"))
        await run_in_threadpool(check_document, rec, s)

        def run() -> ExtractionRecord:
            with state.convert_lock:
                return extract_file(rec.path, schema, state.dp.converter, source=rec.name)

        record = await run_in_threadpool(run)
    finally:
        form.discard()  # extraction of an upload keeps nothing on the server
    return record


@router.post(
    "/extract",
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {"schema": ExtractRequest.model_json_schema(by_alias=True)},
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "file": {"type": "string", "format": "binary"},
                            "schema": {"type": "string", "description": "invoice, receipt or a JSON Schema"},
                        },
                    }
                },
            }
        }
    },
)
async def extract(request: Request, state: StateDep) -> dict[str, Any]:
    """`{"document_id", "schema"}` as JSON, or a multipart `file` + `schema`: the record of
    `docpipe extract` — `{source, schema, status, data, provenance: {field: {page, bbox, text}}, errors}`."""
    if request.headers.get("content-type", "").startswith("multipart/"):
        record = await _by_upload(state, request)
    else:
        try:
            req = ExtractRequest.model_validate(await request.json())
        except ValueError as e:
            raise HTTPException(422, f'send JSON {{"document_id", "schema"}} or a multipart file ({e})') from None
        record = await run_in_threadpool(_by_id, state, req)
    return record.to_dict()
