"""Rules and the model pass reconciled field by field, by their accuracy measured on realdocs.

`TRUST[schema][field] = (rules, model)`: the share of documents where each source's value
was exactly right (SROIE's strict rule) on ../shared/realdocs (80 real receipts, 24 real
invoices; `score.py extract` on each source's output). The source that measured better wins a
field where both answer; where one is silent the other stands. A field's confidence is that
source's measured accuracy times the confidence of the words it was read from, raised when
both sources agree. Fields and schemas not measured get the default: the rules first.
"""

from __future__ import annotations

from docpipe.extract.rules import Found

# Measured 2026-12-01. Rules: all 80 receipts and 24 invoices. Model: Qwen2.5-Coder-0.5B
# Q4_K_M through llama.cpp with a JSON-schema grammar, every field asked, on the first 5
# receipts and 2 invoices (the shared machine ran it at 30-200 s a document, so no more).
TRUST: dict[str, dict[str, tuple[float, float]]] = {
    "receipt": {
        "vendor_name": (0.863, 0.4),
        "vendor_address": (0.825, 0.0),
        "date": (0.95, 0.4),
        "total": (0.938, 0.2),
    },
    "invoice": {
        "vendor_name": (0.75, 0.5),
        "invoice_number": (1.0, 0.5),
        "invoice_date": (1.0, 1.0),
        "currency": (1.0, 0.5),
        "total": (0.833, 0.0),
    },
}
DEFAULT_TRUST = (0.8, 0.4)


def trust(schema_name: str, field: str) -> tuple[float, float]:
    return TRUST.get(schema_name, {}).get(field, DEFAULT_TRUST)


def fields_for_model(schema_name: str, fields: dict[str, str], rules: dict[str, Found]) -> dict[str, str]:
    """What the model is asked: the fields it measured better on, and those the rules left empty
    (asking for fewer fields keeps the answer, and the time, short)."""
    return {f: k for f, k in fields.items() if f not in rules or trust(schema_name, f)[1] > trust(schema_name, f)[0]}


def _with_confidence(found: Found, confidence: float) -> Found:
    c = round(max(0.0, min(1.0, confidence)), 3)
    return Found(found.value, found.page, found.bbox, found.text, c)


def reconcile(
    schema_name: str, rules: dict[str, Found], model: dict[str, Found]
) -> tuple[dict[str, Found], dict[str, str]]:
    """One value per field, and which source gave it ("rules", "model", "both")."""
    out: dict[str, Found] = {}
    source: dict[str, str] = {}
    for field in rules.keys() | model.keys():
        r, m = rules.get(field), model.get(field)
        t_rules, t_model = trust(schema_name, field)
        if r is not None and m is not None and r.value == m.value:
            agree = 1 - (1 - t_rules) * (1 - t_model)  # two readings that agree are rarely both wrong
            out[field], source[field] = _with_confidence(r, agree * r.confidence), "both"
        elif r is not None and (m is None or t_rules >= t_model):
            out[field], source[field] = _with_confidence(r, t_rules * r.confidence), "rules"
        elif m is not None:
            out[field], source[field] = _with_confidence(m, t_model * m.confidence), "model"
    return out, source
