"""PPTX through python-pptx: one page per slide, sized as the slide, each shape where it is
drawn (its frame in points). The title placeholder is the slide's heading; text frames give
paragraphs (indented ones as list items), tables keep merged cells, pictures are figures.
Notes are left out: they are not on the slide."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE, PP_PLACEHOLDER
from pptx.exc import PackageNotFoundError

from docpipe.document import BBox
from docpipe.errors import LoadError
from docpipe.parse.load.office.flow import Cell, Flow
from docpipe.parse.load.office.word import without_macros

EMU_PER_POINT = 12700
_TITLES = {PP_PLACEHOLDER.TITLE, PP_PLACEHOLDER.CENTER_TITLE}
_BULLETED = {PP_PLACEHOLDER.BODY, PP_PLACEHOLDER.OBJECT}  # a layout's content area: bullets by default


def _box(shape: Any) -> BBox | None:
    if shape.left is None or shape.top is None or shape.width is None or shape.height is None:
        return None
    x0, y0 = shape.left / EMU_PER_POINT, shape.top / EMU_PER_POINT
    return BBox.of(x0, y0, x0 + shape.width / EMU_PER_POINT, y0 + shape.height / EMU_PER_POINT)


def _is_title(shape: Any) -> bool:
    return bool(shape.is_placeholder and shape.placeholder_format.type in _TITLES)


def _table_cells(table: Any) -> list[Cell]:
    cells = []
    for r, row in enumerate(table.rows):
        for c, cell in enumerate(row.cells):
            if cell.is_spanned:  # covered by a merge origin: its text is the origin's
                continue
            cells.append(
                Cell(
                    row=r,
                    col=c,
                    text=cell.text.strip(),
                    row_span=cell.span_height,
                    col_span=cell.span_width,
                    is_header=r == 0,
                )
            )
    return cells


def _shapes(shapes: Any) -> list[Any]:
    """Shapes in reading order (top to bottom, then left to right), groups opened."""
    out: list[Any] = []
    for s in shapes:
        if s.shape_type == MSO_SHAPE_TYPE.GROUP:
            out.extend(_shapes(s.shapes))
        else:
            out.append(s)
    return sorted(out, key=lambda s: (not _is_title(s), s.top or 0, s.left or 0))


def read_pptx(path: Path) -> list[Flow]:
    try:
        prs: Any = Presentation(without_macros(path))  # type: ignore[arg-type]
    except (ValueError, KeyError, PackageNotFoundError, zipfile.BadZipFile) as e:
        raise LoadError(path, f"corrupt or unreadable PPTX ({e})") from e
    width = (prs.slide_width or 9144000) / EMU_PER_POINT
    height = (prs.slide_height or 6858000) / EMU_PER_POINT
    flows = []
    for n, slide in enumerate(prs.slides, start=1):
        flow = Flow(number=n, width=width, height=height)
        for i, shape in enumerate(_shapes(slide.shapes), start=1):
            ref, box = f"slide {n}, shape {i}", _box(shape)
            if getattr(shape, "has_text_frame", False):
                if _is_title(shape):
                    flow.label = shape.text_frame.text.strip()
                    flow.text("section_header", shape.text_frame.text, ref=ref, level=2, box=box)
                    continue
                bullets = bool(shape.is_placeholder and shape.placeholder_format.type in _BULLETED)
                _paragraphs(flow, shape.text_frame, ref, box, bullets)
            elif getattr(shape, "has_table", False):
                flow.y = box.y0 if box else flow.y
                flow.table(_table_cells(shape.table), ref=ref)
            elif shape.shape_type == MSO_SHAPE_TYPE.PICTURE:
                alt = shape._element.xpath("./p:nvPicPr/p:cNvPr/@descr")
                flow.figure(str(alt[0]) if alt else "", ref=ref, box=box)
        flows.append(flow)
    return flows


def _paragraphs(flow: Flow, frame: Any, ref: str, box: BBox | None, bullets: bool) -> None:
    """A text frame's paragraphs, stacked inside its box; indented paragraphs are list items."""
    y = box.y0 if box else None
    for p in frame.paragraphs:
        text = "".join(r.text for r in p.runs) or p.text
        if not text.strip():
            continue
        label = "list_item" if p.level > 0 or _bulleted(p, bullets) else "text"
        sub = BBox(x0=box.x0, y0=y, x1=box.x1, y1=max(box.y1, y + 14)) if box is not None and y is not None else None
        e = flow.text(label, text, ref=ref, box=sub)  # type: ignore[arg-type]
        if e is not None and y is not None:
            y = e.lines[-1].bbox.y1 + 2


def _bulleted(p: Any, default: bool) -> bool:
    ppr = p._p.pPr
    tags = [child.tag.rsplit("}", 1)[-1] for child in ppr] if ppr is not None else []
    return "buNone" not in tags and (default or "buChar" in tags or "buAutoNum" in tags)
