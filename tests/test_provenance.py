"""One provenance type inside the library (page + BBox), lists only at the JSON edge."""

from __future__ import annotations

import json

from docpipe.answer.ask import Citation, _citation
from docpipe.answer.extractive import candidate_units
from docpipe.document import BBox, Provenance
from docpipe.index.chunking import ChunkSpan, SpanLine
from docpipe.index.records import StoredChunk


def test_chunk_lines_are_provenance_with_typed_boxes_stored_as_lists() -> None:
    line = SpanLine(text="Total due 926.64", page=2, bbox=BBox.of(300, 700, 420, 712))
    assert isinstance(line, Provenance) and isinstance(line.bbox, BBox)
    span = ChunkSpan(element_id="e4", page=2, bbox=line.bbox, text=line.text, lines=[line])
    stored = json.loads(span.model_dump_json())
    assert stored["bbox"] == [300, 700, 420, 712] and stored["lines"][0]["bbox"] == [300, 700, 420, 712]
    again = ChunkSpan.model_validate(stored)  # rows written before and after read the same
    assert again.lines[0].bbox == line.bbox and again.bbox.width == 120


def test_a_sentence_across_lines_is_boxed_by_the_union_of_its_lines() -> None:
    lines = [
        SpanLine(text="The warranty covers parts and labour for two years from", page=1, bbox=[50, 100, 500, 112]),
        SpanLine(text="the date of delivery. Returns are taken within thirty days.", page=1, bbox=[50, 114, 480, 126]),
    ]
    first, second = candidate_units(lines)
    assert first.text.startswith("The warranty") and first.bbox == BBox.of(50, 100, 500, 126)
    assert second.text.startswith("Returns") and second.bbox == BBox.of(50, 114, 480, 126)


def test_citations_turn_boxes_into_lists_at_the_edge() -> None:
    line = SpanLine(text="Total due 926.64", page=1, bbox=BBox.of(300.004, 700, 420, 712.556))
    chunk = StoredChunk(1, "acme.pdf", "/docs/acme.pdf", line.text, "<p></p>", [])
    cite = _citation(chunk, line)
    assert isinstance(cite, Citation) and cite.bbox == [300.0, 700.0, 420.0, 712.56]
    assert json.loads(cite.model_dump_json())["bbox"] == [300.0, 700.0, 420.0, 712.56]
