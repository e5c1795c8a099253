"""The vendor: the first prominent name near the top of page 1, and the address lines under it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from statistics import median

from docpipe.document import BBox, Document, Element, Line
from docpipe.extract.labels import CONTACT, DOC_TYPE, DUE_DATE, INVOICE_DATE, INVOICE_NUMBER, PARTY, TOTAL
from docpipe.extract.normalize import find_dates, find_money
from docpipe.extract.pairs import line_confidence, word_offsets

TOP_SHARE = 0.45  # the vendor is named in the top part of the first page
MAX_ADDRESS_LINES = 3
COMPANY = re.compile(
    r"\b(?:inc|llc|ltd|limited|gmbh|ag|kg|kgaa|ohg|gbr|ug|e\.\s?v|a\.\s?g|co|corp|corporation|company|sdn\.?\s*bhd|bhd"
    r"|s/b|plt|plc|s\.?a|s\.?a\.?s|s\.?a\.?r\.?l|sarl|b\.?v|n\.?v|pty|pvt|oy|ab|srl|spa|llp|group|enterprises?"
    r"|trading|industries|holdings)\b\.?",
    re.I,
)
# Suffixes only a registered company carries (not a trading name's CO, ENTERPRISE, TRADING).
LEGAL_ENTITY = re.compile(
    r"\b(?:inc|llc|ltd|limited|gmbh|ag|kg|kgaa|ohg|ug|e\.\s?v|a\.\s?g|corp|sdn\.?\s*bhd|bhd|s/b|plt|plc|s\.?a\.?s"
    r"|s\.?a\.?r\.?l|sarl|b\.?v|n\.?v|pty|pvt|srl|spa|llp)\b\.?",
    re.I,
)
# "Verkäufer:" / "Seller" alone on a line: the issuer's block follows.
_SELLER = re.compile(
    r"^\s*(?:verkäufer|lieferant|rechnungs(?:er)?steller|leistungserbringer|seller|supplier|vendor|issuer|from"
    r"|vendeur|fournisseur|émetteur|emetteur|leverancier|verkoper|absender)\s*:?\s*$",
    re.I,
)
# Labels of the customer's block ("Käufer/Leistungsempfänger:", "Facturé à", "Cobrar a").
RECIPIENT = re.compile(
    r"^\s*(?:käufer|leistungsempfänger|rechnungsempfänger|empfänger|destinataire|adresse\s+de\s+facturation"
    r"|factur[ée]e?\s+[àa]|livr[ée]e?\s+[àa]|cobrar\s+a|facturar\s+a|klant|afnemer|buyer|purchaser)\b",
    re.I,
)
_ID_LINE = re.compile(r"^\s*(?:gln|iln|duns|lief-?nr|kd-?nr|nummer|number|no\.?|nr\.?)\b", re.I)
_NAMED = re.compile(r"^\s*(?:name|firma|company|raison\s+sociale|naam)\s*:\s*(\S.*)$", re.I)
# "Hetzner Online GmbH • Industriestr. 25 • 91710 Gunzenhausen": the sender line over the window.
_SENDER_SEP = re.compile(r"\s+[·•●|∙]\s+|\s+[-–]\s+(?=\S*\d)")
SEATS = 5  # lines after a seller label that may hold the name

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
    if re.search(r"[.!?]$", text) and not COMPANY.search(text):
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
    body = [e for e in doc.body if e.page == 1 and e.lines and e.label != "figure"]  # a header block may be a table
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


def sub_line(line: Line, start: int, end: int) -> Line:
    """The words of `line` within text[start:end] as a line of their own."""
    offsets = word_offsets(line)
    words = [w for s, e, w in offsets or [] if s < end and e > start]
    text = line.text[start:end].strip()
    if not words:
        return Line(text=text, bbox=line.bbox, words=[])
    return Line(text=text, bbox=BBox.union_all([w.bbox for w in words]), words=words)


def join_lines(lines: list[Line]) -> Line:
    if len(lines) == 1:
        return lines[0]
    return Line(
        text=" ".join(ln.text.strip() for ln in lines),
        bbox=BBox.union_all([ln.bbox for ln in lines]),
        words=[w for ln in lines for w in ln.words],
    )


def upright(e: Element, page_width: float) -> bool:
    """Not a narrow column of letters (text printed sideways along the margin)."""
    return e.bbox.width > 0.04 * page_width or e.bbox.width > e.bbox.height


def _top_lines(doc: Document) -> list[tuple[Line, Element]]:
    width = doc.pages[0].width if doc.pages else 612.0
    return [(ln, e) for e in _candidates(doc) if upright(e, width) for ln in e.lines]


def _address_after(lines: list[tuple[Line, Element]], i: int) -> list[Line]:
    out: list[Line] = []
    for ln, _ in lines[i + 1 : i + 1 + MAX_ADDRESS_LINES]:
        if not _is_address(ln.text):
            break
        out.append(ln)
    return out


def _seller_block(lines: list[tuple[Line, Element]]) -> VendorLines | None:
    """A "Verkäufer:" / "Seller" label: the issuer's name is the next name line under it, or
    its "Name:" line."""
    for i, (label, _) in enumerate(lines):
        if not _SELLER.match(label.text):
            continue
        for j in range(i + 1, min(len(lines), i + 1 + SEATS)):
            ln = lines[j][0]
            if ln.bbox.y0 < label.bbox.y0 or not -label.bbox.height * 3 < ln.bbox.x0 - label.bbox.x0 < 150:
                continue
            if PARTY.match(ln.text) or RECIPIENT.match(ln.text) or _SELLER.match(ln.text):
                break
            if m := _NAMED.match(ln.text):
                name = sub_line(ln, m.start(1), m.end(1))
                return VendorLines(name, _address_after(lines, j), 0.9 * line_confidence(ln))
            if _is_name(ln.text) and not _ID_LINE.match(ln.text):
                return VendorLines(ln, _address_after(lines, j), 0.9 * line_confidence(ln))
    return None


def _sender_line(lines: list[tuple[Line, Element]], page_height: float) -> VendorLines | None:
    """The one-line return address printed over the envelope window names the issuer first."""
    for ln, _ in lines:
        if ln.bbox.y0 > 0.4 * page_height:
            continue
        parts = [m for m in re.finditer(r"[^·•●|∙]+", ln.text) if m.group(0).strip()]
        if len(parts) < 2:
            parts = [m for m in re.finditer(r"(?:(?!\s[-–]\s).)+", ln.text) if m.group(0).strip()]
            if len(parts) < 3:
                continue
        first = parts[0].group(0).strip()
        named = COMPANY.search(first) and (_is_name(first) or (len(first.split()) <= 6 and ":" not in first))
        if named and any(re.search(r"\d", p.group(0)) for p in parts[1:]) and not CONTACT.search(first):
            s = parts[0].start() + len(parts[0].group(0)) - len(parts[0].group(0).lstrip())
            return VendorLines(sub_line(ln, s, s + len(first)), [], 0.9 * line_confidence(ln))
    return None


def _in_recipient_block(lines: list[tuple[Line, Element]]) -> set[int]:
    """Lines under a "Bill to" / "Rechnungsempfänger" label: the customer's, not the issuer's."""
    held: set[int] = set()
    for i, (ln, _) in enumerate(lines):
        if PARTY.match(ln.text) or RECIPIENT.match(ln.text):
            for j in range(i, min(len(lines), i + 1 + SEATS)):
                other = lines[j][0]
                if j > i and (_SELLER.match(other.text) or other.bbox.y0 < ln.bbox.y0):
                    break
                held.add(id(other))
    return held


def _whole_name(lines: list[tuple[Line, Element]], i: int) -> Line:
    """A name broken over two lines ("MVM Musterhafter" / "Versicherungsverein ... a.G."): the
    line right under it carries the legal suffix the first lacks."""
    ln = lines[i][0]
    if i + 1 < len(lines) and not COMPANY.search(ln.text):
        nxt = lines[i + 1][0]
        close = 0 <= nxt.bbox.y0 - ln.bbox.y1 < 0.6 * ln.bbox.height and nxt.bbox.x_overlap(ln.bbox) > 0
        similar = 0.75 < nxt.bbox.height / max(ln.bbox.height, 1e-6) < 1.33
        if close and similar and COMPANY.search(nxt.text) and _is_name(nxt.text):
            return join_lines([ln, nxt])
    return ln


def _is_code_or_label(text: str) -> bool:
    """A bold "DAP" (an Incoterm) or "FECHA" (a date's label) set as a heading is no name."""
    t = text.strip()
    if len(t.split()) == 1 and len(t) <= 3:
        return True
    return any(rx.fullmatch(t.rstrip(":")) for rx in (*INVOICE_DATE, *DUE_DATE, *INVOICE_NUMBER, *TOTAL))


def find_vendor(doc: Document) -> VendorLines | None:
    """The issuer: under a seller label, else first on the sender line over the address window,
    else the best-scored first line of a block near the top (a heading, a company suffix and
    a larger font count for it, lateness in reading order against it; customers' blocks never)."""
    lines = _top_lines(doc)
    height = doc.pages[0].height if doc.pages else 792.0
    if found := _seller_block(lines) or _sender_line(lines, height):
        return found
    held = _in_recipient_block(lines)
    heights = [ln.bbox.height for ln, _ in lines]
    body_h = median(heights) if heights else 10.0
    best: tuple[float, int] | None = None
    k = 0
    seen: set[int] = set()
    for i, (first, e) in enumerate(lines):
        if id(e) in seen:
            continue  # one candidate per block: its first line
        seen.add(id(e))
        if e.label == "table" or id(first) in held or not _is_name(first.text) or _ID_LINE.match(first.text):
            continue  # a table's first line is a header row (the seller block above may still be one)
        if _is_code_or_label(first.text):
            continue
        size = min(2.0, max(0.0, first.bbox.height / body_h - 1))
        score = 3.0 * (e.label in ("title", "section_header")) + 2.0 * bool(COMPANY.search(first.text))
        score += 1.5 * size - 1.0 * k
        k += 1
        if best is None or score > best[0]:
            best = (score, i)
    if best is None:
        return None
    i = best[1]
    e = lines[i][1]
    name = _whole_name(lines, i)
    rest = [ln for ln in e.lines if ln is not lines[i][0] and ln.text not in name.text]
    if not rest:  # the address is often its own block(s) right under the name (not next in reading order)
        rest = _blocks_under(e, _candidates(doc), name.bbox.height)
    address: list[Line] = []
    for ln in rest[:MAX_ADDRESS_LINES]:
        if not _is_address(ln.text):
            break
        address.append(ln)
    return VendorLines(name, address, line_confidence(lines[i][0]))


def address_text(lines: list[Line]) -> str:
    # A one-line letterhead address separates its parts with a dot or bar: print commas.
    return ", ".join(_SEPARATOR.sub(", ", ln.text.strip().rstrip(",")) for ln in lines)


def address_box(lines: list[Line]) -> BBox:
    return BBox.union_all([ln.bbox for ln in lines])
