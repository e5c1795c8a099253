"""Word lists shared by keyword search and extractive answering."""

from __future__ import annotations

import re

# Question words and glue: they select nothing in a document.
STOPWORDS = frozenset(
    """a an and are as at be by can could did do does for from had has have how i in is it its me my of on or our
    please show tell that the their there these this to was we were what when where which who whom why will with
    would you your document documents file page pdf""".split()
)

_FTS_TOKEN = re.compile(r"[^\W_]+")


def fts_tokens(text: str) -> list[str]:
    """Tokens as SQLite FTS5's unicode61 tokenizer makes them (lower case, split at punctuation)."""
    return _FTS_TOKEN.findall(text.lower())
