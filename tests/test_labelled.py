"""The value after the label that names the question (docpipe.answer.labelled), and where the
answer path uses it: lines and replies as the 0.5B model gave them on realdocs."""

from __future__ import annotations

from docpipe.answer.answer_kind import Kind, asked_kind, value_spans
from docpipe.answer.ask import NOT_FOUND, Asker
from docpipe.answer.labelled import best_labelled, same_word
from docpipe.answer.table_lookup import table_answer
from docpipe.index.chunking import ChunkSpan, SpanLine
from docpipe.index.focus import focus
from docpipe.index.records import StoredChunk
from tests.test_answer_path import _Retriever, _Scripted, _Terms


def _lines_chunk(i: int, lines: list[str], document: str, html: str = "") -> StoredChunk:
    spans = [SpanLine(text=t, page=1, bbox=[10.0, 10.0 * n, 200.0, 10.0 * n + 8]) for n, t in enumerate(lines, 1)]
    text = "\n".join(lines)
    span = ChunkSpan(element_id=f"e{i}", page=1, bbox=spans[0].bbox, text=text, lines=spans)
    return StoredChunk(i, document, f"/d/{document}", text, html or f"<p>{text}</p>", [span])


RESTAURANT = _lines_chunk(
    1, ["PANDAH INDAH PULAU KETAM RESTAURANT", "MUTTAN SLICE 15.00", "Subtotal : 93.00", "TOTAL: 93.00"], "592.jpg"
)
OTHER = _lines_chunk(2, ["ONE THREE SEAFOOD RESTAURANT SDN BHD", "TOTAL: 59.00"], "617.jpg")
HETZNER = _lines_chunk(3, ["Netto | 87,39 €", "USt. (19 %) | 16,61 €", "Brutto | 104,00 €"], "hetzner.pdf")
PERSIAN = _lines_chunk(
    4, ["تاريخ ارائه مدارک 1403/09/19", "تاريخ پذيرش 1403/10/04", "تاريخ درج اميدنامه 1403/10/05"], "rtl.pdf"
)


def test_values_are_read_whole_after_their_label_and_item_lines_are_not_values() -> None:
    assert [("1.163,40 €"[a:b]) for a, b in value_spans("1.163,40 €", Kind.AMOUNT)] == ["1.163,40"]
    line = "Total Sales Inclusive 6% GST (3) 39.90"
    assert [line[a:b] for a, b in value_spans(line, Kind.AMOUNT)] == ["39.90"]
    assert value_spans("Caramel Almond Crepe 13.90 SR", Kind.AMOUNT) == []  # an item with its tax code
    assert same_word("brutto", "bruttobetrag") and same_word("total", "subtotal") and not same_word("tax", "taxi")


def test_the_label_naming_the_question_gives_its_value_and_a_tie_with_another_value_none() -> None:
    q = "What was the total bill at PANDAH INDAH PULAU KETAM RESTAURANT?"
    found = best_labelled(q, Kind.AMOUNT, [RESTAURANT, OTHER], {"592.jpg"})
    assert found is not None and found.value == "93.00"
    hetzner = best_labelled("Wie hoch ist der Bruttobetrag der Rechnung?", Kind.AMOUNT, [HETZNER], {"hetzner.pdf"})
    assert hetzner is not None and hetzner.value == "104,00"
    both = _lines_chunk(5, ["Total 10.00", "Total 12.00"], "x.pdf")
    assert best_labelled("What was the total?", Kind.AMOUNT, [both], {"x.pdf"}) is None
    assert best_labelled("How many employees?", Kind.COUNT, [HETZNER], {"hetzner.pdf"}) is None


def test_another_documents_total_gives_way_to_the_named_documents_labelled_total() -> None:
    q = "What was the total bill at PANDAH INDAH PULAU KETAM RESTAURANT?"
    retriever = _Retriever([RESTAURANT, OTHER])
    asker = Asker(retriever, lambda: _Scripted('{"answer": "59.00", "passages": [1, 2]}'))
    asker.retrieve = lambda question, k, flt: _named(retriever, "592.jpg")  # type: ignore[method-assign]
    a = asker.ask(q)
    assert a.answer == "93.00" and a.citations[0].document == "592.jpg" and a.citations[0].text.endswith(": 93.00")
    refused = Asker(_Retriever([RESTAURANT]), lambda: _Scripted('{"answer": "I don\'t know", "passages": []}'))
    assert refused.ask(q).answer == NOT_FOUND  # the model's own refusal stands


def _named(retriever: _Retriever, document: str):  # type: ignore[no-untyped-def]
    from docpipe.index.records import Retrieval

    return Retrieval(retriever.search(""), [document], [], [])


def test_a_date_on_the_line_of_another_label_gives_way_to_the_label_the_question_names() -> None:
    q = "تاریخ پذیرش کالا در بورس چه روزی است؟"  # the date of admission to the exchange
    assert asked_kind(q) is Kind.DATE
    a = Asker(_Retriever([PERSIAN]), lambda: _Scripted('{"answer": "1403/09/19", "passages": [1]}')).ask(q)
    assert a.answer == "1403/10/04" and a.citations[0].text == "تاريخ پذيرش 1403/10/04"
    right = Asker(_Retriever([PERSIAN]), lambda: _Scripted('{"answer": "1403/10/04", "passages": [1]}')).ask(q)
    assert right.answer == "1403/10/04"


def test_the_fourth_quarter_is_the_column_headed_q4() -> None:
    html = (
        "<table><thead><tr><th></th><th>Q1</th><th>Q4</th><th>Total</th></tr></thead><tbody>"
        "<tr><td>2006</td><td>74.7</td><td>111.8</td><td>367.1</td></tr>"
        "<tr><td>2007</td><td>148.8</td><td>186.1</td><td>633.9</td></tr></tbody></table>"
    )
    chunk = _lines_chunk(6, ["2007 148.8 186.1 633.9"], "eu.pdf", html)
    found = table_answer("What was European ABCP issuance in the fourth quarter of 2007?", "2007", [chunk])
    assert found is not None and found.value == "186.1"


def test_the_document_holding_the_identifier_as_the_question_writes_it_comes_first() -> None:
    terms = _Terms(
        {
            "Avoir_FR_type381_BASIC.pdf": "Avoir AV-2017-0005 Au bon moulin Facture liée FA-2017-0010 TTC -233,47 €",
            "Facture_FR_BASICWL.pdf": "Facture FA-2017-0010 Au bon moulin Total TTC 671,15 €",
            "Facture_DOM_BASICWL.pdf": "Facture FA-2017-0009 Total TTC 12,00 €",
            **{f"{n}.jpg": f"receipt {n} total 1.00" for n in range(400, 404)},
        }
    )
    found = focus("Quel est le total TTC de la facture FA-2017-0010 d'Au bon moulin ?", terms)
    assert found.documents[0] == "Facture_FR_BASICWL.pdf"
