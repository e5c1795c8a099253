"""LLM extraction with guided JSON: the served model reads the document's HTML (reading order)
and answers in the schema, its decoding constrained to it (vLLM structured outputs,
`response_format={"type": "json_schema", ...}`).

A model's value counts only when it is found in the document: it is then mapped back to the
page and box of the line it was read from (refine.ground). A value that is not there falls
back to what the rules found for that field, so a hallucination never reaches a record.
Arrays (line items) and nested objects stay with the rules: a table is better read from its
cells than retyped by a model, and it keeps the prompt and the answer short.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from docpipe.document import Document
from docpipe.extract.normalize import find_currency, find_dates, find_money
from docpipe.extract.pairs import placed_lines
from docpipe.extract.refine import SYSTEM, _reply_object, _scalar_kind, ground
from docpipe.extract.rules import Found, dayfirst_hint
from docpipe.extract.schemas import Schema
from docpipe.serialize.html import to_html

if TYPE_CHECKING:
    from docpipe.llm.base import ChatMessage, Generator

ANSWER_TOKENS_PER_FIELD = 32
CHARS_PER_TOKEN = 3  # a safe guess for the document budget; the server counts exactly
MAX_HTML_CHARS = 12000
_ATTRS = re.compile(r'\s(?:id|data-[\w-]+|class)="[^"]*"')
_HEAD = re.compile(r"<!DOCTYPE html>|<head>.*?</head>|</?html>|</?body>", re.S)

MONEY_FIELDS = frozenset({"subtotal", "tax", "total", "amount_due", "balance_due"})
JSON_TYPES = {"number": "number", "date": "string", "currency": "string", "text": "string"}


def document_html(doc: Document, max_chars: int) -> str:
    """The reading-order HTML without the provenance attributes (the model needs the text and
    its structure; boxes are ours to map back), cut to the budget."""
    html = _HEAD.sub("", _ATTRS.sub("", to_html(doc))).strip()
    return html[:max_chars]


def guided_schema(schema: Schema, fields: dict[str, str]) -> dict[str, Any]:
    props: dict[str, Any] = {}
    for field, kind in fields.items():
        prop: dict[str, Any] = {"type": [JSON_TYPES[kind], "null"]}
        desc = schema.field_schema(field).get("description")
        if isinstance(desc, str):
            prop["description"] = desc
        props[field] = prop
    return {"type": "object", "properties": props, "required": list(fields), "additionalProperties": False}


def _describe(field: str, kind: str, schema: Schema) -> str:
    hint = {"date": "date as YYYY-MM-DD", "number": "number", "currency": "ISO 4217 code", "text": "text"}[kind]
    desc = schema.field_schema(field).get("description")
    return f"- {field} ({hint})" + (f": {desc}" if isinstance(desc, str) else "")


def _is_money(found: Found, value: Any) -> bool:
    """The grounded line prints the value as money (with cents or a currency mark)."""
    try:
        want = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return False
    return any(m.value == want for m in find_money(found.text))


def _reads_as(found: Found, iso: str, dayfirst: bool) -> bool:
    """The grounded line's date, read the way the document writes dates, is the model's date."""
    return any(d.value.isoformat() == iso for d in find_dates(found.text, dayfirst=dayfirst))


def extract_with_llm(doc: Document, schema: Schema, generator: Generator) -> tuple[dict[str, Found], list[str]]:
    """Grounded values for the schema's scalar fields, and notes on values refused."""
    fields = {f: k for f in schema.fields if (k := _scalar_kind(schema, f))}
    if not fields:
        return {}, []
    answer_tokens = 16 + ANSWER_TOKENS_PER_FIELD * len(fields)
    try:
        window = generator.context_window
    except Exception:  # the window is a budget hint; the request itself reports real trouble
        window = 2048
    budget = max(500, (window - answer_tokens - 200) * CHARS_PER_TOKEN)
    html = document_html(doc, min(MAX_HTML_CHARS, budget))
    wanted = "\n".join(_describe(f, k, schema) for f, k in fields.items())
    messages: list[ChatMessage] = [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": f"Document (HTML, reading order):\n{html}\n\nFields:\n{wanted}\nJSON:"},
    ]
    try:
        reply = generator.generate(
            messages, max_tokens=answer_tokens, temperature=0.0, json_schema=guided_schema(schema, fields)
        )
    except Exception as e:  # the model is an aid: its failure leaves the rules' record
        return {}, [f"LLM extraction skipped: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"]
    answer = _reply_object(reply.text)
    lines = placed_lines(doc)
    text = "\n".join(pl.text for pl in lines)
    dayfirst = dayfirst_hint(text, find_currency(text))
    found: dict[str, Found] = {}
    notes: list[str] = []
    for field, kind in fields.items():
        value = answer.get(field)
        if value is None or value == "":
            continue
        grounded = ground(value, kind, lines)
        if grounded is not None and field in MONEY_FIELDS and not _is_money(grounded, value):
            grounded = None  # "12" from a quantity column is no subtotal
        if grounded is not None and kind == "date" and not _reads_as(grounded, str(value), dayfirst):
            grounded = None  # 02/11/2020 is 2 November on a document that writes days first
        if grounded is None:
            notes.append(f"LLM value for {field} ({value!r}) is not in the document; rules used")
        else:
            found[field] = grounded
    return found, notes
