"""The document step's tie-break: documents holding the same name are told apart by the rest of the question."""

from __future__ import annotations

from docpipe.index.focus import focus


class _Terms:
    def __init__(self, docs: dict[str, str]) -> None:
        self.docs = {k: v.lower() for k, v in docs.items()}

    def documents_with(self, phrase: str) -> set[str]:
        return {d for d, text in self.docs.items() if phrase.lower() in text.split()}

    def document_count(self) -> int:
        return len(self.docs)


DOCS = {
    "0305.jpg": "GREEN TEA 2 x 3.50 total 7.00 cashier",
    "0412.jpg": "green tea latte 9.90 total 9.90 cash",
    "0577.jpg": "green tea ice 4.00 total 4.00",
    "inlg2024_ngram_fscore.pdf": "GREEN uses the F-score with beta 2 so recall weighs twice as much as precision",
    **{f"r{i}.jpg": "receipt total cash" for i in range(20)},
}


def test_a_name_held_by_several_documents_picks_the_one_the_rest_of_the_question_fits() -> None:
    found = focus("What value of β does GREEN use so that recall weighs twice as much as precision?", _Terms(DOCS))
    assert found.documents[0] == "inlg2024_ngram_fscore.pdf"


def test_without_other_words_in_common_ties_stay_in_name_order() -> None:
    found = focus("What does GREEN cost?", _Terms(DOCS))
    assert found.documents == ["0305.jpg", "0412.jpg", "0577.jpg"]
