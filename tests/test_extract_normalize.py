"""Normalizers: printed amounts, dates and currencies to Decimal, ISO 8601 and ISO 4217."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from docpipe.extract.normalize import (
    ambiguous_order_hint,
    find_amounts,
    find_currency,
    find_dates,
    find_money,
    parse_amount,
    parse_date,
)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1.234,56", "1234.56"),
        ("1,234.56", "1234.56"),
        ("1234.56", "1234.56"),
        ("RM 9.00", "9.00"),
        ("RM9.00", "9.00"),
        ("$1,234.56", "1234.56"),
        ("€ 1.234,56", "1234.56"),
        ("1.234,56 €", "1234.56"),
        ("(12.00)", "-12.00"),
        ("($12.00)", "-12.00"),
        ("12,50", "12.50"),
        ("1 234,56", "1234.56"),
        ("1\u00a0234,56", "1234.56"),
        ("1.234.567,89", "1234567.89"),
        ("1,234,567.89", "1234567.89"),
        ("1'234.50", "1234.50"),
        ("-5.00", "-5.00"),
        ("-$5.00", "-5.00"),
        ("$-5.00", "-5.00"),
        ("12.00-", "-12.00"),
        ("USD 1,234.56", "1234.56"),
        ("1,234", "1234"),
        ("0.125", "0.125"),
        ("12.5", "12.5"),
        ("7", "7"),
        ("Tax (8%) $68.64", "68.64"),  # a percentage is not the amount
    ],
)
def test_parse_amount(text: str, value: str) -> None:
    assert parse_amount(text) == Decimal(value)


@pytest.mark.parametrize("text", ["", "no digits", "—"])
def test_parse_amount_none(text: str) -> None:
    assert parse_amount(text) is None


def test_ids_ranges_and_dates_are_not_negative_or_money() -> None:
    assert [a.value for a in find_amounts("INV-2024-0117")] == [Decimal(2024), Decimal(117)]
    assert [a.value for a in find_amounts("pages 10-20")] == [Decimal(10), Decimal(20)]
    assert find_amounts("Datum: 03.12.2024") == []  # a dotted date holds no amount
    assert [a.value for a in find_amounts("Eggs (10)")] == [Decimal(10)]  # a count in brackets stays positive


def test_find_money_keeps_cents_or_currency_and_drops_percentages() -> None:
    text = "Rice 5kg 2 @ 5.20 RM 10.40 (8%) USD 7"
    assert [str(a.value) for a in find_money(text)] == ["5.20", "10.40", "7"]
    line = "Hex bolt M10 x 60 (box of 50) 4 $22.75 $91.00"
    money = find_money(line)
    assert [str(a.value) for a in money] == ["22.75", "91.00"]
    assert line[money[-1].start : money[-1].end] == "91.00"


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("2024-05-02", "2024-05-02"),
        ("2024/05/02", "2024-05-02"),
        ("25/12/2018", "2018-12-25"),
        ("12/25/2018", "2018-12-25"),
        ("25-12-2018", "2018-12-25"),
        ("Dec 3, 2019", "2019-12-03"),
        ("Dec. 3 2019", "2019-12-03"),
        ("December 3rd, 2019", "2019-12-03"),
        ("3 December 2019", "2019-12-03"),
        ("3rd Dec 2019", "2019-12-03"),
        ("03-Dec-2019", "2019-12-03"),
        ("March 14, 2024", "2024-03-14"),
        ("Sept. 3, 2019", "2019-09-03"),
        ("03.12.19", "2019-12-03"),
        ("03.12.2024", "2024-12-03"),
        ("Datum: 03.12.2024", "2024-12-03"),
        ("14. März 2024", "2024-03-14"),
        ("2. Januar 2025", "2025-01-02"),
        ("Date: 25/12/2023 10:42", "2023-12-25"),
        ("Invoice Date: March 14, 2024  Due: April 13, 2024", "2024-03-14"),  # the first one
    ],
)
def test_parse_date(text: str, iso: str) -> None:
    d = parse_date(text)
    assert d is not None and d.isoformat() == iso


@pytest.mark.parametrize(
    "text", ["", "Invoice No: INV-2024-0117", "Market 12, 2024", "Nov 2024", "31/02/2024", "13/13/2024", "1234.56"]
)
def test_parse_date_none(text: str) -> None:
    assert parse_date(text) is None


def test_ambiguous_numeric_dates_follow_the_hint() -> None:
    assert parse_date("03/04/2024") == date(2024, 3, 4)  # month first unless told
    assert parse_date("03/04/2024", dayfirst=True) == date(2024, 4, 3)
    assert parse_date("25/04/2024", dayfirst=False) == date(2024, 4, 25)  # 25 can only be a day
    assert parse_date("04/25/2024", dayfirst=True) == date(2024, 4, 25)
    assert parse_date("03.04.2024", dayfirst=False) == date(2024, 4, 3)  # dotted: always day first


def test_order_hint_comes_from_unambiguous_dates() -> None:
    assert ambiguous_order_hint("Date 25/12/2023, due 03/01/2024") is True
    assert ambiguous_order_hint("Date 12/25/2023, due 01/03/2024") is False
    assert ambiguous_order_hint("Date 03/04/2024 and 03.12.2024") is None


def test_find_dates_gives_spans() -> None:
    text = "Issued 2024-05-02, due June 1, 2024"
    found = find_dates(text)
    assert [d.value.isoformat() for d in found] == ["2024-05-02", "2024-06-01"]
    assert text[found[1].start : found[1].end] == "June 1, 2024"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Total $12.00", "USD"),
        ("US$ 10", "USD"),
        ("All amounts in CAD. Total $5.00", "CAD"),
        ("Total AUD 40.00 ... $40.00", "AUD"),
        ("A$ 12.00", "AUD"),
        ("C$12.00", "CAD"),
        ("€ 5,00", "EUR"),
        ("5,00 EUR", "EUR"),
        ("£3.50", "GBP"),
        ("¥1200", "JPY"),
        ("RMB 100 ¥100", "CNY"),
        ("TOTAL RM 9.00", "MYR"),
        ("₹500", "INR"),
        ("Rs. 500", "INR"),
        ("Amount CHF 10.00", "CHF"),
        ("Total 12.00 SGD", "SGD"),
        ("Currency: EUR", "EUR"),
        ("Betrag CHF\nTotal CHF\n5'945.50", "CHF"),  # codes naming the unit of amount labels
        ("Amount (EUR)\n12,00", "EUR"),
        ("EUR", "EUR"),
        ("€ 1,00 € 2,00 $3.00", "EUR"),  # the most used wins
        ("CAD drawings, revision 3: $5.00", "USD"),  # a code that is a word here, not a currency
        ("no money here", None),
        ("RMA request", None),
    ],
)
def test_find_currency(text: str, code: str | None) -> None:
    assert find_currency(text) == code
