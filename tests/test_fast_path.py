"""The amount fast path of ask (Asker._labelled): the labelled value of the one named document
answers without the model; anything else still goes to the model."""

from __future__ import annotations

from docpipe.answer.ask import Asker
from docpipe.answer.request import AskMode
from docpipe.llm.base import Generator
from tests.test_answer_path import _Retriever, _Scripted
from tests.test_labelled import HETZNER, OTHER, RESTAURANT, _named


class _Counting(_Scripted):
    """Counts the calls: the fast path is the one that never reaches the model."""

    calls = 0

    def generate(self, messages, **kw):  # type: ignore[no-untyped-def]
        _Counting.calls += 1
        return super().generate(messages, **kw)


def _asker(chunks: list, document: str | None, reply: str) -> Asker:  # type: ignore[type-arg]
    retriever = _Retriever(chunks)

    def make() -> Generator:
        return _Counting(reply)

    asker = Asker(retriever, make)
    if document is not None:
        asker.retrieve = lambda question, k, flt: _named(retriever, document)  # type: ignore[method-assign]
    return asker


def test_an_amount_asked_of_one_named_document_is_its_labelled_value_without_the_model() -> None:
    _Counting.calls = 0
    q = "What was the total bill at PANDAH INDAH PULAU KETAM RESTAURANT?"
    shown: list[str] = []
    a = _asker([RESTAURANT, OTHER], "592.jpg", '{"answer": "59.00", "passages": [2]}').ask(q, on_token=shown.append)
    assert a.answer == "93.00" and a.model == "labelled" and a.grounded
    assert a.citations[0].document == "592.jpg" and a.citations[0].text.lower().endswith("total : 93.00")
    assert shown == ["93.00"] and _Counting.calls == 0


def test_the_model_still_answers_other_kinds_unnamed_documents_and_llm_mode() -> None:
    _Counting.calls = 0
    reply = '{"answer": "104,00 €", "passages": [1]}'
    bruttobetrag = "Wie hoch ist der Bruttobetrag der Rechnung?"
    assert _asker([HETZNER], None, reply).ask(bruttobetrag).model == "scripted"  # no document named
    assert _asker([HETZNER], "hetzner.pdf", reply).ask(bruttobetrag, mode=AskMode.LLM).model == "scripted"
    count = _asker([HETZNER], "hetzner.pdf", '{"answer": "19", "passages": [1]}').ask("How many items are billed?")
    assert count.model == "scripted" and _Counting.calls == 3
    fast = _asker([HETZNER], "hetzner.pdf", reply).ask(bruttobetrag)
    assert fast.model == "labelled" and fast.answer == "104,00" and _Counting.calls == 3
