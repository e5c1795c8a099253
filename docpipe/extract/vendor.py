"""The vendor: the first prominent name near the top of page 1, and the address lines under it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from statistics import median

from docpipe.document import BBox, Document, Element, Line
from docpipe.extract.labels import CONTACT, DOC_TYPE, PARTY
from docpipe.extract.normalize import find_dates, find_money
from docpipe.extract.pairs import line_confidence

TOP_SHARE = 0.45  # the vendor is named in the top part of the first page
MAX_ADDRESS_LINES = 3
_COMPANY = re.compile(
    r"\b(?:inc|llc|ltd|limited|gmbh|ag|kg|co|corp|corporation|company|sdn\s+bhd|bhd|plc|s\.?a|s\.?a\.?r\.?l"
    r"|b\.?v|pty|oy|ab|srl|spa|llp|group)\b\.?",
    re.I,
)

# "Invoice Date: ..." is a labelled field, not an address; "88 Pine Street : Austin" (a
# letterhead's separator dot read as a colon) still is one.
_LABELLED = re.compile(r"^\s*[^\W\d_][^:\d]{0,30}:")
_SEPARATOR = re.compile(r"\s+[·•|]\s+")

_CONNECTORS = frozenset({"and", "of", "the", "und", "de", "du", "des", "la", "le", "y", "e", "&"})


@dataclass(frozen=True)
class VendorLines:
    name: Line
    address: list[Line]
    confidence: float


def _is_sentence(text: str) -> bool:
    """Prose, not a name: it ends like a sentence or runs on in lower case."""
    if re.search(r"[.!?]$", text) and not _COMPANY.search(text):
        return True
    lower = [w for w in text.split()[1:] if w[:1].islower() and w not in _CONNECTORS]
    return len(lower) >= 2


def _is_name(text: str) -> bool:
    t = text.strip()
    return (
        len(re.findall(r"[^\W\d_]", t)) >= 2
        and len(t.split()) <= 8
        and not _is_sentence(t)
        and ":" not in t
        and not DOC_TYPE.match(t)
        and not PARTY.match(t)
        and not CONTACT.search(t)
        and not find_money(t)
        and not find_dates(t)
    )


def _is_address(text: str) -> bool:
    t = text.strip()
    letters = len(re.findall(r"[^\W\d_]", t))  # a bare phone number is no address line
    return (
        letters >= 2
        and not _LABELLED.match(t)
        and not (DOC_TYPE.match(t) or PARTY.match(t) or CONTACT.search(t) or find_money(t) or find_dates(t))
    )


def _candidates(doc: Document) -> list[Element]:
    height = doc.pages[0].height if doc.pages else 792.0
    body = [e for e in doc.body if e.page == 1 and e.lines and e.label not in ("table", "figure")]
    top = [e for e in body if e.bbox.y0 < TOP_SHARE * height]
    if top:
        return top
    # Nothing in the body up there: a letterhead the layout called a page header.
    return [e for e in doc.furniture if e.page == 1 and e.label == "page_header" and e.lines]


def _blocks_under(top: Element, elements: list[Element], name_height: float) -> list[Line]:
    """Lines of the blocks stacked under `top`, each starting within a line or two of the one
    above (a scan's tight leading may even overlap it a little) and overlapping it sideways."""
    lines: list[Line] = []
    above = top
    while len(lines) < MAX_ADDRESS_LINES:
        gap = 2.5 * (name_height if above is top else above.lines[-1].bbox.height)
        under = [
            n
            for n in elements
            if n is not above
            and n is not top
            and -0.5 * above.lines[-1].bbox.height < n.bbox.y0 - above.bbox.y1 < gap
            and n.bbox.x_overlap(above.bbox) > 0
            and n.bbox.y0 > above.bbox.y0
        ]
        if not under:
            break
        above = min(under, key=lambda n: n.bbox.y0)
        lines += above.lines
    return lines


def find_vendor(doc: Document) -> VendorLines | None:
    """Score each element's first line: a heading, a company suffix and a larger font count
    for it, lateness in reading order against it."""
    elements = _candidates(doc)
    heights = [ln.bbox.height for e in elements for ln in e.lines]
    body_h = median(heights) if heights else 10.0
    best: tuple[float, Element] | None = None
    k = 0
    for e in elements:
        first = e.lines[0]
        if not _is_name(first.text):
            continue
        size = min(2.0, max(0.0, first.bbox.height / body_h - 1))
        score = 3.0 * (e.label in ("title", "section_header")) + 2.0 * bool(_COMPANY.search(first.text))
        score += 1.5 * size - 1.0 * k
        k += 1
        if best is None or score > best[0]:
            best = (score, e)
    if best is None:
        return None
    e = best[1]
    name = e.lines[0]
    rest = list(e.lines[1:])
    if not rest:  # the address is often its own block(s) right under the name (not next in reading order)
        rest = _blocks_under(e, elements, name.bbox.height)
    address: list[Line] = []
    for ln in rest[:MAX_ADDRESS_LINES]:
        if not _is_address(ln.text):
            break
        address.append(ln)
    return VendorLines(name, address, line_confidence(name))


def address_text(lines: list[Line]) -> str:
    # A one-line letterhead address separates its parts with a dot or bar: print commas.
    return ", ".join(_SEPARATOR.sub(", ", ln.text.strip().rstrip(",")) for ln in lines)


def address_box(lines: list[Line]) -> BBox:
    return BBox.union_all([ln.bbox for ln in lines])
