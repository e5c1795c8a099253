"""Line selection (docpipe.answer.select) on real passages: the lines kept for a question are the
ones holding its facts, the rest of an invoice, receipt or table is left out."""

from __future__ import annotations

from docpipe.answer.prompt import build_messages
from docpipe.answer.select import needs_whole, prune_row, same_word, select_lines
from docpipe.index.chunking import ChunkSpan, SpanLine
from docpipe.index.records import StoredChunk


def words(s: str) -> int:  # a stand-in tokenizer: one token per word
    return len(s.split())


# A real invoice (Mustang's ZUGFeRD sample RE-20201121/508), as passage_lines gives its chunks.
INVOICE = [
    [
        "Invoice # RE-20201121/508 issued at 2020-11-21",
        "Date of delivery 2020-11-10",
        "Amount: 1.00 | Product: Design (hours): Of a sample invoice | VAT: 7% | Price: 160.00 € | Total: 160.00 €",
        "Amount: 400.00 | Product: Ballons: various colors, ~2000ml | VAT: 19% | Price: 0.79 € | Total: 316.00 €",
    ],
    ["Due payable: 571.04 €"],
    ["VAT: 7% | Net amout: 160.00 € | VAT amount: 11.20 €", "VAT: VAT total: | VAT amount: 75.04 €"],
    [
        "Please remit until 2020-12-12.",
        "VAT-ID: DE136695976",
        "IBAN DE88200800000970375700",
        "BIC COBADEFFXXX",
        "Commerzbank",
        "Account holder: Max Mustermann",
    ],
]


def kept(question: str, passages: list[list[str]], budget: int, **kw: object) -> list[str]:
    picks = select_lines(question, passages, words, budget, **kw)  # type: ignore[arg-type]
    return [passages[p.chunk][i] for p in picks for i in p.lines]


def test_an_invoice_question_keeps_the_amount_line_and_leaves_the_bank_details_out() -> None:
    lines = kept(
        "What is the due payable amount of invoice RE-20201121/508?",
        INVOICE,
        40,
        opening=[5] * 4,
        documents=["MustangGnuaccountingBeispielRE-20201121_508.pdf"] * 4,
    )
    assert "Due payable: 571.04 €" in lines
    assert "Invoice # RE-20201121/508 issued at 2020-11-21" in lines
    assert not {"IBAN DE88200800000970375700", "BIC COBADEFFXXX", "Commerzbank"} & set(lines)


def test_the_kept_lines_stay_in_reading_order_within_the_budget() -> None:
    lines = kept("Where do I pay? IBAN and BIC", INVOICE, 8)
    assert lines == ["IBAN DE88200800000970375700", "BIC COBADEFFXXX", "Commerzbank"]  # the bank: a neighbour
    assert sum(words(x) + 1 for x in lines) <= 8


def test_a_receipt_keeps_the_named_shops_total_over_another_receipts() -> None:
    # Two real SROIE receipts (538 and 509), OCR errors included ("Tota1").
    moonlight = [
        "MOONLIGHT CAKE HOUSE SDN BHD 862725-U",
        "T-Saha Bread *# RM4.60 ST",
        "Grand Tota1RM14.20",
        "Total Paid RM20.20",
    ]
    other = ["TOTAL QUANTITY | 1", "SUB-TOTAL (GST) | 30.00", "TOTAL | 30.00", "CASH | 30-00"]
    lines = kept(
        "What was the grand total on the MOONLIGHT CAKE HOUSE receipt?",
        [moonlight, other],
        12,
        documents=["538.jpg", "509.jpg"],
    )
    assert "Grand Tota1RM14.20" in lines and "TOTAL | 30.00" not in lines
    assert "T-Saha Bread *# RM4.60 ST" not in lines


def test_a_sentence_wrapped_in_a_narrow_column_keeps_the_lines_it_runs_on() -> None:
    # The Federal Register page (85 FR 47698): three columns of ~6 words a line.
    column = [
        "FAA is proposing this AD to address the",
        "unsafe condition on these products.",
        "DATES: The FAA must receive comments",
        "on this proposed AD by September 21,",
        "2020.",
        "ADDRESSES: You may send comments,",
        "using the procedures found in 14 CFR",
    ]
    lines = kept("By what date must the FAA receive comments on the proposed airworthiness directive?", [column], 40)
    at = lines.index("DATES: The FAA must receive comments")
    assert lines[at : at + 3] == [
        "DATES: The FAA must receive comments",
        "on this proposed AD by September 21,",
        "2020.",
    ]
    assert "using the procedures found in 14 CFR" not in lines


def test_a_long_table_row_keeps_its_label_and_the_columns_asked_for() -> None:
    row = (
        "Cycle Name: 2012_2 | KI (1/km): 3.30 | Distance (mi): 1.3 | Percent Fuel Savings Improved Speed: 5.9% | "
        "Percent Fuel Savings Decreased Accel: 9.5% | Percent Fuel Savings Eliminate Stops: 29.2% | "
        "Percent Fuel Savings Decreased Idle: 17.4%"
    )
    question = "What percent fuel savings does eliminating stops give for drive cycle 2012_2?"
    assert prune_row(row, question) == "Cycle Name: 2012_2 | Percent Fuel Savings Eliminate Stops: 29.2%"
    eu = "Country/Heading: Czech Republic | Cohesion Fund EURbn: 8.8 | ERDF Convergence EURbn: 13.4 | Total EURbn: 22.2"
    asked = "What is the total EU funding in EURbn for the Czech Republic from the Cohesion Fund and ERDF Convergence?"
    assert prune_row(eu, asked) == eu  # every column is asked about, the total too
    assert (
        prune_row("Pooled | 38742 | 53618 | 60601 | 86898", "pooled number?")
        == "Pooled | 38742 | 53618 | 60601 | 86898"
    )


def test_word_forms_and_compounds_match_but_other_words_do_not() -> None:
    assert same_word("eliminating", "eliminate") and same_word("brutto", "bruttobetrag")
    assert same_word("währung", "buchwährung")
    assert not same_word("contribute", "contract") and not same_word("total", "subtotal")
    assert not same_word("2012", "2011")


def test_summaries_and_lists_get_whole_passages() -> None:
    assert needs_whole("Summarize the two-column report") and needs_whole("What did I buy at the cafe?")
    assert not needs_whole("What is the total due on the ACME invoice?")


def _chunk(i: int, document: str, lines: list[str]) -> StoredChunk:
    span_lines = [
        SpanLine(text=t, page=1, bbox=[10.0, 10.0 + 12 * n, 200.0, 20.0 + 12 * n]) for n, t in enumerate(lines)
    ]
    span = ChunkSpan(element_id=f"e{i}", page=1, bbox=span_lines[0].bbox, text="\n".join(lines), lines=span_lines)
    text = "\n".join(lines)
    return StoredChunk(i, document, f"/d/{document}", text, f"<p>{text}</p>", [span])


def test_the_prompt_numbers_only_the_passages_that_keep_lines_and_hands_back_the_whole_chunks() -> None:
    doc = "MustangGnuaccountingBeispielRE-20201121_508.pdf"
    chunks = [_chunk(i, doc, lines) for i, lines in enumerate(INVOICE, start=1)]
    messages, used = build_messages(
        "What is the due payable amount of invoice RE-20201121/508?", chunks, count=words, line_budget=60
    )
    user = messages[1]["content"]
    assert "Due payable: 571.04 €" in user and "Commerzbank" not in user
    assert 4 not in [c.id for c in used]  # the bank details passage is not numbered
    assert used[0].text == chunks[0].text  # grounding and citations read the stored chunk, all its lines
    whole, _ = build_messages("Summarize the invoice", chunks, count=words, line_budget=60)
    assert "Commerzbank" in whole[1]["content"]


def test_a_row_of_bare_cells_brings_its_header_row() -> None:
    # Bouygues Telecom's invoice (page 3): the amounts' columns are named only in the row above.
    page = [
        "Utilisateur de la ligne : Numéro de la ligne :",
        "%TVA | € HT | € TTC(*)",
        "Vos services Bouygues Telecom | 10,83 | 12,99",
    ]
    lines = kept("Quel est le montant TTC des services Bouygues Telecom ?", [page], 30)
    assert lines[-2:] == ["%TVA | € HT | € TTC(*)", "Vos services Bouygues Telecom | 10,83 | 12,99"]
