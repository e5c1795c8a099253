"""The model's answer string made the fact it states: marks the model added (before
grounding) and the question it repeated before the fact (after it) are taken off."""

from __future__ import annotations

import re

from docpipe.index.terms import STOPWORDS

_LEADING = re.compile(r"^[\s:,;|]+")  # ": Frachtbetrag: 15,00", ", JSON, Markdown" (a minus stays)
_SIGNS = "$€£¥₹"
_RESTATED = re.compile(
    r"^(?P<lead>.+)\s(?:is|was|are|were|ist|sind|war|beträgt|betrug|est|était|es|fue|bedraagt)\s(?P<fact>\S.*?)[.\s]*$",
    re.I,
)


def tidy(answer: str, passages: str) -> str:
    """`answer` without a leading ':' or ',' and without a currency sign no passage writes
    (the model put "$" before "12,99 €" and before "60435", the seller's post code)."""
    text = _LEADING.sub("", answer).strip()
    for sign in _SIGNS:
        if sign in text and sign not in passages:
            text = re.sub(rf"{re.escape(sign)}\s?", "", text).strip()
    return text or answer.strip()


def fact_of(answer: str, question: str) -> str:
    """The fact of an answer that restates the question before it ("The grand total on the
    X receipt is RM14.20." -> "RM14.20"). Only for showing a grounded answer: grounding and
    the table lookup see the whole sentence, whose names say what its figure is about."""
    m = _RESTATED.match(answer)
    if m is None:
        return answer
    lead = [w for w in re.findall(r"\w+", m["lead"].lower()) if w not in STOPWORDS]
    asked = set(re.findall(r"\w+", question.lower()))
    return m["fact"].strip() if len(lead) >= 2 and set(lead) <= asked else answer
