"""Totals as real invoices print them: rows merged by a word printed sideways in the margin,
a column of per-rate totals closed by their sum, a credit note's minus. Hand-built documents
in the shape the text-layer parse gives (word boxes in points); the layouts are those of the
realdocs ZUGFeRD samples, the values made up."""

from __future__ import annotations

from docpipe.document import BBox, Document, Element, Line, Page, Provenance, Word
from docpipe.extract import extract_document, load_schema
from docpipe.extract.pairs import split_rows

H = 11.0


def _words(text: str, x: float, y: float, h: float = H) -> list[Word]:
    out: list[Word] = []
    for t in text.split():
        w = 0.5 * h * len(t)
        out.append(Word(text=t, bbox=BBox(x0=x, y0=y, x1=x + w, y1=y + h), confidence=0.98))
        x += w + 0.3 * h
    return out


def _line(ws: list[Word]) -> Line:
    return Line(text=" ".join(w.text for w in ws), bbox=BBox.union_all([w.bbox for w in ws]), words=ws)


def row(*runs: tuple[str, float], y: float) -> Line:
    return _line([w for text, x in runs for w in _words(text, x, y)])


def sideways(text: str, x: float, y: float) -> Word:
    """A word printed along the left margin: narrow and tall."""
    return Word(text=text, bbox=BBox(x0=x, y0=y, x1=x + 6, y1=y + 4 * len(text)), confidence=0.98)


def doc(*lines: Line, label: str = "text") -> Document:
    body = [
        Element(id=f"e{i}", label=label, text=ln.text, prov=[Provenance(page=1, bbox=ln.bbox)], lines=[ln])  # type: ignore[arg-type]
        for i, ln in enumerate(lines)
    ]
    page = Page(number=1, width=595, height=842, origin="text_layer")
    return Document(id="0" * 64, name="i.pdf", source="i.pdf", mime="application/pdf", pages=[page], body=body)


def invoice(d: Document) -> dict[str, object]:
    return extract_document(d, load_schema("invoice"), source="i.pdf").data


HEAD = [
    row(("Nordlicht Papier GmbH", 60), y=60),
    row(("Rechnungsnummer", 360), ("RE-2031", 480), y=90),
    row(("Rechnungsdatum", 360), ("12.02.2024", 480), y=104),
]


def test_two_rows_merged_by_a_margin_word_are_read_apart() -> None:
    net = _words("Rechnungssumme Netto (excl. USt.)", 60, 372) + _words("410,00", 500, 372)
    gross = _words("Rechnungssumme Brutto (inkl. USt.)", 60, 391) + _words("487,90", 500, 391)
    tax = _words("USt. 19%", 250, 372) + _words("77,90", 440, 372)
    merged = _line(sorted([sideways("Musterbeleg", 20, 370), *net, *tax, *gross], key=lambda w: w.bbox.x0))
    rows = split_rows(merged)
    assert [r.text for r in rows] == [
        "Rechnungssumme Netto (excl. USt.) USt. 19% 77,90 410,00",
        "Rechnungssumme Brutto (inkl. USt.) 487,90",
        "Musterbeleg",
    ]
    assert invoice(doc(*HEAD, merged))["total"] == 487.90
    one = row(("Total", 60), ("12,00", 500), y=400)
    assert split_rows(one) == [one]  # one row stays the same line


def test_a_column_of_totals_per_tax_rate_closed_by_their_sum() -> None:
    header = row(("Warenwert", 60), ("Nettobetrag", 250), ("MwSt-Betrag", 350), ("Endbetrag", 480), y=700)
    rates = [
        row(("326,50", 60), ("321,40", 250), ("61,07", 350), ("382,47", 480), y=710),
        row(("130,70", 60), ("127,59", 250), ("8,93", 350), ("136,52", 480), y=720),
        row(("457,20", 60), ("448,99", 250), ("70,00", 350), ("EUR", 420), ("518,99", 480), y=738),
    ]
    assert invoice(doc(*HEAD, header, *rates, label="table"))["total"] == 518.99
    # a column whose last value is not the sum of those above: the first under the header stands
    unsummed = [*rates[:2], row(("457,20", 60), ("448,99", 250), ("70,00", 350), ("99,00", 480), y=738)]
    assert invoice(doc(*HEAD, header, *unsummed, label="table"))["total"] == 382.47


def test_a_corrective_invoice_keeps_its_minus_a_credit_note_states_what_it_credits() -> None:
    lines = [row(("Total HT", 400), ("-218,48 €", 480), y=420), row(("Total TTC", 400), ("-233,47 €", 480), y=454)]
    credit = doc(row(("Avoir AV-2031-0005", 60), y=90), *HEAD[:1], *lines)
    assert invoice(credit)["total"] == 233.47
    correction = doc(row(("Rechnungskorrektur RK-2031", 60), y=90), *HEAD[:1], *lines)
    assert invoice(correction)["total"] == -233.47
