"""Values as printed → values as stored: amounts (Decimal), dates (ISO 8601), currencies (ISO 4217).

The `find_*` functions also return where in the text a value sits, so the rules can point
provenance at the words that hold it rather than at the whole line.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

# Codes that are also common words (ALL, TOP, TRY, PHP, CUP...) are left out: on an invoice
# they are far more often words than currencies.
_CODES = frozenset(
    "USD EUR GBP JPY CHF CAD AUD NZD MYR SGD HKD INR CNY SEK NOK DKK PLN CZK HUF RON BGN ZAR BRL MXN "
    "KRW THB IDR VND AED SAR QAR ILS TWD RUB UAH ISK ARS CLP COP PEN EGP NGN KES PKR BDT LKR".split()
)
CODE_ALT = "|".join(sorted(_CODES))

# ---------------------------------------------------------------- amounts

_NUMBER = re.compile(
    r"(?<![\d.,])(?:"
    r"[1-9]\d{0,2}([.,'’])\d{3}(?:\1\d{3})*(?:[.,]\d+)?"  # grouped thousands: 1.234,56  1,234.56  1'234.56
    r"|[1-9]\d{0,2}(?:[ \u00a0\u202f]\d{3})+,\d{1,2}"  # 1 234,56: space groups only with a decimal comma
    r"|\d+(?:[.,]\d+)?"
    r")(?![\d]|[.,]\d)"  # so 03.12.2024 is no amount at all
)
_MARK_BEFORE = re.compile(rf"(?:[$€£¥₹₩₽₺฿₱₪]|\b(?:{CODE_ALT}|RM|Rs\.?))\s?[-−]?$")
# A symbol after a number marks it only when it does not open the next one ("4 $22.75").
_MARK_AFTER = re.compile(rf"^\s?(?:[$€£¥₹]|(?:{CODE_ALT})\b|zł)(?!\s?[-−(]?\d)")
_SIGN_BEFORE = re.compile(rf"(?:^|[\s(:=$€£¥₹])[-−]\s?(?:[$€£¥₹]|(?:{CODE_ALT}|RM)\s?)?$")
_OPEN_BEFORE = re.compile(rf"\(\s?(?:[$€£¥₹]|(?:{CODE_ALT}|RM)\s?)?$")


@dataclass(frozen=True)
class Amount:
    """One number in a text, with what printing conventions said about it."""

    value: Decimal
    start: int
    end: int
    cents: bool  # two decimals: what money looks like
    marked: bool  # a currency symbol or code right beside it
    percent: bool

    @property
    def money_like(self) -> bool:
        return not self.percent and (self.cents or self.marked)


def _to_decimal(num: str) -> Decimal | None:
    num = re.sub(r"[\s\u00a0\u202f'’]", "", num)
    if "," in num and "." in num:  # the later separator is the decimal one
        dec = "," if num.rfind(",") > num.rfind(".") else "."
        num = num.replace("." if dec == "," else ",", "").replace(",", ".")
    elif "," in num or "." in num:
        sep = "," if "," in num else "."
        head, _, tail = num.rpartition(sep)
        # 1,234 / 1.234.567 are thousands (prices have no three-decimal cents); 12,50 is a decimal comma.
        if num.count(sep) > 1 or (len(tail) == 3 and re.fullmatch(r"[1-9]\d{0,2}", head)):
            num = num.replace(sep, "")
        else:
            num = head + "." + tail
    try:
        return Decimal(num)
    except InvalidOperation:
        return None


def find_amounts(text: str) -> list[Amount]:
    """Every number in `text`, signed: `-5.00`, `(12.00)`, `12.00-` are negative."""
    out: list[Amount] = []
    for m in _NUMBER.finditer(text):
        value = _to_decimal(m.group(0))
        if value is None:
            continue
        before, after = text[: m.start()], text[m.end() :]
        decimals = re.search(r"[.,](\d+)$", m.group(0))
        cents = bool(decimals and len(decimals.group(1)) == 2)
        marked = bool(_MARK_BEFORE.search(before) or _MARK_AFTER.match(after))
        # A minus only counts at a word start: "INV-2024" and "10-20" carry no sign; brackets
        # mean negative only around money ("(12.00)"), not around a count ("Eggs (10)").
        negative = bool(_SIGN_BEFORE.search(before)) or bool(re.match(r"[-−](?!\d)", after))
        negative |= bool((cents or marked) and _OPEN_BEFORE.search(before) and re.match(r"\s?\)", after))
        out.append(
            Amount(
                value=-value if negative else value,
                start=m.start(),
                end=m.end(),
                cents=cents,
                marked=marked,
                percent=bool(re.match(r"\s?%", after)),
            )
        )
    return out


def parse_amount(text: str) -> Decimal | None:
    """The first amount in `text`: `1.234,56`, `$1,234.56`, `RM 9.00`, `(12.00)`, `12,50`, `1 234,56`."""
    found = find_amounts(text)
    chosen = next((a for a in found if not a.percent), found[0] if found else None)
    return chosen.value if chosen else None


def find_money(text: str) -> list[Amount]:
    """Amounts that look like money (cents, or a currency beside them), not percentages."""
    return [a for a in find_amounts(text) if a.money_like]


# ---------------------------------------------------------------- dates

_MONTH_NAMES = [
    ("jan", "january", "januar", "jän", "janvier", "enero"),
    ("feb", "february", "februar", "février", "fevrier", "febrero"),
    ("mar", "march", "märz", "maerz", "mär", "mars", "marzo"),
    ("apr", "april", "avril", "abril"),
    ("may", "mai", "mayo"),
    ("jun", "june", "juni", "juin", "junio"),
    ("jul", "july", "juli", "juillet", "julio"),
    ("aug", "august", "août", "aout", "agosto"),
    ("sep", "sept", "september", "septembre", "septiembre"),
    ("oct", "october", "okt", "oktober", "octobre", "octubre"),
    ("nov", "november", "novembre", "noviembre"),
    ("dec", "december", "dez", "dezember", "décembre", "decembre", "diciembre"),
]
MONTHS = {name: i for i, names in enumerate(_MONTH_NAMES, start=1) for name in names}
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_ORD = r"(?:st|nd|rd|th)?"
_DATE_PATTERNS = {
    "ymd": re.compile(r"(?<!\d)(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?!\d)"),
    # a till that prints the time straight after the year: "26-05-201815:16:13", "20/06/1800:05"
    "numeric_time": re.compile(r"(?<![\d.,/-])(\d{1,2})([./-])(\d{1,2})\2(\d{4}|\d{2})(?=\d{2}:\d{2})"),
    "numeric": re.compile(r"(?<![\d.,/-])(\d{1,2})([./-])(\d{1,2})\2(\d{4}|\d{2})(?![\d]|[.,/-]\d)"),
    "month_first": re.compile(rf"\b({_MONTH})\.?[\s/-]*(\d{{1,2}}){_ORD},?[\s/-]*(\d{{4}})(?!\d)", re.I),
    "day_first": re.compile(rf"(?<!\d)(\d{{1,2}}){_ORD}\.?[\s/-]*({_MONTH})\.?,?[\s/-]*(\d{{4}}|\d{{2}})(?!\d)", re.I),
}


@dataclass(frozen=True)
class FoundDate:
    value: date
    start: int
    end: int


def _year(y: str) -> int:
    n = int(y)
    if n >= 100:
        return n
    return 2000 + n if n < 70 else 1900 + n


def _safe(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _from_match(kind: str, m: re.Match[str], dayfirst: bool) -> date | None:
    if kind == "ymd":
        return _safe(int(m[1]), int(m[3]), int(m[4]))
    if kind == "month_first":
        return _safe(int(m[3]), MONTHS[m[1].lower()], int(m[2]))
    if kind == "day_first":
        return _safe(_year(m[3]), MONTHS[m[2].lower()], int(m[1]))
    a, sep, b, y = int(m[1]), m[2], int(m[3]), _year(m[4])
    if sep == "." or a > 12:  # dotted dates are German/European: always day first
        return _safe(y, b, a)
    if b > 12:
        return _safe(y, a, b)
    return _safe(y, b, a) if dayfirst else _safe(y, a, b)


def find_dates(text: str, *, dayfirst: bool = False) -> list[FoundDate]:
    """Every valid date in `text`, in text order."""
    out: list[FoundDate] = []
    taken: list[tuple[int, int]] = []
    for kind, rx in _DATE_PATTERNS.items():  # most explicit shapes first; later ones may not overlap them
        for m in rx.finditer(text):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            d = _from_match(kind, m, dayfirst)
            if d is not None:
                out.append(FoundDate(d, m.start(), m.end()))
                taken.append((m.start(), m.end()))
    return sorted(out, key=lambda f: f.start)


_COMPACT = re.compile(r"^\s*(\d{2})(\d{2})(\d{4})\s*$")
COMPACT_YEARS = (1990, 2099)


def compact_date(text: str, *, dayfirst: bool = True) -> FoundDate | None:
    """A date printed without separators, alone on its line: "27032018" (day first, or month
    first when `dayfirst` is false) or "20180327". A longer or shorter run of digits, or one
    that is no valid date in a plausible year, is a number."""
    m = _COMPACT.match(text)
    if m is None:
        return None
    a, b, y = int(m[1]), int(m[2]), int(m[3])
    d = _safe(y, b, a) if dayfirst else _safe(y, a, b)
    if d is None:
        d = _safe(a * 100 + b, y // 100, y % 100)  # yyyymmdd
    if d is None or not COMPACT_YEARS[0] <= d.year <= COMPACT_YEARS[1]:
        return None
    return FoundDate(d, m.start(1), m.end(3))


def parse_date(text: str, *, dayfirst: bool = False) -> date | None:
    """The first date in `text`: ISO, `25/12/2018`, `12/25/2018`, `03.12.19`, `Dec 3, 2019`, `3 December 2019`.

    A numeric date is day-first when its first part is over 12, when it is dotted, or when
    `dayfirst` says so (the rules derive that hint from the whole document).
    """
    found = find_dates(text, dayfirst=dayfirst)
    return found[0].value if found else None


def ambiguous_order_hint(text: str) -> bool | None:
    """True/False when some slashed or dashed date in `text` settles day-first vs month-first."""
    for m in _DATE_PATTERNS["numeric"].finditer(text):
        if m[2] == ".":
            continue
        a, b = int(m[1]), int(m[3])
        if a > 12 >= b:
            return True
        if b > 12 >= a:
            return False
    return None


# ---------------------------------------------------------------- OCR noise

STRAY_AMONG = 200  # one accented letter among at least this many plain ones: noise, not spelling


def _accented(ch: str) -> bool:
    return ch.isalpha() and any(unicodedata.combining(c) for c in unicodedata.normalize("NFD", ch))


def fold_stray_accents(value: str, doc_text: str) -> str:
    """An accent OCR put on one letter of a document written without them ("SETIA ÁLAM" on an
    English/Malay receipt): a language that writes diacritics shows more than one a page.
    The value unchanged when the document has several."""
    if not any(_accented(ch) for ch in value):
        return value
    accented = sum(1 for ch in doc_text if _accented(ch))
    letters = sum(1 for ch in doc_text if ch.isalpha())
    if accented > 1 or letters < STRAY_AMONG:
        return value
    folded = unicodedata.normalize("NFD", value)
    return unicodedata.normalize("NFC", "".join(c for c in folded if not unicodedata.combining(c)))


# ---------------------------------------------------------------- currencies

_CODE_RE = re.compile(r"(?<![A-Za-z])(" + "|".join(sorted(_CODES | {"RMB"})) + r")(?![A-Za-z])")
_DECLARED = re.compile(r"(?:currency|währung|devise|moneda|\bin)\s*:?\s*$", re.I)
# "Total CHF", "Betrag (EUR)": a code naming the unit of an amount label or a column.
_AMOUNT_LABEL = re.compile(
    r"(?:total|amount|betrag|summe|sum|price|preis|due|balance|montant|prix|importe|cost|kosten|gesamt)\w*\s*\(?$", re.I
)
_DOLLAR_CODES = ("USD", "CAD", "AUD", "NZD", "SGD", "HKD", "MXN", "TWD")
_PREFIXED_DOLLARS = {"US$": "USD", "CA$": "CAD", "C$": "CAD", "AU$": "AUD", "A$": "AUD", "NZ$": "NZD", "S$": "SGD"}
_PREFIXED_DOLLARS |= {"HK$": "HKD", "R$": "BRL", "MX$": "MXN", "NT$": "TWD"}
_SYMBOLS = {"€": "EUR", "£": "GBP", "₹": "INR", "₩": "KRW", "₽": "RUB", "₺": "TRY", "฿": "THB", "₱": "PHP"}
_SYMBOLS |= {"₫": "VND", "₪": "ILS", "₴": "UAH", "元": "CNY"}
_WORD_SYMBOLS = [  # letters that are a currency only right before an amount
    (re.compile(r"\bRM\s?\d"), "MYR"),
    (re.compile(r"\bRs\.?\s?\d"), "INR"),
    (re.compile(r"\d\s?zł"), "PLN"),
    (re.compile(r"\bFr\.\s?\d"), "CHF"),
]


@dataclass(frozen=True)
class CurrencyMark:
    code: str
    start: int
    end: int
    weight: int  # a declared code ("Currency: EUR") outweighs symbols


def currency_marks(text: str) -> list[CurrencyMark]:
    """Every place `text` names a currency, mapped to ISO 4217."""
    marks: list[CurrencyMark] = []
    if text.strip() in _CODES:
        return [CurrencyMark(text.strip(), text.find(text.strip()), len(text.rstrip()), 1)]
    for m in _CODE_RE.finditer(text):
        code = "CNY" if m[1] == "RMB" else m[1]
        before, after = text[: m.start()], text[m.end() :]
        declared = bool(_DECLARED.search(before))
        labelled = bool(_AMOUNT_LABEL.search(before) or (before.endswith("(") and after.startswith(")")))
        beside_amount = bool(re.match(r"\s?[-−(]?\d", after) or re.search(r"\d\s?$", before))
        if declared or labelled or beside_amount:  # "CAD drawings" is not Canadian dollars
            marks.append(CurrencyMark(code, m.start(), m.end(), 3 if declared else 2 if labelled else 1))
    dollar_codes = Counter(m.code for m in marks if m.code in _DOLLAR_CODES)
    plain_dollar = dollar_codes.most_common(1)[0][0] if dollar_codes else "USD"
    yen = "CNY" if any(m.code == "CNY" for m in marks) or "元" in text else "JPY"
    for i, ch in enumerate(text):
        if ch == "$":
            prefix = next((p for p in _PREFIXED_DOLLARS if text[: i + 1].endswith(p)), None)
            if prefix and not text[: i + 1 - len(prefix)][-1:].isalpha():
                marks.append(CurrencyMark(_PREFIXED_DOLLARS[prefix], i + 1 - len(prefix), i + 1, 1))
            else:
                marks.append(CurrencyMark(plain_dollar, i, i + 1, 1))
        elif ch == "¥":
            marks.append(CurrencyMark(yen, i, i + 1, 1))
        elif ch in _SYMBOLS:
            marks.append(CurrencyMark(_SYMBOLS[ch], i, i + 1, 1))
    for rx, code in _WORD_SYMBOLS:
        marks.extend(CurrencyMark(code, m.start(), m.end(), 1) for m in rx.finditer(text))
    return sorted(marks, key=lambda m: m.start)


def find_currency(text: str) -> str | None:
    """The ISO 4217 code `text` uses most: `$` is USD unless the text names another dollar (CAD, AUD...)."""
    marks = currency_marks(text)
    if not marks:
        return None
    weights: Counter[str] = Counter()
    first: dict[str, int] = {}
    for m in marks:
        weights[m.code] += m.weight
        first.setdefault(m.code, m.start)
    return max(weights, key=lambda c: (weights[c], -first[c]))
