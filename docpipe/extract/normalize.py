"""Values as printed → values as stored: amounts, ISO 8601 dates, ISO 4217 currencies."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

MONEY = re.compile(r"(?<![\d.,])-?\d{1,3}(?:[.,\s]\d{3})*[.,]\d{2}(?![\d])|(?<![\d.,])-?\d+[.,]\d{2}(?![\d])")


def parse_amount(text: str) -> Decimal | None:
    """`1.234,56`, `1,234.56`, `RM 9.00`, `€ 1.234,56`, `(12.00)` (negative), `12,50`, `1 234,56`."""
    s = text.strip()
    m = re.search(r"\d[\d.,\s]*\d|\d", s)
    if not m:
        return None
    negative = (s.startswith("(") and s.endswith(")")) or "-" in s[: m.start()]
    num = re.sub(r"\s", "", m.group(0))
    if "," in num and "." in num:  # the later separator is the decimal one
        dec = "," if num.rfind(",") > num.rfind(".") else "."
        num = num.replace("." if dec == "," else ",", "").replace(",", ".")
    elif "," in num:
        # 1,234 and 1,234,567 are thousands; 12,50 is a decimal comma.
        if re.fullmatch(r"\d{1,3}(,\d{3})+", num):
            num = num.replace(",", "")
        else:
            head, _, tail = num.rpartition(",")
            num = head.replace(",", "") + "." + tail
    elif re.fullmatch(r"\d{1,3}(\.\d{3})+", num):
        num = num.replace(".", "")  # 1.234 / 1.234.567: money has no three-decimal prices
    try:
        value = Decimal(num)
    except InvalidOperation:
        return None
    return -value if negative else value


def last_money(text: str) -> tuple[Decimal, str] | None:
    """The last amount with cents in a line ("Tax (8%) $68.64" → 68.64, not 8)."""
    found = MONEY.findall(text)
    if not found:
        return None
    raw = found[-1]
    value = parse_amount(raw)
    return (value, raw) if value is not None else None


_MONTHS = {
    name: i
    for i, names in enumerate(
        [
            ("jan", "january", "januar", "jän"),
            ("feb", "february", "februar"),
            ("mar", "march", "märz", "maerz", "mär"),
            ("apr", "april"),
            ("may", "mai"),
            ("jun", "june", "juni"),
            ("jul", "july", "juli"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october", "okt", "oktober"),
            ("nov", "november"),
            ("dec", "december", "dez", "dezember"),
        ],
        start=1,
    )
    for name in names
}
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
_ISO = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
_NUMERIC = re.compile(r"\b(\d{1,2})([./-])(\d{1,2})\2(\d{4}|\d{2})\b")
_MONTH_FIRST = re.compile(rf"\b({_MONTH_RE})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b", re.I)
_DAY_FIRST = re.compile(rf"\b(\d{{1,2}})\.?\s+({_MONTH_RE})\.?,?\s+(\d{{4}})\b", re.I)


def _year(y: str) -> int:
    n = int(y)
    return n + 2000 if n < 100 else n


def _safe(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def parse_date(text: str, *, dayfirst: bool = True) -> date | None:
    """ISO, `25/12/2018`, `12/25/2018`, `03.12.19` (dots: day first), `Dec 3, 2019`, `3 December 2019`."""
    if m := _ISO.search(text):
        return _safe(int(m[1]), int(m[2]), int(m[3]))
    if m := _MONTH_FIRST.search(text):
        return _safe(int(m[3]), _MONTHS[m[1].lower()], int(m[2]))
    if m := _DAY_FIRST.search(text):
        return _safe(int(m[3]), _MONTHS[m[2].lower()], int(m[1]))
    if m := _NUMERIC.search(text):
        a, sep, b, y = int(m[1]), m[2], int(m[3]), _year(m[4])
        if sep == "." or a > 12:
            return _safe(y, b, a)
        if b > 12:
            return _safe(y, a, b)
        return _safe(y, b, a) if dayfirst else _safe(y, a, b)
    return None


_CODES = ("USD", "EUR", "GBP", "JPY", "CHF", "CAD", "AUD", "MYR", "SGD", "INR", "CNY", "SEK", "NOK", "DKK", "PLN")
_SYMBOLS = [
    ("RM", "MYR"),
    ("€", "EUR"),
    ("£", "GBP"),
    ("¥", "JPY"),
    ("₹", "INR"),
    ("S$", "SGD"),
    ("C$", "CAD"),
    ("A$", "AUD"),
    ("$", "USD"),
]


def find_currency(text: str) -> str | None:
    """ISO 4217 from codes first (they are explicit), then symbols; `RM 9.00` is ringgit."""
    for code in _CODES:
        if re.search(rf"\b{code}\b", text):
            return code
    for sym, code in _SYMBOLS:
        pattern = rf"\b{sym}\s?\d" if sym.isalpha() else re.escape(sym)
        if re.search(pattern, text):
            return code
    return None
