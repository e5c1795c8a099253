"""Serializers by format name."""

from __future__ import annotations

from collections.abc import Callable

from docpipe.document import Document
from docpipe.serialize.html import element_html, to_html
from docpipe.serialize.markdown import to_markdown


def to_json(doc: Document) -> str:
    return doc.model_dump_json(indent=2) + "\n"


SERIALIZERS: dict[str, Callable[[Document], str]] = {
    "html": to_html,
    "markdown": to_markdown,
    "json": to_json,
}

__all__ = ["SERIALIZERS", "element_html", "to_html", "to_json", "to_markdown"]
