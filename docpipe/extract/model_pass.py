"""The model pass: an LLM reads the document's reading-order text and fills the schema's scalar
fields, its decoding constrained to a JSON schema (llama.cpp's grammar, vLLM's guided JSON), so
the reply always parses.

Every field is asked for as a string, as printed: a small model asked for a number reads
"845,20" as 84520. The printed string is then normalised by the same code the rules use, and a
value counts only when it is found in the document (refine.ground); it gets that line's page
and box. What is not in the document is dropped with a note.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from docpipe.document import Document
from docpipe.extract.normalize import find_currency, find_dates, parse_amount
from docpipe.extract.pairs import PlacedLine, placed_lines
from docpipe.extract.refine import _reply_object, _scalar_kind, ground
from docpipe.extract.rules import Found, dayfirst_hint
from docpipe.extract.schemas import Schema

if TYPE_CHECKING:
    from docpipe.llm.base import ChatMessage, Generator

MAX_TEXT_CHARS = 3500  # ~1,200 tokens: a receipt whole, an invoice's first page or two
TOKENS_PER_FIELD = 40
SYSTEM = (
    "You read invoices and receipts. Fill every field from the document text, copying each value "
    "exactly as printed (amounts and dates as printed, not reformatted); null when it is not printed. "
    "The vendor is the business that issued the document (its name at the top or on the sender line), "
    "never the customer. The total is the final amount to pay (after tax and rounding), not a "
    "subtotal, cash tendered or change."
)
HINTS = {
    "vendor_name": "the issuing business's name, whole, with its legal suffix",
    "vendor_address": "the issuer's address lines under its name, joined",
    "invoice_number": "the invoice's own number (not an order, customer or account number)",
    "date": "the transaction date",
    "invoice_date": "the invoice's issue date",
    "total": "the final amount paid or payable",
    "currency": "ISO 4217 code or the symbol printed",
}


def model_fields(schema: Schema) -> dict[str, str]:
    """The scalar fields a model can fill, with their kind (text, number, date, currency)."""
    return {f: k for f in schema.fields if (k := _scalar_kind(schema, f))}


def _prompt(text: str, schema: Schema, fields: dict[str, str]) -> list[ChatMessage]:
    wanted = []
    for field in fields:
        desc = schema.field_schema(field).get("description")
        hint = desc if isinstance(desc, str) else HINTS.get(field, "")
        wanted.append(f"- {field}" + (f": {hint}" if hint else ""))
    return [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": f"Document text (reading order):\n{text}\n\nFields:\n" + "\n".join(wanted)},
    ]


def json_schema(fields: dict[str, str]) -> dict[str, Any]:
    props = {f: {"type": ["string", "null"]} for f in fields}
    return {"type": "object", "properties": props, "required": list(fields), "additionalProperties": False}


def _normalised(value: str, kind: str, dayfirst: bool) -> Any:
    """The printed string as the value the rules would store; None when it does not read as one."""
    if kind == "number":
        amount = parse_amount(value)
        return None if amount is None else str(amount)
    if kind == "date":
        dates = find_dates(value, dayfirst=dayfirst)
        return dates[0].value.isoformat() if dates else None
    if kind == "currency":
        return find_currency(value) or (value.strip().upper() if len(value.strip()) == 3 else None)
    return value.strip() or None


def _document_text(lines: list[PlacedLine]) -> str:
    return "\n".join(pl.text for pl in lines)[:MAX_TEXT_CHARS]


def read_with_model(
    doc: Document, schema: Schema, generator: Generator, fields: dict[str, str] | None = None
) -> tuple[dict[str, Found], list[str]]:
    """Grounded values for `fields` (by default every scalar field) as the model reads them, and notes."""
    fields = model_fields(schema) if fields is None else fields
    if not fields:
        return {}, []
    lines = placed_lines(doc)
    text = _document_text(lines)
    try:
        reply = generator.generate(
            _prompt(text, schema, fields),
            max_tokens=16 + TOKENS_PER_FIELD * len(fields),
            temperature=0.0,
            json_schema=json_schema(fields),
        )
    except Exception as e:  # the model is an aid: its failure leaves the rules' record
        first = str(e).splitlines()[0] if str(e) else ""
        return {}, [f"model pass skipped: {type(e).__name__}: {first}"]
    answer = _reply_object(reply.text)
    dayfirst = dayfirst_hint(text, find_currency(text))
    found: dict[str, Found] = {}
    notes: list[str] = []
    for field, kind in fields.items():
        printed = answer.get(field)
        if not isinstance(printed, str) or not printed.strip():
            continue
        value = _normalised(printed, kind, dayfirst)
        grounded = None if value is None else ground(value, kind, lines)
        if grounded is None:
            notes.append(f"model value for {field} ({printed!r}) is not in the document; not used")
        else:
            found[field] = grounded
    return found, notes
