"""Serializers by format name."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from docpipe.document import Document
from docpipe.serialize.html import element_html, to_html
from docpipe.serialize.markdown import to_markdown


def to_json(doc: Document) -> str:
    return doc.model_dump_json(indent=2) + "\n"


class DocumentFormat(StrEnum):
    HTML = "html"
    MARKDOWN = "markdown"
    JSON = "json"


SERIALIZERS: dict[str, Callable[[Document], str]] = {
    DocumentFormat.HTML: to_html,
    DocumentFormat.MARKDOWN: to_markdown,
    DocumentFormat.JSON: to_json,
}

__all__ = ["SERIALIZERS", "DocumentFormat", "element_html", "to_html", "to_json", "to_markdown"]
