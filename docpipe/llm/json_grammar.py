"""The JSON-schema options both llama.cpp runtimes hand to llguidance."""

from __future__ import annotations

from typing import Any

# No free whitespace (indented JSON costs about twice the tokens, each one decode time), but
# the one space after ":" and "," that the model writes by itself (`{"answer": "62 g",
# "passages": [1]}`, as the worked examples show). Without that space the model's likeliest
# next token, ` "`, was forbidden and its weight went to tokens such as `":` and `"$`:
# answers ":002", ":Cashier", "$60435" (measured on realdocs).
_COMPACT = {"whitespace_flexible": False, "key_separator": ": ", "item_separator": ", "}


def compact_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with llguidance's `x-guidance` layout options (the schema's own win)."""
    return {**schema, "x-guidance": _COMPACT | schema.get("x-guidance", {})}
