"""What kind of fact a question asks for (an amount, a count, a date), and whether a short
answer is one: a check that needs no model, run on the model's answer before grounding.

Grounding only asks whether the answer's figures are in the passages; a post code is, and
so is a unit price with four decimals or a label. Measured on realdocs with the 0.5B model:
"60435" (the seller's post code) for "Wie hoch ist der Bruttobetrag", "3,9000" (a unit price)
for "How much did the taxi ride cost", "10,83 €" for "How many employees", a bare label
("Bill To") and pasted paragraphs for a single figure. Each is refused here instead.
"""

from __future__ import annotations

import re
from enum import StrEnum

from docpipe.answer.extractive import content_words


class Kind(StrEnum):
    AMOUNT = "amount"  # money: a total, a price, what was paid
    COUNT = "count"  # how many
    DATE = "date"
    CODE = "code"  # an invoice, order or contract number: an identifier, never an amount


# Words that ask for money, in the languages of the documents (EN, DE, FR, ES, NL). Whole
# words or the end of a German compound ("Bruttobetrag", "Rechnungsbetrag", "Endbetrag").
_MONEY = re.compile(
    r"\b(how much|amount|total|cost|costs|price|paid|pay|payable|due|balance|bill|charged?|fee"
    r"|\w*betrag|summe|kosten|preis|gesamt\w*|montant|prix|solde|co[uû]t|importe|saldo|precio|monto"
    r"|bedrag|totaal)\b",
    re.I,
)
_COUNT = re.compile(r"\b(how many|wie viele|combien|cu[aá]ntos|cu[aá]ntas|hoeveel)\b", re.I)
_DATE = re.compile(
    r"\b(when|what date|which date|what day|which day|wann|datum|quand|quelle date|cu[aá]ndo|fecha"
    r"|تاریخ|تاريخ|چه روزی|متى)\b",  # Persian and Arabic: date, what day, when
    re.I,
)
# Asked about a quantity or a rate, not about money, even with "total" in it; or in a unit the
# question names ("the total EU funding in EURbn": 22.2, a report's figure, no invoice's).
_NOT_MONEY = re.compile(
    r"(?i:\b(number of|percent|percentage|share|rate|ratio|tokens?|pages?|count)\b|%"
    r"|\bin (?:thousands?|millions?|billions?|euros?|dollars?)\b)|\bin [A-Z]{2,}\w*"
)


# Asked for a document's identifier ("the invoice number", "Rechnungsnummer", "numéro de
# facture"): the 0.5B model answered a price ("8,41") for it (realdocs).
_CODE = re.compile(
    r"\b(?:invoice|order|receipt|contract|policy|customer|document)\s+(?:number|no\b|nr\b|#|id\b)"
    r"|\brechnungs(?:nummer|nr)\b|\bnum[ée]ro de (?:la )?facture\b|\bn[°º] de factur|\bnúmero de factura\b"
    r"|\bfactuurnummer\b",
    re.I,
)


def asked_kind(question: str) -> Kind | None:
    if _CODE.search(question):
        return Kind.CODE
    if _COUNT.search(question):
        return Kind.COUNT
    if _DATE.search(question):
        return Kind.DATE
    if _MONEY.search(question) and not _NOT_MONEY.search(question):
        return Kind.AMOUNT
    return None


_CURRENCY = r"[$€£¥₹₩]|\b(?:RM|Rp|Fr|kr|zł|Kč)|\b[A-Z]{3}(?:bn|m)?\b"
# An amount: two decimals ("104,00", "1.163,40"), thousands grouped ("37,499"), or a
# figure next to a currency sign or code ("RM14", "12 EUR"), or a percent.
_AMOUNT = re.compile(
    r"\d[.,]\d\d(?!\d)|\d{1,3}(?:[.,' ]\d{3})+(?!\d|[.,]\d)|"
    rf"(?:{_CURRENCY})\s?\d|\d\s?(?:{_CURRENCY})|\d\s?%"
)
_MONTHS = (
    "jan feb mar apr may jun jul aug sep sept oct nov dec januar februar märz mai juni juli oktober dezember "
    "janvier février fevrier mars avril juin juillet août aout septembre octobre novembre décembre "
    "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre"
).split()
_DATE_FIGURE = re.compile(r"\d{1,4}[./-]\d{1,2}(?:[./-]\d{2,4})?|\b(1[89]|20)\d\d\b")
_MONEY_AFTER = r"\s?(?:[$€£¥₹₩]|EUR|USD|GBP|RM)"


def fits(answer: str, kind: Kind | None, passages: str = "") -> bool:
    """Whether the answer is the kind of fact asked for. `passages`: the text it was read
    from, where a count's figure shows whether it is money there ("10,83 €")."""
    if kind is None:
        return True
    if kind is Kind.AMOUNT:  # a unit price's four decimals ("3,9000") are no total
        return bool(_AMOUNT.search(answer)) and not re.search(r"\d[.,]\d{4,}", answer)
    if kind is Kind.CODE:
        return any(_is_code(m.group("id")) for m in _CODE_TOKEN.finditer(answer))
    if kind is Kind.DATE:
        words = set(re.findall(r"[^\W\d_]+", answer.lower()))
        return bool(_DATE_FIGURE.search(answer)) or bool(words & set(_MONTHS))
    figures = re.findall(r"\d[\d.,]*", answer)
    if not figures and not re.search(r"\b(one|two|three|four|five|six|seven|eight|nine|ten|twelve)\b", answer, re.I):
        return False
    # A count is never a sum of money: a figure the passages write with a currency sign.
    return not any(
        re.search(rf"(?:[$€£¥₹]\s?){re.escape(f)}(?!\d)|(?<![\d.,]){re.escape(f)}{_MONEY_AFTER}", passages)
        for f in figures
        if re.search(r"[.,]\d\d$", f)
    )


def is_label(answer: str, question: str, passages: str) -> bool:
    """A short answer without a figure that the passages write as a label, followed by ':':
    the name of a field, not its value, when it repeats the question's own words ("Bill To"
    for "Who is the invoice billed to?") or when what the label introduces has nothing to do
    with the question ("Bill To" for "Who won the world cup in 1954?"). A term the passage
    defines with the question's words ("acmlarge: Used by JOCCH and TAP") is an answer."""
    text = answer.strip().strip(":").strip()
    if not text or re.search(r"\d", text) or len(text.split()) > 4:
        return False
    asked = content_words(question)
    labels = list(re.finditer(rf"(?<!\w){re.escape(text)}\s*:", passages, re.I))
    if not labels:
        return False
    if content_words(text) & asked:
        return True
    for m in labels:  # what the label introduces: the rest of its line, else the next line
        rest = passages[m.end() :].lstrip(" \t")
        line = rest.split("\n", 2)[1 if rest.startswith("\n") else 0] if rest else ""
        if content_words(line) & asked:
            return False
    return bool(asked)


_SUMMARY = re.compile(
    r"\b(summar\w*|describe|overview|explain|list|zusammen\w*|résum\w*|resum\w*|what is .* about)\b", re.I
)
_SENTENCE_BREAK = re.compile(r"(?:[a-z]{3}|\d)([.!?])\s+[A-Z][a-z]")  # not after "Dr." or "Co."


def pasted(answer: str, question: str) -> bool:
    """Several sentences, or a long one, for a question that asks for one fact: a pasted
    passage, not an answer ("The mix used for this stage is shown in Table 1. It consists
    of..." for "What peak learning rate was used")."""
    if _SUMMARY.search(question):
        return False
    return len(_SENTENCE_BREAK.findall(answer.strip())) >= 1 or len(answer.split()) > 30


def first_fact(answer: str, question: str, passages: str = "") -> str | None:
    """The first sentence of a pasted answer, when the question asks for a kind of fact (a
    date, an amount, a count) and that sentence alone is one. A model without a length-bound
    grammar (SmolLM2 served by vLLM) states the fact and goes on: "The old harbour was built in
    1842 to serve the grain trade ... The harbour was built to serve ...". The sentence is
    checked like any answer afterwards (kind, grounding); None: nothing to keep."""
    kind = asked_kind(question)
    if kind is None:
        return None
    text = answer.strip()
    m = _SENTENCE_BREAK.search(text)
    first = text[: m.end(1)] if m else text
    if pasted(first, question) or not fits(first, kind, passages):
        return None
    return first.rstrip(".!? ")


# Values as a document writes them after a label, whole ("1.163,40", "RM14.20" -> 14.20,
# "30-04-2018"): what a label lookup reads (docpipe.answer.labelled).
_VALUE_OF = {
    Kind.AMOUNT: re.compile(r"(?<![\d.,])-?\d{1,3}(?:[.,']\d{3})*[.,]\d\d(?![\d])|(?<![\d.,])-?\d+[.,]\d\d(?![\d])"),
    Kind.DATE: re.compile(r"(?<!\d)\d{1,4}[./-]\d{1,2}[./-]\d{2,4}(?!\d)"),
    Kind.COUNT: re.compile(r"(?<![\d.,])\d+(?![\d]|[.,]\d)"),
}
_AFTER_VALUE = re.compile(r"[\s.:|]*(?:[$€£¥₹]|[A-Z]{3})?[\s.]*")  # what may follow a value: its currency


# An identifier: letters, digits and separators with a digit in it ("E2018092011804",
# "FA-2017-0010", "VT/2022/0001"), not an amount or a date.
_CODE_TOKEN = re.compile(r"(?<![\w/.-])(?P<id>(?=[\w/.-]*\d)[A-Za-z0-9][\w/.-]{2,}[A-Za-z0-9])(?![\w/-])")
# What introduces a document's number on its line: "Nr.", "No:", "N°", "Number", "#", a colon.
_CODE_MARK = re.compile(
    r"(?i:\b(?:nr|no|n[°º]|num|number|nummer|num[ée]ro|número)\b\.?|(?<=\w)(?:nummer|nr)\b\.?)[\s:|]*|#\s*|:[\s|]*"
)


def _is_code(token: str) -> bool:
    return not (
        _VALUE_OF[Kind.AMOUNT].fullmatch(token)
        or _VALUE_OF[Kind.DATE].fullmatch(token)
        or _DATE_FIGURE.fullmatch(token)
    )


def code_span(text: str) -> tuple[int, int] | None:
    """(start, end) of the identifier right after a number's marker on `text` ("Handelsrechnung
    (380) Nr. E2018092011804 vom 20.09.2018" -> E2018092011804), None if there is none."""
    for mark in _CODE_MARK.finditer(text):
        m = _CODE_TOKEN.match(text, mark.end())
        if m and _is_code(m.group("id")):
            return m.span()
    return None


def value_spans(text: str, kind: Kind) -> list[tuple[int, int]]:
    """(start, end) of each value of `kind` in `text`, the last one followed by nothing but a
    currency (else none: a sentence or an item line, "13.90 SR", goes on after its figure).
    A code is the one identifier after its marker, whatever follows ("... vom 20.09.2018")."""
    if kind is Kind.CODE:
        found = code_span(text)
        return [found] if found else []
    spans = [m.span() for m in _VALUE_OF[kind].finditer(text)]
    if spans and not _AFTER_VALUE.fullmatch(text[spans[-1][1] :]):
        return []
    return spans
