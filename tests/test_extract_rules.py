"""Rule-based extraction on hand-built documents shaped like the pipeline's output: elements
in reading order, lines of word boxes in points, tables whose first row is the header."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from docpipe.document import BBox, Document, Element, Line, Page, Provenance, TableCell, TableData, Word
from docpipe.extract import extract_document, load_schema
from docpipe.extract.pairs import placed_lines
from docpipe.extract.record import FieldProvenance
from docpipe.extract.refine import ground
from docpipe.llm.base import ChatMessage, Generation

H = 11.0  # body text height in points
CHAR_W = 0.5  # average glyph width, in text heights


def words(text: str, x: float, y: float, h: float = H) -> list[Word]:
    out: list[Word] = []
    for t in text.split():
        w = CHAR_W * h * len(t)
        out.append(Word(text=t, bbox=BBox(x0=x, y0=y, x1=x + w, y1=y + h), confidence=0.98))
        x += w + 0.3 * h
    return out


def line(*runs: tuple[str, float], y: float, h: float = H) -> Line:
    """One baseline of runs, each starting at its own x: ("Total", 380), ("$1,647.41", 480)."""
    ws = [w for text, x in runs for w in words(text, x, y, h)]
    return Line(text=" ".join(w.text for w in ws), bbox=BBox.union_all([w.bbox for w in ws]), words=ws)


def element(eid: str, label: Any, lines: list[Line], page: int = 1, table: TableData | None = None) -> Element:
    box = BBox.union_all([ln.bbox for ln in lines])
    text = "\n".join(ln.text for ln in lines)
    return Element(id=eid, label=label, text=text, prov=[Provenance(page=page, bbox=box)], lines=lines, table=table)


def table(eid: str, rows: list[list[str]], xs: list[float], y0: float, page: int = 1, header: bool = True) -> Element:
    lines, cells = [], []
    for r, row in enumerate(rows):
        lines.append(line(*[(t, xs[c]) for c, t in enumerate(row) if t], y=y0 + 18 * r))
        cells += [TableCell(row=r, col=c, text=t, is_header=header and r == 0) for c, t in enumerate(row)]
    data = TableData(n_rows=len(rows), n_cols=len(rows[0]), cells=cells)
    return element(eid, "table", lines, page, data)


def document(
    body: list[Element], furniture: list[Element] | None = None, size: tuple[float, float] = (612, 792)
) -> Document:
    n_pages = max([e.page for e in body + (furniture or [])], default=1)
    return Document(
        id="0" * 64,
        name="t.pdf",
        source="t.pdf",
        mime="application/pdf",
        pages=[Page(number=i, width=size[0], height=size[1], origin="text_layer") for i in range(1, n_pages + 1)],
        body=body,
        furniture=furniture or [],
    )


def points_at(prov: FieldProvenance, ln: Line, value: str) -> bool:
    """The box lies on `ln` and covers exactly the words of `value`."""
    ws = [w for w in ln.words if w.text in value.split()]
    want = BBox.union_all([w.bbox for w in ws]).as_list()
    return prov.text == ln.text and prov.bbox == want


# ---------------------------------------------------------------- a US invoice

US_LINES = {
    "number": line(("Invoice #", 380), ("GX-5521", 480), y=90),
    "date": line(("Invoice Date", 380), ("05/06/2024", 480), y=104),
    "due": line(("Due Date", 380), ("06/05/2024", 480), y=118),
    "subtotal": line(("Subtotal", 380), ("$1,550.50", 480), y=320),
    "tax": line(("Sales Tax (6.25%)", 380), ("$96.91", 480), y=334),
    "total": line(("Total", 380), ("$1,647.41", 480), y=348),
}


def us_invoice(header_lines: list[Line] | None = None, extra: list[Element] | None = None) -> Document:
    body = [
        element("e0", "title", [line(("Globex Services LLC", 50), y=50, h=18)]),
        element(
            "e1",
            "text",
            [
                line(("77 Market Street", 50), y=74),
                line(("Springfield, IL 62701", 50), y=88),
                line(("Phone: (217) 555-0199", 50), y=102),
            ],
        ),
        element("e2", "section_header", [line(("INVOICE", 460), y=48, h=24)]),
        element(
            "e3", "text", header_lines if header_lines is not None else [US_LINES[k] for k in ("number", "date", "due")]
        ),
        element("e4", "text", [line(("Bill To:", 50), y=150), line(("Initech Corp", 50), y=164)]),
        table(
            "e5",
            [
                ["Item", "Description", "Qty", "Rate", "Amount"],
                ["A-1", "Consulting hours", "10", "$120.00", "$1,200.00"],
                ["A-2", "Travel", "1", "$350.50", "$350.50"],
                ["", "(economy class)", "", "", ""],
            ],
            xs=[50, 100, 330, 400, 480],
            y0=220,
        ),
        element("e6", "text", [US_LINES[k] for k in ("subtotal", "tax", "total")]),
        element("e7", "text", [line(("Please quote the invoice number with your payment. Thank you!", 50), y=400)]),
        *(extra or []),
    ]
    footer = [element("f0", "page_footer", [line(("Globex Services LLC - Page 1 of 1", 220), y=760)])]
    return document(body, footer)


US_DATA = {
    "vendor_name": "Globex Services LLC",
    "vendor_address": "77 Market Street, Springfield, IL 62701",
    "invoice_number": "GX-5521",
    "invoice_date": "2024-05-06",  # 05/06: month first, as the dollars say
    "due_date": "2024-06-05",
    "currency": "USD",
    "subtotal": 1550.5,
    "tax": 96.91,
    "total": 1647.41,
    "line_items": [
        {"description": "Consulting hours", "quantity": 10.0, "unit_price": 120.0, "amount": 1200.0},
        {"description": "Travel (economy class)", "quantity": 1.0, "unit_price": 350.5, "amount": 350.5},
    ],
}


def test_us_invoice_every_field() -> None:
    record = extract_document(us_invoice(), load_schema("invoice"), source="us.pdf")
    assert record.status == "ok" and record.errors == []
    assert record.data == US_DATA
    assert set(record.provenance) == set(US_DATA)
    assert all(p.page == 1 and 0 < p.confidence <= 1 for p in record.provenance.values())


@pytest.mark.parametrize(
    ("field", "key", "value"),
    [
        ("invoice_number", "number", "GX-5521"),
        ("invoice_date", "date", "05/06/2024"),
        ("due_date", "due", "06/05/2024"),
        ("subtotal", "subtotal", "$1,550.50"),
        ("tax", "tax", "$96.91"),
        ("total", "total", "$1,647.41"),
    ],
)
def test_provenance_points_at_the_value(field: str, key: str, value: str) -> None:
    record = extract_document(us_invoice(), load_schema("invoice"), source="us.pdf")
    assert points_at(record.provenance[field], US_LINES[key], value)
    assert record.provenance[field].bbox[0] == 480  # the value's words, not the label at x=380


def test_vendor_and_items_provenance() -> None:
    doc = us_invoice()
    prov = extract_document(doc, load_schema("invoice"), source="us.pdf").provenance
    assert prov["vendor_name"].bbox == doc.body[0].lines[0].bbox.as_list()
    assert prov["vendor_address"].bbox == BBox.union_all([ln.bbox for ln in doc.body[1].lines[:2]]).as_list()
    assert prov["line_items"].bbox == doc.body[5].bbox.as_list()
    assert prov["currency"].text == doc.body[5].lines[1].text  # the first "$" in reading order


def test_a_wrong_total_is_reported_and_kept() -> None:
    lines = dict(US_LINES, total=line(("Total", 380), ("$1,647.14", 480), y=348))
    doc = us_invoice()
    doc.body[6] = element("e6", "text", [lines[k] for k in ("subtotal", "tax", "total")])
    record = extract_document(doc, load_schema("invoice"), source="us.pdf")
    assert record.data["total"] == 1647.14  # never "corrected"
    assert record.errors == ["subtotal 1550.50 + tax 96.91 = 1647.41, not the total 1647.14"]
    assert record.provenance["total"].confidence < 0.5 < record.provenance["invoice_number"].confidence


def test_labels_above_their_values() -> None:
    header = [
        line(("Invoice Number", 300), ("Invoice Date", 420), ("Total Due", 510), y=100),
        line(("7781", 300), ("12 Jan 2024", 420), ("£540.00", 510), y=116),
    ]
    body = [
        element("e0", "title", [line(("Acme Widgets Ltd", 50), y=50, h=18)]),
        element("e1", "text", header),
    ]
    record = extract_document(document(body), load_schema("invoice"), source="x")
    d = record.data
    assert (d["invoice_number"], d["invoice_date"], d["total"], d["currency"]) == ("7781", "2024-01-12", 540.0, "GBP")
    assert points_at(record.provenance["invoice_number"], header[1], "7781")
    assert points_at(record.provenance["total"], header[1], "£540.00")


def test_vendor_address_is_the_block_under_the_name_not_the_next_in_reading_order() -> None:
    body = [
        element("e0", "title", [line(("Northwind Traders", 50), y=50, h=18)]),
        element("e1", "section_header", [line(("INVOICE", 460), y=48, h=24)]),
        element("e2", "text", [line(("5 Harbour Road", 50), y=74), line(("Oslo 0150", 50), y=88)]),
    ]
    data = extract_document(document(body), load_schema("invoice"), source="x").data
    assert (data["vendor_name"], data["vendor_address"]) == ("Northwind Traders", "5 Harbour Road, Oslo 0150")


def test_value_in_a_separate_box_to_the_right() -> None:
    label = element("e1", "text", [line(("Invoice No.:", 380), y=90)])
    value = element("e2", "text", [line(("77-A", 520), y=90)])
    record = extract_document(document([label, value]), load_schema("invoice"), source="x")
    assert record.data["invoice_number"] == "77-A"
    assert record.provenance["invoice_number"].bbox == value.lines[0].bbox.as_list()


def test_a_sentence_mentioning_a_label_is_no_label() -> None:
    body = [
        element("e0", "text", [line(("Please quote the invoice number when paying.", 50), y=100)]),
        element("e1", "text", [line(("Order 5521 ships Monday", 50), y=113)]),
    ]
    assert extract_document(document(body), load_schema("invoice"), source="x").data["invoice_number"] is None


# ---------------------------------------------------------------- totals


def _totals(*rows: tuple[str, str]) -> dict[str, Any]:
    lines = [line((label, 380), (value, 480), y=300 + 14 * i) for i, (label, value) in enumerate(rows)]
    return extract_document(document([element("e0", "text", lines)]), load_schema("invoice"), source="x").data


def test_total_due_beats_plain_total_and_subtotal_is_never_a_total() -> None:
    assert _totals(("Total", "100.00"), ("Grand Total", "108.00"))["total"] == 108.0
    assert _totals(("Subtotal", "50.00"))["total"] is None
    assert _totals(("Sub-Total", "50.00"), ("Total savings", "5.00"), ("TOTAL", "45.00"))["total"] == 45.0
    assert _totals(("Total excl. VAT", "100.00"), ("Total incl. VAT", "119.00"))["total"] == 119.0
    assert _totals(("Total excl. VAT", "100.00"), ("Total incl. VAT", "119.00"))["subtotal"] == 100.0


def test_several_tax_rates_add_up() -> None:
    d = _totals(("Subtotal", "100.00"), ("VAT 7%", "7.00"), ("VAT 19%", "19.00"), ("Total", "126.00"))
    assert (d["subtotal"], d["tax"], d["total"]) == (100.0, 26.0, 126.0)


def test_tax_ids_are_not_tax_amounts() -> None:
    d = _totals(("VAT No:", "GB123456789"), ("Tax ID", "12-3456789"), ("Total", "10.00"))
    assert d["tax"] is None and d["total"] == 10.0


# ---------------------------------------------------------------- a German invoice over two pages


def german_invoice() -> Document:
    body = [
        element("e0", "title", [line(("Müller & Söhne GmbH", 50), y=45, h=18)]),
        element("e1", "text", [line(("Industriestraße 7", 50), y=67), line(("70565 Stuttgart", 50), y=81)]),
        element("e2", "section_header", [line(("RECHNUNG", 430), y=41, h=24)]),
        element(
            "e3",
            "text",
            [
                line(("Rechnungsnummer: RE-77/2024", 360), y=91),
                line(("Datum: 05.03.2024", 360), y=105),
                line(("Fällig am: 04.04.2024", 360), y=119),
            ],
        ),
        table(
            "e4",
            [
                ["Pos", "Artikel", "Menge", "Einzelpreis", "Betrag"],
                ["1", "Schraube M8", "100", "0,45 €", "45,00 €"],
                ["2", "Mutter M8", "100", "0,20 €", "20,00 €"],
            ],
            xs=[50, 90, 300, 380, 480],
            y0=170,
        ),
        table(  # the table goes on at the top of page 2, without repeating its header
            "e5",
            [
                ["3", "Unterlegscheibe", "200", "0,05 €", "10,00 €"],
                ["4", "Montage (Stunden)", "2", "62,50 €", "125,00 €"],
            ],
            xs=[50, 90, 300, 380, 480],
            y0=60,
            page=2,
            header=False,
        ),
        element(
            "e6",
            "text",
            [
                line(("Zwischensumme", 380), ("200,00 €", 480), y=120),
                line(("MwSt. 19%", 380), ("38,00 €", 480), y=134),
                line(("Gesamtbetrag", 380), ("238,00 €", 480), y=148),
            ],
            page=2,
        ),
    ]
    furniture = [element("f0", "page_header", [line(("Müller & Söhne GmbH - Seite 2", 50), y=15)], page=2)]
    return document(body, furniture)


def test_german_invoice_over_two_pages() -> None:
    doc = german_invoice()
    record = extract_document(doc, load_schema("invoice"), source="de.pdf")
    assert record.errors == []
    assert record.data == {
        "vendor_name": "Müller & Söhne GmbH",
        "vendor_address": "Industriestraße 7, 70565 Stuttgart",
        "invoice_number": "RE-77/2024",
        "invoice_date": "2024-03-05",
        "due_date": "2024-04-04",
        "currency": "EUR",
        "subtotal": 200.0,
        "tax": 38.0,
        "total": 238.0,
        "line_items": [
            {"description": "Schraube M8", "quantity": 100.0, "unit_price": 0.45, "amount": 45.0},
            {"description": "Mutter M8", "quantity": 100.0, "unit_price": 0.2, "amount": 20.0},
            {"description": "Unterlegscheibe", "quantity": 200.0, "unit_price": 0.05, "amount": 10.0},
            {"description": "Montage (Stunden)", "quantity": 2.0, "unit_price": 62.5, "amount": 125.0},
        ],
    }
    total = record.provenance["total"]
    assert total.page == 2 and points_at(total, doc.body[6].lines[2], "238,00")  # the figure; "€" is a word of its own
    assert record.provenance["line_items"].page == 1


def test_lines_of_an_element_spanning_pages_get_their_page() -> None:
    t = table("t", [["Item", "Qty", "Amount"], ["a", "1", "1.00"], ["b", "2", "2.00"]], xs=[50, 300, 480], y0=700)
    moved = t.lines[2].model_copy(update={"bbox": BBox(x0=50, y0=60, x1=500, y1=71)})
    t = t.model_copy(
        update={
            "lines": [*t.lines[:2], moved],
            "prov": [t.prov[0], Provenance(page=2, bbox=BBox(x0=50, y0=60, x1=500, y1=71))],
        }
    )
    assert [pl.page for pl in placed_lines(document([t]))] == [1, 1, 2]


# ---------------------------------------------------------------- a receipt without a table


def receipt() -> Document:
    body = [
        element(
            "e0",
            "text",
            [
                line(("BAKERY BROS", 70), y=10, h=12),
                line(("12 Baker Lane, Leeds", 50), y=24),
                line(("14/02/2024 09:15", 60), y=38),
            ],
        ),
        element(
            "e1",
            "text",
            [
                line(("Sourdough loaf", 10), ("£3.20", 170), y=60),
                line(("2 x Croissant", 10), ("£2.40", 170), y=74),
                line(("Coffee 3 @ 1.50", 10), ("£4.50", 170), y=88),
            ],
        ),
        element(
            "e2", "text", [line(("TOTAL", 10), ("£10.10", 165), y=110), line(("CARD", 10), ("£10.10", 165), y=124)]
        ),
        element("e3", "text", [line(("Thank you!", 70), y=150)]),
    ]
    return document(body, size=(210, 200))


def test_receipt_lines_become_items() -> None:
    doc = receipt()
    record = extract_document(doc, load_schema("receipt"), source="r.jpg")
    assert record.errors == []
    assert record.data == {
        "vendor_name": "BAKERY BROS",
        "vendor_address": "12 Baker Lane, Leeds",
        "date": "2024-02-14",
        "currency": "GBP",
        "subtotal": None,
        "tax": None,
        "total": 10.1,
        "line_items": [
            {"description": "Sourdough loaf", "quantity": 1.0, "unit_price": 3.2, "amount": 3.2},
            {"description": "Croissant", "quantity": 2.0, "unit_price": 1.2, "amount": 2.4},
            {"description": "Coffee", "quantity": 3.0, "unit_price": 1.5, "amount": 4.5},
        ],
    }
    assert points_at(record.provenance["date"], doc.body[0].lines[2], "14/02/2024")
    assert record.provenance["line_items"].bbox == doc.body[1].bbox.as_list()
    assert "subtotal" not in record.provenance


# ---------------------------------------------------------------- user schemas, empty documents


def test_user_schema_fields_by_their_names_and_titles(tmp_path: Path) -> None:
    f = tmp_path / "order.json"
    f.write_text(
        json.dumps(
            {
                "type": "object",
                "properties": {
                    "po_number": {"type": "string"},
                    "reference": {"type": "string", "title": "Your Ref"},
                    "delivery_date": {"type": "string", "format": "date"},
                    "total": {"type": "number"},
                    "notes": {"type": "array"},
                },
            }
        )
    )
    body = [
        element(
            "e0",
            "text",
            [
                line(("PO Number: 4500012345", 50), y=100),
                line(("Your Ref: ABC 12", 50), y=114),
                line(("Delivery date: 2024-02-01", 50), y=128),
                line(("Total", 380), ("EUR 99.00", 480), y=142),
            ],
        )
    ]
    record = extract_document(document(body), load_schema(str(f)), source="po.pdf")
    assert record.schema_name == "order" and record.status == "ok"
    assert record.data == {
        "po_number": "4500012345",
        "reference": "ABC 12",
        "delivery_date": "2024-02-01",
        "total": 99.0,
        "notes": [],
    }


def test_nothing_found_is_an_error_record() -> None:
    body = [element("e0", "text", [line(("Lorem ipsum dolor sit amet", 50), y=100)])]
    record = extract_document(document(body), load_schema("invoice"), source="blank.pdf")
    assert record.status == "error" and record.errors == ["blank.pdf: no invoice fields found"]
    assert record.data["total"] is None and record.data["line_items"] == [] and record.provenance == {}


# ---------------------------------------------------------------- the optional LLM pass


class FakeGenerator:
    name = "fake"

    def __init__(self, reply: str | Exception) -> None:
        self.reply = reply
        self.calls: list[dict[str, Any]] = []

    def warm_up(self) -> None:
        pass

    def generate(
        self,
        messages: list[ChatMessage],
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
        json_schema: dict[str, Any] | None = None,
    ) -> Generation:
        self.calls.append({"messages": messages, "temperature": temperature, "json_schema": json_schema})
        if isinstance(self.reply, Exception):
            raise self.reply
        return Generation(self.reply, "fake", 0, 0, 0.0)


def _without_number_and_due() -> Document:
    pay = line(("Please pay before 01 July 2024.", 50), y=420)
    return us_invoice(header_lines=[US_LINES["date"]], extra=[element("e8", "text", [pay])])


def test_llm_fills_only_empty_fields_and_only_with_what_the_document_says() -> None:
    doc = _without_number_and_due()
    reply = '```json\n{"invoice_number": "FAKE-999", "due_date": "2024-07-01", "total": 1.0}\n```'
    gen = FakeGenerator(reply)
    record = extract_document(doc, load_schema("invoice"), source="us.pdf", generator=gen)
    (call,) = gen.calls
    assert set(call["json_schema"]["properties"]) == {"invoice_number", "due_date"}  # only what the rules missed
    assert call["temperature"] == 0.0 and "Please pay before 01 July 2024." in call["messages"][-1]["content"]
    assert record.data["due_date"] == "2024-07-01"  # printed as "01 July 2024": grounded
    assert points_at(record.provenance["due_date"], doc.body[-1].lines[0], "01 July 2024.")
    assert record.provenance["due_date"].confidence <= 0.5
    assert record.data["invoice_number"] is None  # hallucinated: refused
    assert record.data["total"] == 1647.41  # the rules' value stands
    assert any("FAKE-999" in e and "not in the document" in e for e in record.errors)


def test_a_failing_llm_does_not_fail_the_record() -> None:
    record = extract_document(
        _without_number_and_due(),
        load_schema("invoice"),
        source="us.pdf",
        generator=FakeGenerator(RuntimeError("down")),
    )
    assert record.status == "ok" and record.data["total"] == 1647.41
    assert record.errors == ["LLM refinement skipped: RuntimeError: down"]


def test_grounding_reads_values_back_from_the_document() -> None:
    lines = placed_lines(us_invoice())
    assert ground(96.91, "number", lines) is not None and ground("96.91", "number", lines) is not None
    assert ground(96.92, "number", lines) is None
    assert ground("2024-05-06", "date", lines) is not None  # printed 05/06/2024
    assert ground("globex services llc", "text", lines) is not None
    assert ground("77 Market Street, Springfield", "text", lines) is not None  # across two lines
    assert ground("Globex Holdings", "text", lines) is None
    assert ground("USD", "currency", lines) is not None and ground("EUR", "currency", lines) is None
