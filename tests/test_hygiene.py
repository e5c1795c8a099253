"""Text hygiene: surrogates, control characters, soft hyphens, ligatures and odd spaces in text
layers and OCR results become storable text, and a page that loses characters says so."""

from __future__ import annotations

import json
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from docpipe.document import BBox, Word
from docpipe.parse.hygiene import clean_text, clean_words, join_surrogates
from docpipe.parse.load.pdf import text_layer_words

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def surrogate_pdf(path: Path) -> Path:
    """A text layer as pdfium reads the FNFE invoices and the ACM paper: one glyph maps to a
    surrogate pair (😀 as <D83D DE00>), one to a lone high surrogate (<D83C>), one to ﬁ."""
    pdfmetrics.registerFont(TTFont("DejaVuHygiene", FONT))
    c = canvas.Canvas(str(path), pageCompression=0, invariant=1)
    c.setFont("DejaVuHygiene", 12)
    c.drawString(72, 700, "Call us \U0001f600 now at +33 4 \u2764 72 the \ufb01rst of\ufb01ce in Lyon.")
    c.drawString(72, 680, "A second line of ordinary text on the page.")
    c.save()
    data = path.read_bytes()
    # reportlab writes 16-bit ToUnicode entries; rewrite two as pdfium's surrogates arrive.
    assert b"<01> <1F600>" in data and b"<02> <2764>" in data
    path.write_bytes(data.replace(b"<01> <1F600>", b"<01> <D83DDE00>").replace(b"<02> <2764>", b"<02> <D83C>"))
    return path


def test_clean_text_cases() -> None:
    assert join_surrogates("\ud835\udf0b") == "𝜋"
    assert clean_text("\ud835\udf0b") == ("𝜋", 0)
    assert clean_text("\ud83d") == ("", 1)  # a lone high half: dropped and counted
    assert clean_text("a\udc00b") == ("ab", 1)
    assert clean_text("double\x02") == ("double-", 0)  # pdfium's line-end hyphen mark
    assert clean_text("camera\x02ready") == ("camera-ready", 0)
    assert clean_text("hy\u00adphen") == ("hyphen", 0)  # a soft hyphen inside a word is invisible
    assert clean_text("docu\u00ad") == ("docu-", 0)  # and at the end it is where the line broke
    assert clean_text("\ufb01rst o\ufb03ce") == ("first office", 0)
    assert clean_text("10\u00a0000\u202f€") == ("10 000 €", 0)
    assert clean_text("zero\u200bwidth\ufeff") == ("zerowidth", 0)
    assert clean_text("bell\x07") == ("bell", 1)
    # Joiners carry meaning in Persian and in emoji sequences: kept.
    assert clean_text("می\u200cخواهم") == ("می\u200cخواهم", 0)
    assert clean_text("👩\u200d💻") == ("👩\u200d💻", 0)


def test_clean_words_drops_empty_words_and_counts_what_it_lost() -> None:
    box = BBox.of(0, 0, 10, 10)
    cleaned = clean_words([Word(text="Tel", bbox=box), Word(text="\ud83d", bbox=box), Word(text="o\ufb03ce", bbox=box)])
    assert [w.text for w in cleaned.words] == ["Tel", "office"]
    assert cleaned.dropped == 1 and "1 unencodable" in cleaned.note()
    assert clean_words([Word(text="plain", bbox=box)]).note() == ""


def test_text_layer_joins_surrogate_pairs_and_cleaning_drops_lone_halves(tmp_path: Path) -> None:
    pdf = pdfium.PdfDocument(str(surrogate_pdf(tmp_path / "surrogates.pdf")))
    page = pdf[0]
    words = text_layer_words(page, page.get_height())
    pdf.close()
    texts = [w.text for w in words]
    assert "😀" in texts  # the pair is one character, in one word
    assert "\ud83c" in texts  # the lone half reaches hygiene as it came
    cleaned = clean_words(words)
    text = " ".join(w.text for w in cleaned.words)
    assert text.startswith("Call us 😀 now at +33 4 72 the first office in Lyon.")
    assert cleaned.dropped == 1
    text.encode("utf-8")  # storable: no lone surrogate left


@pytest.mark.slow
def test_page_with_lone_surrogates_converts_whole_and_says_what_it_dropped(converter, tmp_path: Path) -> None:
    doc = converter.convert(surrogate_pdf(tmp_path / "surrogates.pdf")).document
    assert doc is not None and len(doc.pages) == 1
    page = doc.pages[0]
    assert page.text_decision.startswith("text layer")
    assert "1 unencodable or control characters dropped" in page.text_decision
    body = " ".join(e.text for e in doc.body)
    assert "😀" in body and "first office in Lyon" in body and "ordinary text" in body
    # What failed in the isolation child before: JSON of the page, encoded as UTF-8.
    json.loads(doc.model_dump_json().encode("utf-8"))


def test_line_end_hyphens_join_unless_the_page_writes_the_compound() -> None:
    from docpipe.parse.layout.paragraphs import join_hyphenated, vocabulary

    vocab = vocabulary(["final", "“camera-ready”", "copy"])
    lines = ["the docu-", "ment is a camera-", "ready copy of Sec-", "Tion 3 and a dash-", "only"]
    assert join_hyphenated(lines, vocab) == [
        "the document",
        "is a camera-ready",
        "copy of Sec-",
        "Tion 3 and a dashonly",
        "",
    ]
