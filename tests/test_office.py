"""Office, web and mail inputs on real files made by their own libraries at test time:
structure kept (heading levels, lists, merged cells, sheets and slides as pages), sniffed by
content, no page stage run on them, and hostile ones refused with one line in bounded memory."""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from docpipe.document import Document
from docpipe.errors import LoadError
from docpipe.options import ConvertOptions, EngineOptions
from docpipe.parse.converter import Converter
from docpipe.parse.load import open_source
from docpipe.parse.load.sniff import DOCX, EML, HTML, PPTX, XLSX, sniff_file
from docpipe.serialize.html import to_html
from docpipe.serialize.markdown import to_markdown
from tests import office_files as of

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("office")
    return {
        "docx": of.contract_docx(d / "contract.docx"),
        "pptx": of.review_pptx(d / "review.pptx"),
        "xlsx": of.stock_xlsx(d / "stock.xlsx"),
        "html": of.notice_html(d / "notice.html"),
        "eml": of.mail_eml(d / "mail.eml"),
    }


def _convert(path: Path) -> Document:
    result = Converter().convert(path)
    assert result.status == "success", result.errors
    assert result.document is not None
    return result.document


def test_docx_keeps_heading_levels_lists_and_the_merged_cell(files: dict[str, Path]) -> None:
    doc = _convert(files["docx"])
    md = to_markdown(doc)
    assert md.index("# Supply contract\n") < md.index("# Parties\n") < md.index("## Delivery terms\n")
    assert "- Delivery within 14 days of the order." in md
    assert "| Item | Quantity | Unit price |" in md and "| Steel bolts | 100 | 12.50 EUR |" in md
    assert "|  | 5000 | 9.80 EUR |" in md  # the merged cell's second row
    table = next(e.table for e in doc.body if e.table is not None)
    bolts = next(c for c in table.cells if c.text == "Steel bolts")
    assert (bolts.row, bolts.col, bolts.row_span, bolts.col_span) == (1, 0, 2, 1)
    html = to_html(doc)
    assert 'rowspan="2"' in html
    import lxml.html  # a declared dependency (office inputs)

    items = lxml.html.fromstring(html).findall(".//li")
    assert items and all(li.getparent() is not None and li.getparent().tag == "ul" for li in items)  # a list around
    assert "Delivery within 14 days of the order." in items[0].text_content()
    assert [p.origin for p in doc.pages] == ["native"] and doc.mime == DOCX
    para = next(e for e in doc.body if e.text.startswith("This contract"))
    assert (para.prov[0].page, para.prov[0].ref, para.origin) == (1, "paragraph 3", "native")
    positions = [e.prov[0].position for e in doc.body]
    assert positions == sorted(positions) and len(set(positions)) == len(positions)
    boxes = [e.bbox for e in doc.body]
    assert all(a.y1 <= b.y0 for a, b in itertools.pairwise(boxes))  # nominal boxes never overlap


def test_a_two_slide_deck_is_two_pages_with_shape_boxes(files: dict[str, Path]) -> None:
    doc = _convert(files["pptx"])
    assert [(p.number, p.label, p.width, p.height) for p in doc.pages] == [
        (1, "Quarterly review", 720.0, 540.0),
        (2, "Next steps", 720.0, 540.0),
    ]
    md = to_markdown(doc)
    assert "## Quarterly review" in md and "- Revenue grew 12 percent" in md and "## Next steps" in md
    hire = next(e for e in doc.body if "Oslo" in e.text)
    assert hire.label == "list_item" and hire.page == 2 and hire.prov[0].ref.startswith("slide 2, shape")
    assert 0 < hire.bbox.x0 < hire.bbox.x1 <= 720 and 0 < hire.bbox.y0 < hire.bbox.y1 <= 540


def test_a_workbook_is_a_page_per_sheet_with_rows_and_merged_cells(files: dict[str, Path]) -> None:
    doc = _convert(files["xlsx"])
    assert [(p.number, p.label) for p in doc.pages] == [(1, "Stock"), (2, "Prices")]
    md = to_markdown(doc)
    assert (
        "| Item | Quantity | Warehouse |\n|---|---|---|\n| Hex bolts | 120 | North |\n| Wing nuts | 75 | South |" in md
    )
    prices = [e for e in doc.body if e.table is not None][1]
    assert prices.page == 2 and prices.prov[0].ref == "Prices!A1:B5"
    note = next(c for c in prices.table.cells if c.text == "Prices valid until June")  # type: ignore[union-attr]
    assert note.col_span == 2
    # One line per row, each with the row's text: what a citation of a row points at.
    assert [ln.text for ln in prices.lines] == [
        "Item | Price",
        "Hex bolts | 0.12",
        "Wing nuts | 0.3",
        "Prices valid until June | ",
    ]


def test_html_headings_table_and_list_without_scripts(files: dict[str, Path]) -> None:
    doc = _convert(files["html"])
    md = to_markdown(doc)
    assert md.startswith("# Water outage\n\nWater is off on Monday from 8 to 12.\n\n## Affected streets\n")
    assert "| Street | Hours |" in md and "| Main Street | 8-12 |" in md
    assert "- Boil tap water" in md and "var x" not in md
    elm = next(c for e in doc.body if e.table for c in e.table.cells if c.text == "Elm Street all day")
    assert elm.col_span == 2


def test_a_mail_lists_its_pdf_attachment(files: dict[str, Path]) -> None:
    doc = _convert(files["eml"])
    assert doc.mime == EML and doc.body[0].label == "title" and doc.body[0].text == "Invoice for the March delivery"
    assert "From: Kari Nordmann <kari@fjordtools.example>" in doc.body[1].text
    assert any("Payment is due within 30 days" in e.text for e in doc.body)
    [att] = doc.attachments
    assert (att.name, att.mime) == ("invoice-7.pdf", "application/pdf")
    import hashlib
    from email import policy
    from email.parser import BytesParser

    [part] = BytesParser(policy=policy.default).parsebytes(files["eml"].read_bytes()).iter_attachments()  # type: ignore[attr-defined]
    assert att.sha256 == hashlib.sha256(part.get_content()).hexdigest() and part.get_content().startswith(b"%PDF-")
    assert doc.body[-1].text.startswith("Attachment: invoice-7.pdf")


def test_types_come_from_the_bytes_not_the_name(files: dict[str, Path], tmp_path: Path) -> None:
    wrong = {
        "docx": ("a.pdf", DOCX),
        "pptx": ("b.xlsx", PPTX),
        "xlsx": ("c.docx", XLSX),
        "html": ("d.txt", HTML),
        "eml": ("e.html", EML),
    }
    for kind, (name, mime) in wrong.items():
        shutil.copy(files[kind], tmp_path / name)
        assert sniff_file(tmp_path / name) == mime, kind
    (tmp_path / "plain.txt").write_text("just some words\nno headers here\n")
    with pytest.raises(LoadError, match="unrecognised content"):
        sniff_file(tmp_path / "plain.txt")


def test_native_pages_never_reach_the_page_stages(files: dict[str, Path]) -> None:
    """An OCR engine that fails on any page, forced on: office pages still convert, untimed."""
    options = ConvertOptions(ocr=EngineOptions(kind="tests.faulty_engines:RaiseAlways"), force_ocr=True)
    converter = Converter(options)
    for path in files.values():
        result = converter.convert(path)
        assert result.status == "success" and not result.errors, (path.name, result.errors)
        assert result.timings == {}
        assert result.document is not None and {p.text_decision for p in result.document.pages} == {
            "read from the file's own structure (no page image: no OCR or layout)"
        }


def test_macros_in_a_docm_are_dropped_not_read(files: dict[str, Path], tmp_path: Path) -> None:
    src = files["docx"]
    docm = tmp_path / "macro.docm"
    with zipfile.ZipFile(src) as z, zipfile.ZipFile(docm, "w", zipfile.ZIP_DEFLATED) as w:
        for info in z.infolist():
            data = z.read(info)
            if info.filename == "[Content_Types].xml":
                data = data.replace(
                    b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
                    b"application/vnd.ms-word.document.macroEnabled.main+xml",
                ).replace(
                    b"</Types>",
                    b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>',
                )
            w.writestr(info, data)
        w.writestr("word/vbaProject.bin", b'Attribute VB_Name = "AutoOpen"\nShell "rm -rf /"')
    doc = _convert(docm)
    assert "# Supply contract" in to_markdown(doc) and "Shell" not in doc.text()


HOSTILE = {
    "bomb.docx": (of.docx_zip_bomb, "zip bomb: parts inflate to 601 MB (> 500 MB limit)"),
    "laughs.docx": (
        of.docx_entity_expansion,
        "word/document.xml declares a DTD or entities (refused: entity expansion)",
    ),
    "billion.xlsx": (
        of.xlsx_billion_cells,
        "sheet declares 1,000,000,000 cells (A1:ALL1000000; over 50,000,000 limit)",
    ),
    "nested.html": (of.html_nested, "HTML nested deeper than 255 elements (refused)"),
}

_PEAK = """
import json, sys
from docpipe.errors import LoadError
from docpipe.parse.load import open_source
out = {}
for path in sys.argv[1:]:
    try:
        open_source(__import__("pathlib").Path(path)).close()
        out[path] = "opened"
    except LoadError as e:
        out[path] = str(e)
# VmHWM, not ru_maxrss: the latter keeps the forking parent's peak across exec.
hwm = next(ln for ln in open("/proc/self/status") if ln.startswith("VmHWM:"))
out["peak_mb"] = int(hwm.split()[1]) / 1024
print(json.dumps(out))
"""


def test_hostile_office_files_get_one_line_in_bounded_memory(tmp_path: Path) -> None:
    paths = []
    for name, (make, _) in HOSTILE.items():
        (tmp_path / name).write_bytes(make())
        paths.append(str(tmp_path / name))
    # In a fresh process, so its peak memory is these files' alone.
    proc = subprocess.run([sys.executable, "-c", _PEAK, *paths], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    for name, (_, message) in HOSTILE.items():
        assert out[str(tmp_path / name)] == f"{tmp_path / name}: {message}"
    assert out["peak_mb"] < 400, out["peak_mb"]  # a 600 MB bomb, a 10^9-cell sheet, 10^6 levels: none inflated
    with pytest.raises(LoadError):
        open_source(tmp_path / "nested.html")


def test_type_filters_name_the_new_kinds() -> None:
    from docpipe.answer.request import AskRequest
    from docpipe.index.store.filters import filter_sql

    for kind, pattern in (("office", "application/vnd.openxmlformats-officedocument.%"), ("mail", "message/rfc822")):
        sql, args = filter_sql(AskRequest(question="q", type=kind).search_filter())  # type: ignore[arg-type]
        assert "d.mime LIKE ?" in sql and args == [pattern]
        assert sniff_ok(pattern)


def sniff_ok(pattern: str) -> bool:
    """The pattern matches the type the sniffer gives (SQL LIKE: % is any run of characters)."""
    import re

    mimes = {DOCX, PPTX, XLSX, EML, HTML}
    rx = re.compile("^" + re.escape(pattern).replace("%", ".*") + "$")
    return any(rx.match(m) for m in mimes)


def test_removing_a_mail_removes_its_attachments_and_their_copies(files: dict[str, Path], tmp_path: Path) -> None:
    from docpipe.api import Docpipe
    from docpipe.config import Settings

    folder = tmp_path / "inbox"
    folder.mkdir()
    shutil.copy(files["eml"], folder / "mail.eml")
    shutil.copy(files["docx"], folder / "contract.docx")
    dp = Docpipe(Settings.load(tmp_path / "home", workers=1, page_timeout_s=0))
    outcomes = dp.ingestor().ingest([folder / "mail.eml", folder / "contract.docx"])
    assert [Path(o.path).name for o in outcomes] == ["mail.eml", "invoice-7.pdf", "contract.docx"]
    [copy] = [Path(r.path) for r in dp.documents() if r.name == "invoice-7.pdf"]
    assert copy.is_file() and copy.is_relative_to(dp.home.attachments.resolve())

    removed = dp.remove(["mail.eml"])
    assert sorted(Path(p).name for p in removed) == ["invoice-7.pdf", "mail.eml"]
    assert [r.name for r in dp.documents()] == ["contract.docx"]  # the user's other file stays
    assert not copy.exists() and not any(dp.home.attachments.iterdir())
    assert (folder / "mail.eml").is_file()  # the user's own file is never touched
