"""How `docpipe model adapt` splits a home's text into training and held-out text, and its defaults (no model)."""

from __future__ import annotations

from docpipe.model.corpus import DocText, cut_tail, split


def _doc(i: int, lines: int = 20) -> DocText:
    return DocText(f"{i:064x}", f"doc{i}.pdf", "\n".join(f"doc {i} line {k} of the text" for k in range(lines)))


def test_few_documents_each_give_their_last_tenth_in_reading_order() -> None:
    docs = [_doc(1), _doc(2, lines=40), _doc(3)]
    corpus = split(docs)
    assert corpus.split == "text"
    assert [d.name for d in corpus.train] == [d.name for d in corpus.held_out] == ["doc1.pdf", "doc2.pdf", "doc3.pdf"]
    for doc, head, tail in zip(docs, corpus.train, corpus.held_out, strict=True):
        assert head.text + "\n" + tail.text == doc.text  # nothing lost, nothing seen twice, order kept
        assert 0.1 <= len(tail.text) / len(doc.text) < 0.2
    assert corpus.held_out[0].text.splitlines()[-1] == "doc 1 line 19 of the text"
    assert corpus.documents == 3


def test_from_ten_documents_a_tenth_of_them_is_held_out_whole_by_content_hash() -> None:
    docs = [_doc(i) for i in range(25)]
    corpus = split(docs)
    assert corpus.split == "documents"
    assert len(corpus.held_out) == 3 and len(corpus.train) == 22  # ⌈2.5⌉
    assert {d.sha256 for d in corpus.held_out} == {d.sha256 for d in sorted(docs, key=lambda d: d.sha256)[:3]}
    assert {d.sha256 for d in split(list(reversed(docs))).held_out} == {d.sha256 for d in corpus.held_out}
    assert not {d.sha256 for d in corpus.train} & {d.sha256 for d in corpus.held_out}


def test_a_one_line_document_is_trained_on_whole_and_the_tail_is_at_least_one_line() -> None:
    assert cut_tail("a single line", 0.1) == ("a single line", "")
    assert cut_tail("first\nsecond", 0.1) == ("first", "second")
    corpus = split([DocText("a" * 64, "one.pdf", "only line"), _doc(2)])
    assert [d.name for d in corpus.train] == ["one.pdf", "doc2.pdf"]
    assert [d.name for d in corpus.held_out] == ["doc2.pdf"]


def test_gradient_checkpointing_is_on_for_cuda_and_large_models_only() -> None:
    from docpipe.model.adapt import gradient_checkpointing_default

    assert gradient_checkpointing_default("cuda", 135_000_000)  # GPU memory is what runs out
    assert gradient_checkpointing_default("cpu", 7_000_000_000)  # Mistral-7B, the 10.7B upscale
    assert not gradient_checkpointing_default("cpu", 135_000_000)  # SmolLM2: costs time, saves little
