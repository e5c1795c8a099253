"""The answer path's parts: the document step, the JSON reply and its stream, grounding."""

from __future__ import annotations

from dataclasses import replace

from docpipe.answer.ask import NOT_FOUND, Asker, grounding_passages, unknown_subject
from docpipe.answer.prompt import AnswerStream, answer_schema, build_messages, parse_reply, reading_order
from docpipe.index.chunking import ChunkSpan, SpanLine
from docpipe.index.focus import focus, name_words
from docpipe.index.records import Hit, Retrieval, SearchFilter, StoredChunk
from docpipe.llm.base import ChatMessage, Generation


def _chunk(i: int, text: str, document: str | None = None) -> StoredChunk:
    line = SpanLine(text=text, page=1, bbox=[10.0, 10.0 * i, 200.0, 10.0 * i + 8])
    span = ChunkSpan(element_id=f"e{i}", page=1, bbox=line.bbox, text=text, lines=[line])
    doc = document or f"doc{i}.pdf"
    return StoredChunk(i, doc, f"/d/{doc}", text, f"<p>{text}</p>", [span])


class _Terms:
    """Document texts in memory, answering what the store's keyword table answers."""

    def __init__(self, docs: dict[str, str]) -> None:
        self.docs = {k: v.lower() for k, v in docs.items()}

    def documents_with(self, phrase: str) -> set[str]:
        return {d for d, text in self.docs.items() if phrase.lower() in text or phrase.lower() in d.lower()}

    def document_count(self) -> int:
        return len(self.docs)


DOCS = {
    "RE-E-974-Hetzner_2016-01-19_R0005532486.pdf": "Hetzner Online GmbH Rechnung R0005532486 Bruttobetrag 104,00 €",
    "538.jpg": "MOONLIGHT CAKE HOUSE SDN BHD total 14.20",
    "bouygues_telecom-test.pdf": "Bouygues Telecom facture du 2 novembre 2019 montant TTC 12,99 €",
    "akretion_france-test.pdf": "Akretion France invoice VT/2022/0001 total 1,810.80 €",
    "eu-002.pdf": "European ABCP issuance Q4 2007 186.1",
}


def test_name_words_are_identifiers_and_capitalised_words_not_question_glue() -> None:
    assert name_words("Wie hoch ist der Bruttobetrag der Hetzner-Rechnung R0005532486?") == [
        "Bruttobetrag",
        "Hetzner-Rechnung",
        "R0005532486",
    ]
    assert name_words("What was the grand total on the MOONLIGHT CAKE HOUSE receipt?") == ["MOONLIGHT", "CAKE", "HOUSE"]
    assert name_words("what was the total in 2019?") == []


def test_the_document_step_picks_the_named_document_in_any_language() -> None:
    terms = _Terms(DOCS)
    hetzner = focus("Wie hoch ist der Bruttobetrag der Hetzner-Rechnung R0005532486?", terms)
    assert hetzner.documents == ["RE-E-974-Hetzner_2016-01-19_R0005532486.pdf"]
    cake = focus("What was the grand total on the MOONLIGHT CAKE HOUSE receipt?", terms)
    assert cake.documents == ["538.jpg"] and cake.unmatched == []
    fr = focus("Quel est le montant TTC de la facture Bouygues Telecom du 2 novembre 2019 ?", terms)
    assert fr.documents == ["bouygues_telecom-test.pdf"]


def test_an_identifier_in_the_question_names_its_document_over_a_common_word_beside_it() -> None:
    terms = _Terms(
        {
            "taxi.pdf": "Rechnung TX-471102 Taxifahrt Bruttosumme 18,08 USt.",
            "ue.pdf": "Invoice FA-2017-0008 VAT 20%",
            "gnu.pdf": "Invoice RE-20201121/508 VAT 19%",
            **{f"r{i}.jpg": "receipt total" for i in range(12)},
        }
    )
    taxi = focus("How much did the taxi ride on invoice TX-471102 cost including VAT?", terms)
    assert taxi.documents == ["taxi.pdf"]


def test_a_question_about_something_no_document_holds_is_refused_before_any_model() -> None:
    terms = _Terms(DOCS)
    starbucks = focus("What was the total on the Starbucks receipt?", terms)
    assert starbucks.documents == [] and starbucks.unmatched == ["Starbucks"]
    assert unknown_subject(Retrieval([], starbucks.documents, starbucks.names, starbucks.unmatched))
    contoso = focus("What is the total of invoice INV-100 from Contoso Ltd?", terms)
    assert unknown_subject(Retrieval([], contoso.documents, contoso.names, contoso.unmatched))
    named = focus("How many employees does Bouygues Telecom have?", terms)
    assert not unknown_subject(Retrieval([], named.documents, named.names, named.unmatched))


def test_the_reply_is_json_with_passage_numbers_and_plain_text_is_read_too() -> None:
    assert parse_reply('{"answer":"104,00 €","passages":[2]}') == ("104,00 €", [2])
    assert parse_reply("The total is 14.20 [1].") == ("The total is 14.20 .", [1])
    schema = answer_schema(3)
    assert schema["anyOf"][1]["properties"]["passages"]["items"]["maximum"] == 3


def test_the_stream_shows_the_answer_string_not_the_json() -> None:
    shown: list[str] = []
    stream = AnswerStream(shown.append)
    for piece in ['{"', "answer", '":"', "104", ",00 ", "\\u20ac", '","passages":[', "1]}"]:
        stream.feed(piece)
    assert "".join(shown) == "104,00 €" and stream.raw.endswith("[1]}")


def test_passages_go_to_the_model_in_reading_order_grouped_by_document() -> None:
    chunks = [_chunk(7, "b later", "b.pdf"), _chunk(3, "a", "a.pdf"), _chunk(5, "b earlier", "b.pdf")]
    assert [c.id for c in reading_order(chunks)] == [5, 7, 3]
    messages, used = build_messages("q?", chunks, budget=10_000)
    assert [c.id for c in used] == [5, 7, 3]
    assert '<document name="b.pdf">\n<passage n="1"' in messages[1]["content"]


def test_grounding_needs_the_figures_and_names_in_the_cited_passages() -> None:
    chunks = [
        _chunk(1, "Akretion France total 1,810.80 €"),
        _chunk(2, "Bouygues Telecom 12,99 €"),
        _chunk(3, "Bouygues Telecom facture", "doc2.pdf"),
    ]
    assert grounding_passages("1,810.80 €", chunks, [0]) == [0]
    assert grounding_passages("1,810.80 €", chunks, [1]) == []  # the figure is in another document only
    assert grounding_passages("12,99 €", chunks, [2]) == [1]  # misnumbered within the document it read
    assert grounding_passages("2,000.00 €", chunks, [0]) == []  # a figure no passage holds
    assert grounding_passages("Contoso Ltd", chunks, [0, 1]) == []  # a name no passage holds
    assert grounding_passages("I don't know", chunks, []) == []
    # Cited the wrong document, but the question names the one that holds the figure.
    assert grounding_passages("12,99 €", chunks, [0], named=["doc2.pdf"]) == [1]
    assert grounding_passages("1,810.80 €", chunks, [2], named=["doc2.pdf"]) == []  # not the named one
    # Cited another document's passage that holds the figure, while the question names doc2.
    assert grounding_passages("1,810.80 €", chunks, [0], named=["doc2.pdf"]) == []
    ids = [_chunk(1, "Meeting notes about ACME"), _chunk(2, "ACME Invoice No: INV-2024-0117 total $926.64")]
    assert grounding_passages("INV-2024-0117", ids, [0]) == [1]  # an identifier one document alone holds
    assert grounding_passages("$926.64", ids, [0]) == []  # a bare amount read off another document
    assert grounding_passages("The total due is 7.00 EUR", [_chunk(1, "Total due 7.00")], [0]) == [0]


class _Retriever:
    def __init__(self, chunks: list[StoredChunk]) -> None:
        self.chunks = chunks

    def search(self, query: str, k: int = 5, flt: SearchFilter | None = None) -> list[Hit]:
        return [Hit(c, 1.0, None) for c in self.chunks[:k]]


class _Scripted:
    """A generator that replies with a fixed text: faults a real model cannot be made to show."""

    name = "scripted"
    context_window = 4096

    def __init__(self, reply: str) -> None:
        self.reply = reply

    def warm_up(self) -> None: ...

    def count_tokens(self, text: str) -> int:
        return len(text) // 4 + 1

    def generate(self, messages: list[ChatMessage], **_: object) -> Generation:
        return Generation(self.reply, self.name, 10, 5, 0.0)

    def stream(self, messages: list[ChatMessage], **_: object):  # type: ignore[no-untyped-def]
        yield self.reply


def test_an_answer_with_a_made_up_figure_is_refused_and_a_grounded_one_cited() -> None:
    chunks = [_chunk(1, "Invoice INV-7 Total due 926.64 USD", "acme.pdf")]
    made_up = Asker(_Retriever(chunks), lambda: _Scripted('{"answer":"1,000,000 USD","passages":[1]}'))
    assert made_up.ask("What is the total due?").answer == NOT_FOUND
    good = Asker(_Retriever(chunks), lambda: _Scripted('{"answer":"926.64 USD","passages":[1]}')).ask("Total due?")
    assert good.answer == "926.64 USD" and good.citations[0].document == "acme.pdf" and good.grounded


def test_yes_or_no_only_answers_a_yes_or_no_question() -> None:
    chunks = [_chunk(1, "The vast majority of documents in DocLayNet (close to 95%) are published in English")]
    assert grounding_passages("No", chunks, [0], "What share of the documents are published in English?") == []
    assert grounding_passages("Yes", chunks, [0], "Are most DocLayNet documents published in English?") == [0]


def test_an_answer_that_restates_the_question_gives_way_to_the_line_that_answers_it() -> None:
    from docpipe.answer.ask import restates

    q = "Which Latin professor at Hampden-Sydney College looked up the word consectetur?"
    restated = "The Latin professor at Hampden-Sydney College looked up one of the more obscure Latin words, Lorem"
    assert restates(restated, q)
    assert not restates("Richard McClintock", q) and not restates("The professor was Richard McClintock", q)
    assert not restates("The Hampden-Sydney College total is 14.20", "What is the Hampden-Sydney College total?")
    line = "Richard McClintock, a Latin professor at Hampden-Sydney College in Virginia, looked up consectetur"
    # As stored: each chunk's text opens with its context line (document — title), its lines do not.
    chunks = [
        replace(_chunk(i, body), text=f"doc{i}.pdf — Lorem\n{body}")
        for i, body in ((1, "Lorem Ipsum is simply dummy text."), (2, line))
    ]
    reply = '{"answer":"' + restated + '","passages":[1,2]}'
    answer = Asker(_Retriever(chunks), lambda: _Scripted(reply)).ask(q)
    assert answer.answer == line
    assert answer.citations[0].document == "doc2.pdf" and answer.grounded


def test_the_kind_of_fact_asked_for_refuses_a_post_code_a_unit_price_and_money_for_a_count() -> None:
    from docpipe.answer.answer_kind import Kind, asked_kind, fits

    assert asked_kind("Wie hoch ist der Bruttobetrag der Hetzner-Rechnung R0005532486?") is Kind.AMOUNT
    assert asked_kind("Quel est le montant TTC de la facture ?") is Kind.AMOUNT
    assert asked_kind("How many tokens does DCLM-Baseline contribute?") is Kind.COUNT
    assert asked_kind("By what date must the FAA receive comments?") is Kind.DATE
    assert asked_kind("What percent fuel savings does eliminating stops give?") is None
    for amount in ("104,00 €", "1.163,40", "$37,499.96", "RM14.20", "1721.00", "12 EUR"):
        assert fits(amount, Kind.AMOUNT), amount
    for not_amount in ("60435", "3,9000", "3,9000 EUR", "Bill To"):
        assert not fits(not_amount, Kind.AMOUNT), not_amount
    assert fits("196.60", Kind.COUNT, "Metric: M2 | AMU-S: 196.60")
    assert not fits("10,83", Kind.COUNT, "Montant HT: 10,83 €") and not fits("many", Kind.COUNT)
    assert fits("September 21, 2020", Kind.DATE) and fits("01/05/16", Kind.DATE) and not fits("Boeing", Kind.DATE)


def test_a_label_and_a_pasted_paragraph_are_not_answers() -> None:
    from docpipe.answer.answer_kind import is_label, pasted

    assert is_label("Cashier", "Who was the cashier?", "Cashier: Siti\nTotal 14.20")
    assert not is_label("acmlarge", "Which acmart template style is used by JOCCH?", "acmlarge: Used by JOCCH and TAP")
    assert not is_label("Siti", "Who was the cashier?", "Cashier: Siti")
    # a label whose value has nothing to do with the question is no answer either
    invoice = "INVOICE 1043\nBill To:\nJane Doe, 12 Elm Street\nTotal Due: $926.64"
    assert is_label("Bill To", "Who won the football world cup in 1954?", invoice)
    assert not is_label("Jane Doe", "Who is the invoice billed to?", invoice)
    paragraph = "The mix used for this stage is shown in Table 1. It consists of approximately 3.9 trillion tokens"
    assert pasted(paragraph, "What peak learning rate was used to pretrain OLMo 2 7B?")
    assert not pasted("Dr. Anna Berg", "Who led the survey?")
    assert not pasted("The total on the EIGHT OUNCE COFFEE CO. receipt is 39.90", "What was the total?")
    assert not pasted(paragraph, "Summarize the pretraining stage")


def test_a_pasted_answer_keeps_its_first_sentence_only_when_that_is_the_fact_asked_for() -> None:
    from docpipe.answer.answer_kind import first_fact

    rambling = (
        "The old harbour was built in 1842 to serve the grain trade. The harbour was built to serve"
        " the grain trade, and it quickly became the busiest."
    )
    assert first_fact(rambling, "When was the old harbour built?") == (
        "The old harbour was built in 1842 to serve the grain trade"
    )
    # no kind asked: a pasted passage stays refused; a first sentence of the wrong kind too
    assert first_fact(rambling, "Why was the old harbour built?") is None
    assert first_fact("It was a busy quay. Built in 1842 it was.", "When was the old harbour built?") is None
    assert first_fact("The total is 5. Then more text follows here.", "What is the total due?") is None  # no amount
    assert first_fact("The total is $5.20. Then more.", "What is the total due?") == "The total is $5.20"


def test_marks_the_model_added_and_a_restated_question_are_taken_off_the_answer() -> None:
    from docpipe.answer.tidy import fact_of, tidy

    assert tidy("$12,99", "Montant TTC 12,99 €") == "12,99"
    assert tidy("$37,499.96", "BAIN, J MATTHEW $37,499.96") == "$37,499.96"  # the passage writes the $
    assert tidy(": Frachtbetrag: 15,00", "") == "Frachtbetrag: 15,00" and tidy("-233,47 €", "-233,47 €") == "-233,47 €"
    q = "What was the grand total on the MOONLIGHT CAKE HOUSE receipt?"
    assert fact_of("The grand total on the MOONLIGHT CAKE HOUSE receipt is RM14.20.", q) == "RM14.20"
    kept = "Richard McClintock is the professor"
    assert fact_of(kept, "Which Latin professor?") == kept


def test_an_answer_of_the_wrong_kind_is_refused_and_an_added_dollar_sign_dropped() -> None:
    chunks = [_chunk(1, "Hetzner Online GmbH Industriestr. 25 91710 Gunzenhausen Bruttobetrag 104,00 €", "hetzner.pdf")]
    q = "Wie hoch ist der Bruttobetrag?"
    post_code = Asker(_Retriever(chunks), lambda: _Scripted('{"answer": "$91710", "passages": [1]}')).ask(q)
    assert post_code.answer == NOT_FOUND and not post_code.grounded
    total = Asker(_Retriever(chunks), lambda: _Scripted('{"answer": "$104,00 €", "passages": [1]}')).ask(q)
    assert total.answer == "104,00 €" and total.grounded and total.citations[0].document == "hetzner.pdf"


def test_a_figure_on_a_line_about_something_else_is_no_answer() -> None:
    """'10,83' is in the passage, as a price: it does not answer how many employees there are;
    the same figure under the label the question names does answer it."""
    price = _chunk(1, "Vos services Bouygues Telecom\nAnonyme 10,83", "bouygues.pdf")
    price = replace(
        price,
        spans=[
            ChunkSpan(
                element_id="e1",
                page=1,
                bbox=price.spans[0].bbox,
                text=price.text,
                lines=[
                    SpanLine(text=t, page=1, bbox=[10.0, 10.0 * n, 200.0, 10.0 * n + 8])
                    for n, t in enumerate(["Vos services", "Anonyme 10,83"], 1)
                ],
            )
        ],
    )
    reply = '{"answer": "10,83", "passages": [1]}'
    asked = Asker(_Retriever([price]), lambda: _Scripted(reply)).ask("How many employees does Bouygues Telecom have?")
    assert asked.answer == NOT_FOUND and not asked.grounded
    total = Asker(_Retriever([price]), lambda: _Scripted(reply)).ask("What is the price of the services?")
    assert total.answer == "10,83" and total.grounded and total.citations[0].text == "Anonyme 10,83"


def test_a_word_answer_misnumbered_by_the_model_is_found_in_its_documents_other_passage() -> None:
    chunks = [_chunk(1, "Rohstoff AG Rechnung 47110815", "z.pdf"), _chunk(2, "Rechnungswährung GBP", "z.pdf")]
    assert grounding_passages("GBP", chunks, [0], "In welcher Währung ist die Rechnung?") == [1]
    assert grounding_passages("GBP", [chunks[0], _chunk(3, "Währung GBP", "other.pdf")], [0], "Währung?") == []


def _lines_chunk(document: str, lines: list[str]) -> StoredChunk:
    spans = [SpanLine(text=t, page=1, bbox=[1.0, float(i), 3.0, float(i) + 1]) for i, t in enumerate(lines)]
    span = ChunkSpan(element_id="e0", page=1, bbox=[1.0, 0.0, 3.0, 9.0], text="\n".join(lines), lines=spans)
    return StoredChunk(1, document, f"/d/{document}", "\n".join(lines), "<p></p>", [span])


def test_a_figure_answers_where_its_line_shares_the_questions_figure_or_asked_word() -> None:
    from docpipe.answer.ask import _about

    ducks = _lines_chunk("ducks.pdf", ["Freshwater Ducks", "2020 | 135", "2021 | 150", "2022 | 170"])
    q = "How many freshwater ducks were counted in 2022?"
    assert _about(q, ducks, ducks.spans[0].lines[3])  # the row keyed by the question's year
    assert not _about(q, ducks, ducks.spans[0].lines[2])  # 2021's row, under no word of the question

    bill = _lines_chunk("bouygues_telecom-test.pdf", ["Bouygues Telecom - Facture", "Ligne 1", "Employees: 3"])
    q = "How many employees does Bouygues Telecom have?"
    assert _about(q, bill, bill.spans[0].lines[1])  # the line above names Bouygues...
    assert not _about(q, bill, bill.spans[0].lines[1], ["bouygues_telecom-test.pdf"])  # ...which the question named
    assert _about(q, bill, bill.spans[0].lines[2], ["bouygues_telecom-test.pdf"])  # the asked word itself


def test_a_misnumbered_figure_is_placed_by_the_heading_that_names_the_questions_subject() -> None:
    ducks = _chunk(1, "ducks.ods — Freshwater Ducks\n2021 | 150\n2022 | 170", "ducks.ods")
    bill = _chunk(2, "bill.pdf — Invoice VT/2022/0001\nTotal 1,810.80 €", "bill.pdf")
    cafe = _chunk(3, "cafe.png — Cafe Luna receipt\nTax $1.23", "cafe.png")
    market = _chunk(4, "market.png — Green Market receipt\nTotal $8.40", "market.png")
    q = "How many freshwater ducks were counted in 2022?"
    assert grounding_passages("170", [ducks, bill], [1], q) == [0]  # cited the invoice, read the table
    assert grounding_passages("170", [ducks, bill], [1]) == []  # no question: nothing names the table
    # The cafe's tax is never the market receipt's: no heading names a tax.
    assert grounding_passages("$1.23", [cafe, market], [1], "How much tax was charged on the market receipt?") == []
