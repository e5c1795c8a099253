"""The extraction record, exactly the shape of the contract in DESIGN.md."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class FieldProvenance(BaseModel):
    page: int
    bbox: list[float]
    text: str
    confidence: float


class ExtractionRecord(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    source: str
    schema_name: str = Field(alias="schema")  # `schema` would shadow a BaseModel method
    status: Literal["ok", "error"]
    data: dict[str, Any]
    provenance: dict[str, FieldProvenance]
    errors: list[str]

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True)

    def to_json(self, indent: int | None = None) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)
