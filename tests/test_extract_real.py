"""Extraction on real documents and on receipts laid out as real till receipts print them.

The invoices are real PDFs (tests/data/real_invoices, Apache-2.0, see its README) converted by
the real pipeline. The receipts are hand-built documents in the shape OCR gives a scanned
Malaysian till receipt (one column, top-down, pixel boxes): the businesses, addresses and amounts
are made up; the layouts are the ones real receipts print (SROIE's images are research-use
only, so none is copied here).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from docpipe.document import BBox, Document, Element, Line, Page, Provenance, Word
from docpipe.extract import extract_document, load_schema
from docpipe.extract.reconcile import fields_for_model, reconcile, trust
from docpipe.extract.rules import Found

REAL = Path(__file__).parent / "data" / "real_invoices"
LINE_H = 30.0  # a receipt line's height in pixels
PAGE_W = 600.0


def _line(text: str, y: float, h: float = LINE_H) -> Line:
    width = 0.5 * h * len(text)
    x = (PAGE_W - width) / 2  # tills centre the header
    words: list[Word] = []
    for t in text.split():
        w = 0.5 * h * len(t)
        words.append(Word(text=t, bbox=BBox(x0=x, y0=y, x1=x + w, y1=y + h), confidence=0.95))
        x += w + 0.5 * h
    return Line(text=" ".join(w.text for w in words), bbox=BBox.union_all([w.bbox for w in words]), words=words)


def receipt(*rows: str | tuple[str, float] | None) -> Document:
    """One element per printed line, top-down; a (text, height) row prints larger, None is
    a blank line's worth of paper."""
    body: list[Element] = []
    y = 40.0
    for i, row in enumerate(rows):
        if row is None:
            y += LINE_H * 1.25
            continue
        text, h = (row, LINE_H) if isinstance(row, str) else row
        ln = _line(text, y, h)
        prov = [Provenance(page=1, bbox=ln.bbox)]
        body.append(Element(id=f"e{i}", label="text", text=ln.text, prov=prov, lines=[ln]))
        y += h * 1.25
    page = Page(number=1, width=PAGE_W, height=max(1000.0, y + 40), origin="ocr")
    return Document(id="0" * 64, name="r.jpg", source="r.jpg", mime="image/jpeg", pages=[page], body=body)


def fields(doc: Document) -> dict[str, object]:
    record = extract_document(doc, load_schema("receipt"), source="r.jpg")
    return {k: record.data[k] for k in ("vendor_name", "vendor_address", "date", "total")}


def test_the_name_with_its_suffix_not_the_brand_and_the_address_up_to_the_gst_line() -> None:
    doc = receipt(
        ("KedaiMart", 60),
        "Bunga Raya Retail Sdn Bhd (771234-K)",
        "12A, Jalan Cempaka 3/2, Taman Melati",
        "43000 Kajang, Selangor",
        "GST ID: 000123456789",
        "Tax Invoice",
        "21/03/2018 19:15",
        "NASI LEMAK 1 4.50",
        "TOTAL 4.50",
        "CASH 10.00",
        "CHANGE 5.50",
    )
    assert fields(doc) == {
        "vendor_name": "Bunga Raya Retail Sdn Bhd",
        "vendor_address": "12A, Jalan Cempaka 3/2, Taman Melati, 43000 Kajang, Selangor",
        "date": "2018-03-21",
        "total": 4.5,
    }


def test_a_name_over_two_lines_a_registration_line_between_name_and_address() -> None:
    doc = receipt(
        "SINAR TIMUR",
        "STATIONERY SDN.BHD",
        "CO REG NO : 210038-K",
        "GST ID : 000517095424",
        "42-46, JLN SULTAN AHMAD",
        "SHAH 51200 KUALA LUMPUR",
        "TEL : 03-4043 7678",
        "TAX INVOICE",
        "REG 16-04-2018 14:51",
        "TOTAL RM5.00",
        "CASH RM5.00",
    )
    assert fields(doc) == {
        "vendor_name": "SINAR TIMUR STATIONERY SDN.BHD",
        "vendor_address": "42-46, JLN SULTAN AHMAD, SHAH 51200 KUALA LUMPUR",
        "date": "2018-04-16",
        "total": 5.0,
    }


def test_a_branch_line_without_a_street_is_not_the_address() -> None:
    doc = receipt(
        "MAJU JAYA HYPERMART SDN BHD (482123-U)",
        "Kuantan-2",
        "GST Reg No 000184401920",
        "Jalan Besar 1",
        "28700 Bentong",
        "Pahang Darul Makmur.",
        "Tel : 09-2201388",
        "Tax Invoice : BTB09201805190274",
        "19/05/18 21:17:14",
        "Total with GST @ 6% 52.80",
        "TOTAL 52.80",
    )
    out = fields(doc)
    assert out["vendor_name"] == "MAJU JAYA HYPERMART SDN BHD"
    assert out["vendor_address"] == "Jalan Besar 1, 28700 Bentong, Pahang Darul Makmur."
    assert out["date"] == "2018-05-19"


def test_the_rounded_amount_paid_not_the_unrounded_total_the_cash_or_the_change() -> None:
    doc = receipt(
        "ROTI SEGAR ENTERPRISE",
        "No. 1, Jalan Permas 10/5, Bandar Baru Permas Jaya",
        "81750 Masai, Johor",
        "Date :26-05-201815:16:13",
        "T-Butter slice RM4.15",
        "Total (Incl GST, 0%) RM14.18",
        "Rounding RM0.02",
        "Cash RM20.00",
        "Change RM5.80",
    )
    out = fields(doc)
    assert out["total"] == 14.2
    assert out["date"] == "2018-05-26"  # printed glued to the time
    assert out["vendor_name"] == "ROTI SEGAR ENTERPRISE"


def test_nett_total_after_the_rounding_line_wins() -> None:
    doc = receipt(
        "KOPI PANAS TRADING",
        "Lot 3, Jalan Pelabur 23/1,",
        "40300 Shah Alam, Selangor.",
        "Date: 03/APR/2019",
        "Total Amount: RM7.72",
        "Rounding: -RM0.02",
        "Nett Total: RM7.70",
        "CASH RM7.70",
    )
    out = fields(doc)
    assert out["total"] == 7.7
    assert out["date"] == "2019-04-03"


def test_the_title_printed_above_the_name_and_the_address_above_it() -> None:
    doc = receipt(
        "TAX INVOICE",
        "Petrolina Permas Jaya 2",
        "LOT PTD 101051",
        "Jalan Permas 10/10",
        "81750 Masai, Johor",
        "Sri Murni Fuel Enterprise",
        "CO. REG. NO: 001011128-T",
        "GST REG. NO:000153358336",
        "Date: 2018/06/12",
        "TOTAL RM 30.00",
    )
    out = fields(doc)
    assert out["vendor_name"] == "Sri Murni Fuel Enterprise"
    assert out["vendor_address"] == "LOT PTD 101051, Jalan Permas 10/10, 81750 Masai, Johor"
    assert out["date"] == "2018-06-12"
    assert out["total"] == 30.0


def test_the_owning_company_over_the_brand_with_a_trading_suffix() -> None:
    doc = receipt(
        "TEH TARIK HOUSE & CO.",
        "Dimiliki oleh Cahaya F&B SDN. BHD.",
        "(1219716-T)",
        "LOT NO.: 4F-27, 4TH FLOOR, PARADIGM MALL",
        "GST ID:000707211264",
        "TAX INVOICE",
    )
    assert fields(doc)["vendor_name"] == "Dimiliki oleh Cahaya F&B SDN. BHD."


def test_malay_and_misread_total_labels() -> None:
    malay = receipt(
        "KEDAI RUNCIT AMAN ENTERPRISE", "No. 8, Jalan Pasar 2", "BERAS 5KG 12.50", "JUMLAH RM 12.50", "TUNAI RM 20.00"
    )
    assert fields(malay)["total"] == 12.5
    misread = receipt(
        "DION HARTA SDN BHD", "27, Jalan Sultan Ismail,", "Anount Incl, GST 5.00 RM", "Accepted total 10.00 RM"
    )
    assert fields(misread)["total"] == 5.0  # OCR's "Anount"; the cash accepted is no total


def test_the_outlet_printed_after_the_brand_names_the_business_and_blank_paper_ends_the_address() -> None:
    doc = receipt(
        "TAX INVOICE A01234",
        "PIZZA PALACE",
        "GST REF NO : 001234567890",
        "PIZZA PALACE TAMAN MELATI",
        "12, Jln Cempaka 3, Tmn Melati",
        "53100 Kuala Lumpur",
        None,
        None,
        "Pay By: CASH",
        "DINE IN",
        "Order Time : 10:52:09 Date :08/05/18",
        "TOTAL 6.70",
    )
    out = fields(doc)
    assert out["vendor_name"] == "PIZZA PALACE TAMAN MELATI"
    assert out["vendor_address"] == "12, Jln Cempaka 3, Tmn Melati, 53100 Kuala Lumpur"
    assert out["date"] == "2018-05-08"


def test_a_date_and_time_between_the_name_and_the_address_does_not_end_the_header() -> None:
    doc = receipt(
        "A05030",
        "SEMANGAT NIAGA SDN BHD",
        "09 May 2018 18.24",
        "(867388-U)",
        "12, Jalan Tampoi 7/4, Kawasan Perindustrian",
        "Tampoi, 81200 Johor Bahru, Johor",
        "TAXINVOICE",
        "Nett Total: $6.60",
    )
    out = fields(doc)
    assert out["vendor_address"] == "12, Jalan Tampoi 7/4, Kawasan Perindustrian, Tampoi, 81200 Johor Bahru, Johor"
    assert out["date"] == "2018-05-09"
    assert out["total"] == 6.6


def test_a_name_set_over_three_lines() -> None:
    doc = receipt(
        "SENG HUAT HARDWARE",
        "ENTERPRISE (BUKIT",
        "JELUTONG) SDN BHD",
        "822737-X",
        "NO. 17-G, JALAN SETIA INDAH (X) U13/X,",
        "40170 SHAH ALAM,",
        "TEL: 012 - 6651783",
        "SIMPLIFIED TAX INVOICE",
    )
    out = fields(doc)
    assert out["vendor_name"] == "SENG HUAT HARDWARE ENTERPRISE (BUKIT JELUTONG) SDN BHD"
    assert out["vendor_address"] == "NO. 17-G, JALAN SETIA INDAH (X) U13/X, 40170 SHAH ALAM"


FILLER = [f"ITEM {i} PAPER CLIP BOX OF HUNDRED 1 2.50" for i in range(8)]  # a receipt's worth of letters


def test_a_date_printed_without_separators_when_no_other_date_is_printed() -> None:
    doc = receipt("HING LOONG STATIONERY SDN BHD", "NO.3, JALAN SR 1/9, SEKSYEN 9,", "Tax Invoice", "27032018")
    assert fields(doc)["date"] == "2018-03-27"
    assert fields(receipt("HING LOONG STATIONERY SDN BHD", "Tax Invoice", "12345678"))["date"] is None  # no date


def test_a_lone_accent_on_an_unaccented_receipt_is_ocr_noise_several_are_spelling() -> None:
    stray = receipt("SRI MAJU STATIONERY SHOP", "NO. 31G, JALAN SETIA INDAH X,", "40170 SETIA ÁLAM", *FILLER)
    assert fields(stray)["vendor_address"] == "NO. 31G, JALAN SETIA INDAH X, 40170 SETIA ALAM"
    spelled = receipt("CAFÉ DU MARCHÉ SARL", "12 rue de la République", "75011 Paris", *FILLER, "Espèces 20,00")
    assert fields(spelled)["vendor_name"] == "CAFÉ DU MARCHÉ SARL"


def _letter_spaced(head: str, spaced: str, y: float) -> Element:
    """A line whose second part the till prints letter-spaced and OCR returns a character at
    a time, each its own word, nearly touching."""
    words, x = [], 40.0
    for t in head.split():
        words.append(Word(text=t, bbox=BBox(x0=x, y0=y, x1=x + 15 * len(t), y1=y + LINE_H), confidence=0.9))
        x += 15 * len(t) + 15
    for ch in spaced.replace(" ", ""):
        words.append(Word(text=ch, bbox=BBox(x0=x, y0=y, x1=x + 12, y1=y + LINE_H), confidence=0.9))
        x += 15
    ln = Line(text=" ".join(w.text for w in words), bbox=BBox.union_all([w.bbox for w in words]), words=words)
    return Element(id="spaced", label="text", text=ln.text, prov=[Provenance(page=1, bbox=ln.bbox)], lines=[ln])


def test_a_letter_spaced_date_is_read_as_the_date_it_spells() -> None:
    doc = receipt("SRI PAGI STATIONERY SHOP", "NO. 3, JALAN MAWAR 2, 40170 SHAH ALAM", "Total 8.70", "CASH 10.00")
    doc.body.append(_letter_spaced("INV NO: CS-SA-0120436", "Date: 27/10/2017", 400.0))
    assert fields(doc)["date"] == "2017-10-27"


def test_a_registration_line_that_opens_with_company_is_no_name() -> None:
    doc = receipt(
        "LEONG KEE SERVICE STATION",
        "Company No:256628-W",
        "LOT 2615 BANDAR SG LONG,",
        "43000 KAJANG, SELANGOR",
        "GST No : 001934041088",
        "Total RM 50.00",
    )
    out = fields(doc)
    assert out["vendor_name"] == "LEONG KEE SERVICE STATION"
    assert out["vendor_address"] == "LOT 2615 BANDAR SG LONG, 43000 KAJANG, SELANGOR"


def test_no_total_printed_the_amount_received_less_the_change() -> None:
    doc = receipt(
        "PASIR MAJU HARDWARE SDN BHD",
        "NO 9, JALAN PENGKALAN 5,",
        "81700 PASIR GUDANG, JOHOR.",
        "Date :23/06/18 12:46:33 PM",
        "PLUG TOP 13A 3 24.00",
        "UMS 13A PLUG 3 12.00",
        "Gross Amt : 36.00",
        "Net Amt : 36.00",
        "Received 50.00",
        "Change : 14.00",
    )
    assert fields(doc)["total"] == 36.0
    without_change = receipt("PASIR MAJU HARDWARE SDN BHD", "Net Amt : 36.00", "Received 50.00")
    assert fields(without_change)["total"] is None  # the cash alone is not what was spent


@pytest.fixture(scope="module")
def real_records(converter):  # type: ignore[no-untyped-def]
    schema = load_schema("invoice")
    out = {}
    for pdf in sorted(REAL.glob("*.pdf")):
        result = converter.convert(pdf)
        assert result.document is not None, result.errors
        out[pdf.stem] = extract_document(result.document, schema, source=pdf.name)
    return out


@pytest.mark.slow
@pytest.mark.parametrize(
    ("stem", "want", "printed_total"),
    [
        (
            "RE-E-974-Hetzner_2016-01-19_R0005532486",  # issuer first on the sender line over the window
            {"vendor_name": "Hetzner Online GmbH", "invoice_number": "R0005532486", "invoice_date": "2016-01-19"}
            | {"currency": "EUR", "total": 104.0},
            "104,00",
        ),
        (
            "zugferd_2p0_BASIC_Taxifahrt",  # "Verkäufer:" block, "Handelsrechnung Nr. X vom D"
            {"vendor_name": "Taxiunternehmen TX GmbH", "invoice_number": "TX-471102", "invoice_date": "2018-10-30"}
            | {"currency": "EUR", "total": 18.08},
            "18,08",
        ),
        (
            "Facture_FR_BASICWL",  # French, emoji in the letterhead, "Facture FA-…", "Total TTC"
            {"vendor_name": "Au bon moulin SARL", "invoice_number": "FA-2017-0010", "invoice_date": "2017-11-13"}
            | {"currency": "EUR", "total": 671.15},
            "671,15",
        ),
    ],
)
def test_real_invoices(real_records, stem: str, want: dict[str, object], printed_total: str) -> None:  # type: ignore[no-untyped-def]
    record = real_records[stem]
    assert {k: record.data[k] for k in want} == want
    for field in want:
        prov = record.provenance[field]
        assert prov.page >= 1 and prov.bbox[0] < prov.bbox[2]
        assert 0 < prov.confidence <= 1
    assert printed_total in record.provenance["total"].text  # the line the total was read from


def _found(value: object, confidence: float = 0.9) -> Found:
    return Found(value, 1, BBox(x0=10, y0=10, x1=50, y1=20), str(value), confidence)


def test_reconcile_keeps_the_source_that_measured_better_and_fills_what_one_missed() -> None:
    rules = {"total": _found(4.5), "vendor_name": _found("KEDAI A SDN BHD")}
    model = {
        "total": _found(10.0, 0.5),
        "date": _found("2018-03-21", 0.5),
        "vendor_name": _found("KEDAI A SDN BHD", 0.5),
    }
    out, source = reconcile("receipt", rules, model)
    assert {f: v.value for f, v in out.items()} == {
        "total": 4.5,
        "vendor_name": "KEDAI A SDN BHD",
        "date": "2018-03-21",
    }
    assert source == {"total": "rules", "vendor_name": "both", "date": "model"}
    assert out["total"].confidence == round(trust("receipt", "total")[0] * 0.9, 3)
    assert out["date"].confidence == round(trust("receipt", "date")[1] * 0.5, 3)
    # two sources that agree are surer than the rules alone
    assert out["vendor_name"].confidence > round(trust("receipt", "vendor_name")[0] * 0.9, 3)


def test_the_model_is_asked_only_what_the_rules_missed_where_they_measured_better() -> None:
    fields = {"vendor_name": "text", "date": "date", "total": "number", "currency": "currency"}
    asked = fields_for_model("receipt", fields, {"vendor_name": _found("X SDN BHD"), "total": _found(1.0)})
    assert asked == {"date": "date", "currency": "currency"}


@pytest.mark.slow
def test_the_model_pass_on_the_embedded_model_keeps_the_better_measured_rules(llama: Any) -> None:
    """The real llama.cpp model (the session fixture, on each runtime) asked for what the rules
    missed; the rules' values stand, each with its measured confidence, and whatever the model
    adds is printed on the line its box points at."""
    doc = receipt(
        "KEDAI RUNCIT AMAN ENTERPRISE",
        "No. 8, Jalan Pasar 2",
        "81300 Skudai, Johor",
        "Tarikh: 21/03/2018",
        "BERAS 5KG 12.50",
        "JUMLAH RM 12.50",
        "TUNAI RM 20.00",
    )
    rules = extract_document(doc, load_schema("receipt"), source="r.jpg")
    record = extract_document(doc, load_schema("receipt"), source="r.jpg", generator=llama, reconciled=True)
    for field in ("vendor_name", "vendor_address", "date", "currency"):
        assert record.data[field] == rules.data[field]
        t_rules = trust("receipt", field)[0]
        assert record.provenance[field].confidence == pytest.approx(
            t_rules * rules.provenance[field].confidence, abs=2e-3
        )
    for field in ("subtotal", "tax", "total"):  # the fields the model was asked
        if record.data[field] is not None:
            assert f"{record.data[field]:.2f}" in record.provenance[field].text
