"""The extraction record, in exactly the shape of the `docpipe extract` contract (DESIGN.md)."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class FieldProvenance(BaseModel):
    """Where a value was read: 1-based page, [x0, y0, x1, y1] in points, the text it came from."""

    page: int = Field(ge=1)
    bbox: list[float] = Field(min_length=4, max_length=4)
    text: str
    confidence: float = Field(ge=0.0, le=1.0)


class ExtractionRecord(BaseModel):
    # `schema` would shadow a BaseModel attribute, so the field is `schema_name` in Python and
    # `schema` on the wire, both when dumping and when built with `schema=...`.
    model_config = ConfigDict(validate_by_name=True, validate_by_alias=True, serialize_by_alias=True)

    source: str
    schema_name: str = Field(alias="schema")
    status: Literal["ok", "error"]
    data: dict[str, Any]
    provenance: dict[str, FieldProvenance]
    errors: list[str]

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)

    def to_json(self, indent: int | None = None) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)
