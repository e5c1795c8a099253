"""XLSX through openpyxl: one page per sheet (its number the page, its name the page label),
the used cells as one table per sheet with merged cells as spans, one line per row so a
citation names the row ("Stock!A3:D3").

Before openpyxl sees a sheet, a streaming pass counts its cells and merged areas (bounded
memory, entities never resolved): openpyxl would create an object for every cell a merge
covers, and a sheet may declare a billion-cell dimension. Empty rows and columns are left
out of the grid, so a sheet with cells at A1 and XFD1048576 is a 2 x 2 table, not a
billion cells. Macros (an .xlsm's vbaProject) are not loaded (keep_vba=False).
"""

from __future__ import annotations

import re
import zipfile
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import openpyxl
from lxml import etree
from openpyxl.utils.cell import get_column_letter, range_boundaries

from docpipe.errors import LoadError
from docpipe.options import Limits
from docpipe.parse.load.office.flow import Cell, Flow

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
DECLARED_FACTOR = 100  # a declared dimension may exceed max_cells this many times (formatting) before it is refused
_SHEET = re.compile(r"xl/worksheets/[^/]+\.xml$")


def _area(ref: str) -> int:
    try:
        c0, r0, c1, r1 = range_boundaries(ref)
    except (ValueError, TypeError):
        return 0
    return (int(c1 or c0 or 1) - int(c0 or 1) + 1) * (int(r1 or r0 or 1) - int(r0 or 1) + 1)


def check_sheets(path: Path, limits: Limits) -> None:
    """Count every sheet's cells and merged area by streaming its XML; refuse past the limits."""
    cells = merged = 0
    with zipfile.ZipFile(path) as z:
        for name in (n for n in z.namelist() if _SHEET.match(n)):
            with z.open(name) as f:
                parser = etree.iterparse(
                    f, events=("end",), resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
                )
                try:
                    for _, el in parser:
                        tag = el.tag
                        if tag == f"{MAIN}c":
                            cells += 1
                            if cells > limits.max_cells:
                                raise LoadError(path, f"too many cells (over {limits.max_cells:,} limit)")
                        elif tag == f"{MAIN}mergeCell":
                            merged += _area(el.get("ref", ""))
                            if merged > limits.max_cells:
                                raise LoadError(
                                    path, f"merged cells cover too many cells (over {limits.max_cells:,} limit)"
                                )
                        elif tag == f"{MAIN}dimension":
                            declared = _area(el.get("ref", ""))
                            if declared > DECLARED_FACTOR * limits.max_cells:
                                ref, limit = el.get("ref", "")[:40], DECLARED_FACTOR * limits.max_cells
                                raise LoadError(
                                    path, f"sheet declares {declared:,} cells ({ref}; over {limit:,} limit)"
                                )
                        if tag == f"{MAIN}row" or tag == f"{MAIN}mergeCell":
                            el.clear()  # keep memory flat: rows are done with once counted
                except etree.XMLSyntaxError as e:
                    raise LoadError(path, f"corrupt sheet {name} ({e})") from e


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ").removesuffix(" 00:00:00")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _sheet_cells(ws: Any) -> tuple[list[Cell], str | None]:
    """The sheet's non-empty cells on a grid of its used rows and columns only, and the used
    range's address ("Stock!A1:D9")."""
    values = {(r, c): _text(cell.value) for (r, c), cell in ws._cells.items()}
    values = {k: v for k, v in values.items() if v}
    merges = [range_boundaries(str(m)) for m in ws.merged_cells.ranges]
    rows = sorted({r for r, _ in values} | {m[1] for m in merges if (m[1], m[0]) in values})
    cols = sorted({c for _, c in values} | {m[0] for m in merges if (m[1], m[0]) in values})
    if len(rows) * len(cols) > 4_000_000:
        raise ValueError(f"{ws.title}: {len(rows)} x {len(cols)} used rows and columns")
    row_at = {r: i for i, r in enumerate(rows)}
    col_at = {c: i for i, c in enumerate(cols)}
    spans: dict[tuple[int, int], tuple[int, int]] = {}
    for c0, r0, c1, r1 in merges:
        inner_rows = [r for r in rows if r0 <= r <= r1]
        inner_cols = [c for c in cols if c0 <= c <= c1]
        spans[(r0, c0)] = (max(1, len(inner_rows)), max(1, len(inner_cols)))
    cells = []
    for (r, c), text in sorted(values.items()):
        rs, cs = spans.get((r, c), (1, 1))
        cells.append(Cell(row=row_at[r], col=col_at[c], text=text, row_span=rs, col_span=cs, is_header=row_at[r] == 0))
    if not cells:
        return cells, None
    return cells, f"{ws.title}!{get_column_letter(cols[0])}{rows[0]}:{get_column_letter(cols[-1])}{rows[-1]}"


def read_xlsx(path: Path, limits: Limits) -> list[Flow]:
    check_sheets(path, limits)
    try:
        # A file object, not the path: openpyxl refuses paths by their suffix (an upload's is .part).
        with path.open("rb") as f:
            wb = openpyxl.load_workbook(f, read_only=False, data_only=True, keep_vba=False, keep_links=False)
    except (ValueError, KeyError, TypeError, zipfile.BadZipFile, OSError) as e:
        raise LoadError(path, f"corrupt or unreadable XLSX ({e})") from e
    flows = []
    try:
        for n, ws in enumerate(wb.worksheets, start=1):
            flow = Flow(number=n, label=ws.title)
            flow.text("section_header", ws.title, ref=f"sheet {ws.title}", level=2)
            try:
                cells, refs = _sheet_cells(ws)
            except ValueError as e:
                raise LoadError(path, f"sheet too large to lay out ({e})") from e
            flow.table(cells, ref=refs)
            flows.append(flow)
    finally:
        wb.close()
    return flows
