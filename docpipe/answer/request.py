"""What a question to the documents is: one model for `docpipe ask`, /api/ask and `Docpipe.ask`,
so the three accept and refuse the same values."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from docpipe.index.records import SearchFilter


class AskMode(StrEnum):
    """auto: the LLM, checked against the passages, else the best line; llm only; extractive only."""

    AUTO = "auto"
    LLM = "llm"
    EXTRACTIVE = "extractive"


class DocumentKind(StrEnum):
    PDF = "pdf"
    IMAGE = "image"
    OFFICE = "office"  # DOCX, PPTX, XLSX
    HTML = "html"
    MAIL = "mail"


class AskRequest(BaseModel):
    question: str = Field(min_length=1, max_length=4000)
    k: int = Field(default=5, ge=1, le=50, description="passages to retrieve")
    mode: AskMode = AskMode.AUTO
    stream: bool = Field(default=False, description='NDJSON: {"token": ...} lines, then the answer object')
    # The filters of `docpipe ask --document/--type/--since`.
    document: str | None = Field(
        default=None, max_length=1000, description="Only this document (file name or path; % matches anything)"
    )
    type: DocumentKind | None = Field(default=None, description="Only pdf, image, office, html or mail documents")
    since: date | None = Field(default=None, description="Only documents ingested on or after this date")

    def search_filter(self) -> SearchFilter:
        # Local midnight of `since`, as the store's ingest times are this machine's clock.
        since = datetime.combine(self.since, datetime.min.time()).timestamp() if self.since else None
        return SearchFilter(document=self.document, kind=self.type.value if self.type else None, since=since)
