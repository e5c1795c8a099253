"""Optional LLM pass: ask for the fields the rules left empty, keep only grounded answers.

A value is accepted only when it appears in the document - the same string, or an amount,
date or currency that reads back to the same value - and it then gets the box of the line
where it appears. A hallucinated value therefore never lands in a record.
"""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from docpipe.document import BBox, Document
from docpipe.extract.normalize import currency_marks, find_amounts, find_dates
from docpipe.extract.pairs import PlacedLine, line_confidence, placed_lines, span_box
from docpipe.extract.rules import Found
from docpipe.extract.schemas import Schema

if TYPE_CHECKING:
    from docpipe.llm.base import ChatMessage, Generator

LLM_CONFIDENCE = 0.5  # below any labelled rule hit: the model read it, the rules did not
MAX_DOC_CHARS = 6000  # fits a 2k-token context with the question and the answer
SYSTEM = (
    "You extract fields from a document. Answer with one JSON object and nothing else. "
    "Copy each value exactly as printed in the document; use null when the document does not state it. "
    "Write dates as YYYY-MM-DD, amounts as plain numbers, currencies as ISO 4217 codes."
)
_WORDS = re.compile(r"[^\W_]+")


def _scalar_kind(schema: Schema, field: str) -> str | None:
    kind = schema.field_type(field)
    if kind in ("number", "integer"):
        return "number"
    if kind == "string" or kind is None:
        fmt = str(schema.field_schema(field).get("format", ""))
        if field == "currency":
            return "currency"
        return "date" if fmt.startswith("date") or field.endswith("date") else "text"
    return None  # arrays (line items) and objects are left to the rules


def _reply_object(text: str) -> dict[str, Any]:
    """The first JSON object in a reply, past any prose or code fences around it."""
    start = text.find("{")
    while start >= 0:
        try:
            obj, _ = json.JSONDecoder().raw_decode(text[start:])
        except ValueError:
            start = text.find("{", start + 1)
            continue
        return obj if isinstance(obj, dict) else {}
    return {}


def _found(pl: PlacedLine, value: Any, start: int, end: int) -> Found:
    box, conf = span_box(pl.line, start, end)
    return Found(value, pl.page, box, pl.text, LLM_CONFIDENCE * conf)


def ground(value: Any, kind: str, lines: list[PlacedLine]) -> Found | None:
    """The value as found in the document, with its place; None when it is not there."""
    if value is None or value == "" or isinstance(value, (bool, list, dict)):
        return None
    if kind == "number":
        try:
            want = Decimal(str(value)).quantize(Decimal("0.01"))
        except (InvalidOperation, ValueError):
            return None
        for pl in lines:
            for a in find_amounts(pl.text):
                if not a.percent and a.value == want:
                    return _found(pl, float(want), a.start, a.end)
        return None
    if kind == "date":
        try:
            want_date = date.fromisoformat(str(value))
        except ValueError:
            return None
        for pl in lines:
            for dayfirst in (False, True):
                for d in find_dates(pl.text, dayfirst=dayfirst):
                    if d.value == want_date:
                        return _found(pl, want_date.isoformat(), d.start, d.end)
        return None
    if kind == "currency":
        code = str(value).strip().upper()
        for pl in lines:
            for m in currency_marks(pl.text):
                if m.code == code:
                    return _found(pl, code, m.start, m.end)
        return None
    return _ground_text(str(value).strip(), lines)


def _ground_text(value: str, lines: list[PlacedLine]) -> Found | None:
    """Text may span lines ("17 Elm Street, Portland"): compare word sequences, case-folded."""
    want = [w.casefold() for w in _WORDS.findall(value)]
    if not want:
        return None
    for pl in lines:
        if " ".join(want) in " ".join(w.casefold() for w in _WORDS.findall(pl.text)):
            i = pl.text.casefold().find(want[0])
            return _found(pl, value, max(i, 0), len(pl.text))
    by_element: dict[int, list[PlacedLine]] = {}
    for pl in lines:
        by_element.setdefault(id(pl.element), []).append(pl)
    for group in by_element.values():
        words = " ".join(w.casefold() for pl in group for w in _WORDS.findall(pl.text))
        if " ".join(want) in words:
            held = [pl for pl in group if pl.page == group[0].page]
            box = BBox.union_all([pl.bbox for pl in held])
            conf = min(line_confidence(pl.line) for pl in held)
            return Found(value, group[0].page, box, "\n".join(pl.text for pl in held), LLM_CONFIDENCE * conf)
    return None


def fill_missing(
    doc: Document, schema: Schema, data: dict[str, Any], generator: Generator
) -> tuple[dict[str, Found], list[str]]:
    """Grounded values for the empty scalar fields, and notes on what was refused or failed."""
    missing = {f: k for f in schema.fields if data.get(f) in (None, "") and (k := _scalar_kind(schema, f))}
    if not missing:
        return {}, []
    types = {"number": "number", "date": "string", "currency": "string", "text": "string"}
    json_schema = {
        "type": "object",
        "properties": {f: {"type": [types[k], "null"]} for f, k in missing.items()},
        "required": list(missing),
    }
    text = doc.text()[:MAX_DOC_CHARS]
    messages: list[ChatMessage] = [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": f"Document:\n{text}\n\nFields: {', '.join(missing)}\nJSON:"},
    ]
    try:
        reply = generator.generate(
            messages, max_tokens=48 + 32 * len(missing), temperature=0.0, json_schema=json_schema
        )
    except Exception as e:  # the model is optional: its failure must not fail the record
        return {}, [f"LLM refinement skipped: {type(e).__name__}: {e}"]
    answer = _reply_object(reply.text)
    lines = placed_lines(doc)
    found: dict[str, Found] = {}
    notes: list[str] = []
    for field, kind in missing.items():
        value = answer.get(field)
        if value is None:
            continue
        grounded = ground(value, kind, lines)
        if grounded is None:
            notes.append(f"LLM value for {field} ({value!r}) is not in the document; not used")
        else:
            found[field] = grounded
    return found, notes
