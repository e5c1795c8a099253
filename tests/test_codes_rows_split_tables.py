"""Invoice numbers (a code kind), labels and values laid out as one row of two lines, label
concepts across languages, and tables split over chunks or with a header the parser took apart:
lines, boxes, tables and replies as the 0.5B model gave them on realdocs (session 7)."""

from __future__ import annotations

from docpipe.answer.answer_kind import Kind, asked_kind, fits, value_spans
from docpipe.answer.ask import NOT_FOUND, Asker
from docpipe.answer.labelled import best_labelled
from docpipe.answer.table_lookup import table_answer
from docpipe.index.chunking import ChunkSpan, SpanLine
from docpipe.index.records import StoredChunk
from tests.test_answer_path import _Retriever, _Scripted
from tests.test_labelled import _lines_chunk, _named


def _boxed_chunk(i: int, lines: list[tuple[str, list[float]]], document: str) -> StoredChunk:
    spans = [SpanLine(text=t, page=1, bbox=box) for t, box in lines]
    text = "\n".join(t for t, _ in lines)
    span = ChunkSpan(element_id=f"e{i}", page=1, bbox=spans[0].bbox, text=text, lines=spans)
    return StoredChunk(i, document, f"/d/{document}", text, f"<p>{text}</p>", [span])


OEPNV = _lines_chunk(
    1,
    [
        "Handelsrechnung (380) Nr. E2018092011804 vom 20.09.2018",
        "Bestellung: | 2018092011804",
        "Nummer: | 549910",
        "USt.-Id.-Nr.: | DE123456789",
        "4-Fahrten-Karte Berlin AB 8,41",
    ],
    "EN16931_OEPNV.pdf",
)


def test_an_invoice_number_is_a_code_read_after_its_marker_never_an_amount() -> None:
    q = "What is the invoice number of the Verkehrsbetriebe GmbH invoice?"
    assert asked_kind(q) is Kind.CODE
    assert asked_kind("What is the total of invoice INV-100 from Contoso Ltd?") is Kind.AMOUNT
    assert not fits("8,41", Kind.CODE) and not fits("20.09.2018", Kind.CODE) and fits("E2018092011804", Kind.CODE)
    line = OEPNV.spans[0].lines[0].text
    assert [line[a:b] for a, b in value_spans(line, Kind.CODE)] == ["E2018092011804"]  # not the date after it
    found = best_labelled(q, Kind.CODE, [OEPNV], {"EN16931_OEPNV.pdf"})
    assert found is not None and found.value == "E2018092011804"  # "Rechnung Nr." beats "Nr." and "Nummer"


def test_a_price_given_for_the_invoice_number_gives_way_to_the_number_after_rechnung_nr() -> None:
    q = "What is the invoice number of the Verkehrsbetriebe GmbH invoice?"
    retriever = _Retriever([OEPNV])
    asker = Asker(retriever, lambda: _Scripted('{"answer": "8,41", "passages": [1]}'))
    asker.retrieve = lambda question, k, flt: _named(retriever, "EN16931_OEPNV.pdf")  # type: ignore[method-assign]
    a = asker.ask(q)
    assert a.answer == "E2018092011804" and a.citations[0].text.startswith("Handelsrechnung (380) Nr.")
    made_up = Asker(retriever, lambda: _Scripted('{"answer": "77,77", "passages": [1]}'))
    made_up.retrieve = asker.retrieve  # type: ignore[method-assign]
    assert made_up.ask(q).answer == NOT_FOUND  # a figure no passage holds is refused, never replaced


TAXI = _lines_chunk(
    2,
    ["Nettopreis 3,9000", "Rechnungssumme ohne USt. 16,90", "Steuerbetrag in EUR 1,18", "Bruttosumme 18,08"],
    "zugferd_2p0_BASIC_Taxifahrt.pdf",
)


def test_including_vat_is_what_a_german_invoice_labels_brutto() -> None:
    q = "How much did the taxi ride on invoice TX-471102 cost including VAT?"
    found = best_labelled(q, Kind.AMOUNT, [TAXI], {"zugferd_2p0_BASIC_Taxifahrt.pdf"})
    assert found is not None and found.value == "18,08"
    assert best_labelled("How much did the taxi ride cost?", Kind.AMOUNT, [TAXI], {TAXI.document}) is None


# The Sachversicherung invoice: labels on the left, amounts at the right of the same rows,
# read by the parser as two columns (and chunks) apart.
LABELS = _boxed_chunk(
    3,
    [
        ("Gesamtbeitrag", [71.0, 508.0, 136.0, 519.0]),
        ("Versicherungsteuer zur Verbundenen Wohngebäudeversicherung", [71.0, 520.0, 361.0, 530.0]),
    ],
    "sach.pdf",
)
AMOUNTS = _boxed_chunk(
    4,
    [
        ("Rechnungsbetrag", [71.0, 533.0, 156.0, 542.0]),
        ("1.000,00 €", [422.0, 508.0, 470.0, 519.0]),
        ("163,40 €", [431.0, 520.0, 470.0, 530.0]),
        ("1.163,40 €", [422.0, 533.0, 470.0, 542.0]),
    ],
    "sach.pdf",
)


def test_a_value_alone_on_its_line_takes_the_label_beside_it_in_the_same_row() -> None:
    q = "Wie hoch ist der Rechnungsbetrag für den Sachversicherungsvertrag Nr. 00.123.456.7?"
    found = best_labelled(q, Kind.AMOUNT, [LABELS, AMOUNTS], {"sach.pdf"})
    assert found is not None and found.value == "1.163,40" and found.line.text == "1.163,40 €"
    tax = best_labelled("Wie hoch ist die Versicherungsteuer?", Kind.AMOUNT, [LABELS, AMOUNTS], {"sach.pdf"})
    assert tax is not None and tax.value == "163,40"
    retriever = _Retriever([LABELS, AMOUNTS])
    asker = Asker(retriever, lambda: _Scripted('{"answer": "163,40 €", "passages": [1, 2]}'))
    asker.retrieve = lambda question, k, flt: _named(retriever, "sach.pdf")  # type: ignore[method-assign]
    assert asker.ask(q).answer == "1.163,40"
    # A bare count beside a name is no such pair ("How many employees" must not read a "1").
    names = _boxed_chunk(
        5, [("Bouygues Telecom", [10.0, 10.0, 90.0, 20.0]), ("1", [300.0, 10.0, 305.0, 20.0])], "b.pdf"
    )
    assert best_labelled("How many employees does Bouygues Telecom have?", Kind.COUNT, [names], {"b.pdf"}) is None


NNMB_HEAD = (
    "<table><thead><tr><th>State</th><th>1975-79</th><th>1996-97</th><th>2011-12</th></tr></thead>"
    "<tbody><tr><td>Kerala</td><td>5738</td><td>8864</td><td>8297</td></tr></tbody></table>"
)
NNMB_REST = (
    "<table><tbody><tr><td>Uttar Pradesh</td><td>*</td><td>*</td><td>9860</td></tr>"
    "<tr><td>Pooled</td><td>38742</td><td>60601</td><td>86898</td></tr></tbody></table>"
)


def test_a_split_tables_later_piece_is_read_with_the_header_of_its_first() -> None:
    first = _lines_chunk(6, ["State: Kerala | 1975-79: 5738 | 1996-97: 8864 | 2011-12: 8297"], "nnmb.pdf", NNMB_HEAD)
    rest = _lines_chunk(7, ["Uttar Pradesh | * | * | 9860", "Pooled | 38742 | 60601 | 86898"], "nnmb.pdf", NNMB_REST)
    q = "What is the pooled number of individuals in the 2011-12 nutritional assessment of the NNMB survey?"
    found = table_answer(q, "38742", [first, rest])
    assert found is not None and found.value == "86898" and found.chunk == 1
    assert table_answer(q, "38742", [rest]) is None  # no header seen: the columns are unnamed
    other = _lines_chunk(8, ["x"], "other.pdf", NNMB_HEAD)
    assert table_answer(q, "38742", [other, rest]) is None  # another document's header names nothing here


OLMO = (
    "<table><tbody><tr><td>Source</td><td>Type</td><td colspan='2'>Tokens Words</td><td>Bytes</td><td>Docs</td></tr>"
    "<tr><td></td><td colspan='2'>Pretraining ✦ OLMo 2 1124 Mix</td><td></td><td></td><td></td></tr>"
    "<tr><td>DCLM-Baseline</td><td>Web pages</td><td>3.71T</td><td>3.32T</td><td>21.32T</td><td>2.95B</td></tr>"
    "<tr><td>StarCoder filtered version from OLMoE Mix</td><td>Code</td><td>83.0B</td><td>70.0B</td>"
    "<td>459B</td><td>78.7M</td></tr></tbody></table>"
)


def test_in_a_table_without_column_names_the_models_column_is_read_in_the_row_asked() -> None:
    chunk = _lines_chunk(9, ["DCLM-Baseline | Web pages | 3.71T"], "olmo2.pdf", OLMO)
    q = "How many tokens does DCLM-Baseline contribute to the OLMo 2 1124 pretraining mix?"
    found = table_answer(q, "83.0B", [chunk])
    assert found is not None and found.value == "3.71T"
    assert table_answer(q, "3.71T", [chunk]) is None  # read in the row asked: it stands
    # A question naming no row of the table leaves the model's reading alone.
    assert table_answer("What peak learning rate was used to pretrain OLMo 2 7B?", "78.7M", [chunk]) is None
