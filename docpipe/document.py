"""The document model: the one place that defines pages, elements and their provenance.

Every stage of the pipeline produces or consumes these types, and every serializer reads
them. Coordinates are PDF points from the page's top-left corner, for every source kind
(a raster image counts 72/dpi points per pixel), so boxes mean the same thing everywhere.
Bump SCHEMA_VERSION on any change that alters the JSON shape.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from docpipe.errors import ConversionError, SchemaVersionError

SCHEMA_VERSION = "1.2"  # 1.1: Page.text_decision, orientation, skew; 1.2: native origin, heading level,
# Provenance.position/ref, Page.label, Document.parent/attachments (office, web and mail inputs)

Label = Literal[
    "title",
    "section_header",
    "text",
    "list_item",
    "table",
    "figure",
    "caption",
    "formula",
    "page_header",
    "page_footer",
]
FURNITURE_LABELS: frozenset[str] = frozenset({"page_header", "page_footer"})

# native: read from the file's own structure (DOCX, PPTX, XLSX, HTML, mail): there is no page image,
# and where the source has no geometry the boxes are nominal (see Provenance).
Origin = Literal["text_layer", "ocr", "native"]


class BBox(BaseModel):
    """An axis-aligned box in PDF points, origin at the page's top-left."""

    model_config = ConfigDict(frozen=True)

    x0: float
    y0: float
    x1: float
    y1: float

    @model_validator(mode="before")
    @classmethod
    def _from_list(cls, value: Any) -> Any:
        """[x0, y0, x1, y1], as boxes are written at the JSON edge and in stored chunks."""
        if isinstance(value, list | tuple) and len(value) == 4:
            return dict(zip(("x0", "y0", "x1", "y1"), value, strict=True))
        return value

    @classmethod
    def of(cls, x0: float, y0: float, x1: float, y1: float) -> BBox:
        return cls(x0=min(x0, x1), y0=min(y0, y1), x1=max(x0, x1), y1=max(y0, y1))

    @classmethod
    def union_all(cls, boxes: list[BBox]) -> BBox:
        if not boxes:
            raise ValueError("union of no boxes")
        # Built without validation: the fields are already floats of validated boxes, and
        # geometry makes tens of thousands of these per page.
        # One pass, comparing as min() and max() do (a new value replaces only when < or >).
        first = boxes[0]
        x0, y0, x1, y1 = first.x0, first.y0, first.x1, first.y1
        for b in boxes[1:]:
            if b.x0 < x0:
                x0 = b.x0
            if b.y0 < y0:
                y0 = b.y0
            if b.x1 > x1:
                x1 = b.x1
            if b.y1 > y1:
                y1 = b.y1
        return cls.model_construct(x0=x0, y0=y0, x1=x1, y1=y1)

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    @property
    def area(self) -> float:
        return max(0.0, self.width) * max(0.0, self.height)

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2

    def intersection(self, other: BBox) -> float:
        w = min(self.x1, other.x1) - max(self.x0, other.x0)
        h = min(self.y1, other.y1) - max(self.y0, other.y0)
        return w * h if w > 0 and h > 0 else 0.0

    def x_overlap(self, other: BBox) -> float:
        return max(0.0, min(self.x1, other.x1) - max(self.x0, other.x0))

    def y_overlap(self, other: BBox) -> float:
        return max(0.0, min(self.y1, other.y1) - max(self.y0, other.y0))

    def scaled(self, factor: float) -> BBox:
        return BBox(x0=self.x0 * factor, y0=self.y0 * factor, x1=self.x1 * factor, y1=self.y1 * factor)

    def as_list(self, ndigits: int = 2) -> list[float]:
        return [round(self.x0, ndigits), round(self.y0, ndigits), round(self.x1, ndigits), round(self.y1, ndigits)]


class Word(BaseModel):
    """One word with its box; the unit OCR and the text layer both produce."""

    text: str
    bbox: BBox
    confidence: float = 1.0
    # Set in a bold face (from the text layer's font; OCR does not say). Used to tell headings
    # from body text while a page is assembled; style, not content, so not serialized.
    bold: bool = Field(default=False, exclude=True)


class Provenance(BaseModel):
    """Where a piece of content sits: page number (1-based), box, and span in the item's text.

    For native sources the page is the slide or sheet number (1 for a flowed DOCX, HTML page or
    mail), `position` the element's order on it and `ref` the source's own address ("A3:D3",
    "shape 4", "paragraph 12"). A slide's boxes are its shapes' frames; a flowed document or a
    sheet has none, so its boxes are nominal: the element's place in a simple top-to-bottom
    layout (one 14 pt line per ~95 characters, one 15 pt row per sheet row), stable and
    unique per element, which is what citations and the viewer need.
    """

    page: int
    bbox: BBox
    char_span: tuple[int, int] | None = None
    position: int | None = None
    ref: str | None = None


class TableCell(BaseModel):
    row: int
    col: int
    row_span: int = 1
    col_span: int = 1
    text: str
    is_header: bool = False
    bbox: BBox | None = None
    page: int | None = None


class TableData(BaseModel):
    n_rows: int
    n_cols: int
    cells: list[TableCell]

    def grid(self) -> list[list[str]]:
        """Row-major text grid; spanned positions repeat nothing (empty string)."""
        rows = [["" for _ in range(self.n_cols)] for _ in range(self.n_rows)]
        for c in self.cells:
            rows[c.row][c.col] = c.text
        return rows

    def header_rows(self) -> int:
        return 1 + max((c.row for c in self.cells if c.is_header), default=-1)

    def text(self) -> str:
        """The table as text: rows on lines, cells joined by " | " (element text, chunks, search)."""
        return self.rows_text(self.grid())

    @staticmethod
    def rows_text(rows: Iterable[list[str]]) -> str:
        """Some rows of a grid() as text, the way text() renders the whole table."""
        return "\n".join(" | ".join(row) for row in rows)


class Line(BaseModel):
    """A run of words on one baseline within an element, kept for label/value lookups."""

    text: str
    bbox: BBox
    words: list[Word] = Field(default_factory=list)


class Element(BaseModel):
    """One item of content (paragraph, heading, table...) in reading order."""

    id: str
    label: Label
    text: str
    prov: list[Provenance]
    confidence: float = 1.0
    origin: Origin = "text_layer"
    lines: list[Line] = Field(default_factory=list)
    table: TableData | None = None
    level: int | None = Field(
        default=None, description="heading level (1 = the title): the source's own, or from numbering and size"
    )

    @property
    def page(self) -> int:
        return self.prov[0].page

    @property
    def bbox(self) -> BBox:
        return self.prov[0].bbox

    def line_pages(self) -> list[int]:
        """The page of each line. An element continued across pages (a joined table) lists
        its lines in order, one prov per page: where y jumps back up, the next page starts."""
        pages = [p.page for p in self.prov]
        out: list[int] = []
        idx, prev_y = 0, -1.0
        for ln in self.lines:
            if out and ln.bbox.y0 < prev_y - 1 and idx + 1 < len(pages):
                idx += 1
            out.append(pages[idx])
            prev_y = ln.bbox.y0
        return out


class Page(BaseModel):
    number: int
    width: float
    height: float
    origin: Origin
    rotation: int = 0
    text_decision: str = Field(default="", description="why the text came from the text layer or from OCR")
    orientation: int = Field(default=0, description="degrees (clockwise) the scan was turned; OCR read it upright")
    skew: float = Field(default=0.0, description="small-angle correction (degrees) applied before OCR")
    label: str = Field(default="", description="the sheet's name or the slide's title, for native sources")


class Attachment(BaseModel):
    """A file carried inside another (a mail's attachment), ingested as its own document."""

    name: str
    mime: str
    sha256: str
    size: int


class ConversionStatus(StrEnum):
    SUCCESS = "success"
    PARTIAL = "partial"
    FAILURE = "failure"


def _version(v: str) -> tuple[int, ...]:
    try:
        return tuple(int(x) for x in v.split("."))
    except ValueError:
        raise ValueError(f"schema_version {v!r} is not a version like 1.1") from None


def _to_1_1(data: dict[str, Any]) -> dict[str, Any]:
    """1.0 → 1.1: pages gained text_decision, orientation and skew."""
    added = {"text_decision": "", "orientation": 0, "skew": 0.0}
    if not isinstance(data.get("pages"), list):
        return data  # no pages to upgrade (validation says what is wrong, if anything)
    pages = [{**added, **p} if isinstance(p, dict) else p for p in data["pages"]]
    return {**data, "pages": pages}  # a new dict: the caller's is left as it was


# Each step takes a document's JSON (as a dict) from one version to the next.
def _to_1_2(data: dict[str, Any]) -> dict[str, Any]:
    """1.1 → 1.2: only optional fields were added (their defaults read the same)."""
    return data


UPGRADES: dict[str, tuple[str, Callable[[dict[str, Any]], dict[str, Any]]]] = {
    "1.0": ("1.1", _to_1_1),
    "1.1": ("1.2", _to_1_2),
}


def upgrade(data: dict[str, Any]) -> dict[str, Any]:
    """A document's JSON as this docpipe writes it: older versions upgraded step by step, newer
    ones refused (fields it does not know could mean anything)."""
    found = str(data.get("schema_version", SCHEMA_VERSION))
    if _version(found) > _version(SCHEMA_VERSION):
        raise SchemaVersionError.newer(str(data.get("name") or "a document"), found, SCHEMA_VERSION)
    version = found
    while _version(version) < _version(SCHEMA_VERSION):
        if version not in UPGRADES:
            raise ValueError(f"document schema {found} is older than any this docpipe can upgrade")
        version, step = UPGRADES[version]
        data = step(data)
    return {**data, "schema_version": SCHEMA_VERSION}


class Document(BaseModel):
    """A converted document. `body` is in reading order; page furniture is kept apart."""

    schema_version: str = SCHEMA_VERSION
    id: str = Field(description="sha256 of the source bytes")
    name: str
    source: str
    mime: str
    pages: list[Page]
    body: list[Element]
    furniture: list[Element] = Field(default_factory=list)
    parent: str | None = Field(default=None, description="sha256 of the document this one was attached to")
    attachments: list[Attachment] = Field(default_factory=list, description="files inside it, each its own document")

    @model_validator(mode="before")
    @classmethod
    def _check_version(cls, data: Any) -> Any:
        # Every read (store, spool, JSON file) validates, so every read passes here. SchemaVersionError
        # is no ValueError: pydantic lets it through as it is, a one-line message rather than a report.
        return upgrade(data) if isinstance(data, dict) else data

    def text(self) -> str:
        return "\n\n".join(e.text for e in self.body)

    def header(self) -> Document:
        """This document without pages or elements: what is known before the first page."""
        return self.model_copy(update={"pages": [], "body": [], "furniture": []})

    def extend(self, part: DocumentPart) -> None:
        self.pages.extend(part.pages)
        self.body.extend(part.body)
        self.furniture.extend(part.furniture)

    def elements_on(self, page: int) -> list[Element]:
        return [e for e in self.body if any(p.page == page for p in e.prov)]


class DocumentPart(BaseModel):
    """A run of finished pages, as a long document is streamed: its pages and the elements
    that end on them. A Document is its header followed by its parts, concatenated."""

    pages: list[Page] = Field(default_factory=list)
    body: list[Element] = Field(default_factory=list)
    furniture: list[Element] = Field(default_factory=list)


class ConversionResult(BaseModel):
    """What converting one file gives: the document (if any), status, errors and timings."""

    source: str
    status: ConversionStatus
    document: Document | None = None
    pages: int = Field(default=0, description="pages converted (those lost to errors not counted)")
    errors: list[ConversionError] = Field(default_factory=list, description="str() of each is its one-line message")
    timings: dict[str, float] = Field(default_factory=dict)
