"""The generated evaluation set (bench/eval_docs.py) holds the truth it claims."""

from __future__ import annotations

import sys
from pathlib import Path

import pypdfium2 as pdfium

from docpipe.measure.scores import cer

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from eval_docs import make_all


def test_generated_documents_match_their_truth(tmp_path: Path) -> None:
    made = {truth["name"]: (path, truth) for path, truth in make_all(tmp_path)}
    assert set(made) >= {"columns_title_between", "sidebar", "table_spans", "rotated_scans", "mixed_layers"}

    path, truth = made["sidebar"]
    pdf = pdfium.PdfDocument(str(path))
    layer = pdf[0].get_textpage().get_text_range()
    # Every truth block is printed on the page (the order of the raw layer is not reading order).
    for block in truth["blocks"]:
        assert block.split(".")[0] in layer
    assert cer(" ".join(truth["blocks"]), " ".join(truth["blocks"])) == 0.0

    path, truth = made["rotated_scans"]
    pdf = pdfium.PdfDocument(str(path))
    sizes = [tuple(round(v) for v in pdf[i].get_size()) for i in range(len(pdf))]
    assert sizes == [(792, 612), (612, 792), (792, 612)]  # 90 and 270 degrees give landscape pages
    assert [p["orientation"] for p in truth["pages"]] == [90, 180, 270]
    assert all(pdf[i].get_textpage().count_chars() == 0 for i in range(len(pdf)))

    path, truth = made["mixed_layers"]
    assert [p["origin"] for p in truth["pages"]] == ["text_layer", "ocr", "ocr", "ocr", "text_layer", "text_layer"]
    pdf = pdfium.PdfDocument(str(path))
    shifted = pdf[1].get_textpage().get_text_range()
    assert "Tijgufe" in shifted  # the invisible layer says "Shifted" one letter on

    path, truth = made["table_spans"]
    (table,) = truth["tables"]
    spans = {(c["text"], c["row_span"], c["col_span"]) for c in table["cells"]}
    assert {("Region", 2, 1), ("Sales", 1, 2), ("Staff", 2, 1)} <= spans
