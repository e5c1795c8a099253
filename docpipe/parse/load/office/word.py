"""DOCX through python-docx: headings with levels, paragraphs, lists, tables with merged cells,
images as figures, in document order. Hard page breaks start a new page; without them the
document is one flowed page (page 1, elements by position). Macros (a .docm's vbaProject) are
dropped before python-docx opens the package, so they are never read."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import Any

import docx
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from docpipe.errors import LoadError
from docpipe.parse.load.office.flow import Cell, Flow

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_HEADING = re.compile(r"heading\s*(\d)", re.I)
_MACRO_TYPES = re.compile(rb"application/vnd\.ms-([a-z]+)\.[a-z.]*macroEnabled[a-z.]*\+xml", re.I)
_MAIN_TYPES = {
    b"word": b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    b"powerpoint": b"application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
}


def without_macros(path: Path) -> io.BytesIO | Path:
    """The package as its reader accepts it: a macro-enabled one (.docm, .pptm) rewritten in
    memory with its macro parts left out and its main part typed as the plain document."""
    with zipfile.ZipFile(path) as z:
        types = z.read("[Content_Types].xml")
        if not _MACRO_TYPES.search(types):
            return path
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as w:
            for info in z.infolist():
                if "vbaproject" in info.filename.lower() or "vbadata" in info.filename.lower():
                    continue
                data = z.read(info)
                if info.filename == "[Content_Types].xml":
                    data = _MACRO_TYPES.sub(lambda m: _MAIN_TYPES.get(m.group(1).lower(), m.group(0)), data)
                w.writestr(info, data)
    out.seek(0)
    return out


def _level(p: Paragraph) -> tuple[str, int | None]:
    """(label, level) from the paragraph's style or its outline level."""
    style = p.style
    names: list[str] = []
    while style is not None and len(names) < 10:  # custom styles based on "Heading 2" are headings too
        names.append(style.name or "")
        style = style.base_style
    for name in names:
        if name.lower() == "title":
            return "title", 1
        if m := _HEADING.fullmatch(name.strip()):
            return "section_header", int(m.group(1))
    ppr = p._p.pPr
    if ppr is not None:
        outline = ppr.find(f"{W}outlineLvl")
        if outline is not None and (val := outline.get(f"{W}val", "")).isdigit() and int(val) < 9:
            return "section_header", int(val) + 1
        if ppr.numPr is not None:
            return "list_item", None
    if any(n.lower().startswith("list") for n in names):
        return "list_item", None
    return "text", None


def _alt_texts(p: Paragraph) -> list[str]:
    return [d.get("descr") or d.get("title") or d.get("name") or "" for d in p._p.xpath(".//wp:docPr")]


def _has_page_break(p: Paragraph) -> bool:
    return any(br.get(f"{W}type") == "page" for br in p._p.iter(f"{W}br"))


def table_cells(table: Table) -> list[Cell]:
    """The grid with spans: gridSpan widens a cell, vMerge="continue" extends the one above."""
    cells: list[Cell] = []
    open_at: dict[int, Cell] = {}  # column -> the cell a vertical merge continues
    for r, tr in enumerate(table._tbl.tr_lst):
        col = 0
        for tc in tr.tc_lst:
            span = tc.grid_span
            vmerge = tc.vMerge
            if vmerge == "continue" and col in open_at:
                above = open_at[col]
                above.row_span = r - above.row + 1
            else:
                text = "\n".join(p.text for p in _Cell(tc, table).paragraphs).strip()
                cell = Cell(row=r, col=col, text=text, col_span=span, is_header=r == 0)
                cells.append(cell)
                for c in range(col, col + span):
                    open_at[c] = cell
            col += span
    return cells


def read_docx(path: Path) -> list[Flow]:
    try:
        document: Any = docx.Document(without_macros(path))  # type: ignore[arg-type]
    except (ValueError, KeyError, zipfile.BadZipFile) as e:
        raise LoadError(path, f"corrupt or unreadable DOCX ({e})") from e
    flows = [Flow(number=1)]
    n_par = n_table = 0
    for block in document.iter_inner_content():
        flow = flows[-1]
        if isinstance(block, Table):
            n_table += 1
            flow.table(table_cells(block), ref=f"table {n_table}")
            continue
        n_par += 1
        label, level = _level(block)
        flow.text(label, block.text, ref=f"paragraph {n_par}", level=level)  # type: ignore[arg-type]
        for alt in _alt_texts(block):
            flow.figure(alt, ref=f"paragraph {n_par}")
        if _has_page_break(block):
            flows.append(Flow(number=len(flows) + 1))
    return flows
