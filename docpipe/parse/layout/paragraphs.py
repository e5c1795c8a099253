"""The text of a paragraph's lines: a word broken at a line-end hyphen made whole again.

A line ending in "-" whose next line goes on in lower case is a word hyphenated by the
typesetter ("docu-" / "ment") unless the page itself writes the compound with its hyphen
("camera-ready" elsewhere on the page): then the hyphen is the word's own and stays. The
joined word moves up to the first line, so every line still reads as whole words.
"""

from __future__ import annotations

import re

_EDGE = re.compile(r"^[^\w]+|[^\w]+$")
_HYPHENS = ("-", "\u2010", "\u2011")


def vocabulary(texts: list[str]) -> set[str]:
    """Lower-cased words of a page, punctuation trimmed: what decides a kept hyphen."""
    return {_EDGE.sub("", t).lower() for t in texts}


def join_hyphenated(lines: list[str], vocab: set[str]) -> list[str]:
    """The lines with words split at a line-end hyphen joined onto the line they start on (as
    many lines as given; one that held only the rest of a word is left empty)."""
    out = list(lines)
    for i in range(len(out) - 1):
        head, nxt = out[i], out[i + 1]
        if not head.endswith(_HYPHENS) or len(head) < 3 or not head[-2].isalpha():
            continue
        first, _, rest = nxt.lstrip().partition(" ")
        if not first or not first[0].islower():
            continue
        left = head.split()[-1][:-1]
        core = _EDGE.sub("", first)
        compound = f"{_EDGE.sub('', left)}-{core}".lower()
        joined = f"{_EDGE.sub('', left)}{core}".lower()
        keep = compound in vocab and joined not in vocab
        out[i] = head + first if keep else head[:-1] + first
        out[i + 1] = rest
    return out
