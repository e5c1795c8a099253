"""A receipt's header: the issuing business's name at the top and every address line under it.

A till receipt prints, top-down in one column: maybe a logo or brand, the business's legal name
(with SDN BHD, S/B, ENTERPRISE...) and its registration number, the address over a few lines,
then phone, tax registration and the receipt's title. The name is the first line with a legal
suffix before the title (else the first name-like line); the address is the first run of
address lines after it that reads like one (a street word or a postcode), ended by the first
line that is not address.
"""

from __future__ import annotations

import re

from docpipe.document import Document, Line
from docpipe.extract.labels import CONTACT, DOC_TYPE, PARTY
from docpipe.extract.normalize import find_dates, find_money
from docpipe.extract.pairs import line_confidence
from docpipe.extract.vendor import COMPANY, LEGAL_ENTITY, VendorLines, join_lines, sub_line, upright

NAME_LINES = 3  # a long name is set over at most this many lines
HEAD_LINES = 14  # the name is among the first lines, before the receipt's title
ADDRESS_REACH = 9  # lines after the name that may still hold the address
# Registration and tax lines, printed between the name and the address or right after it.
_REGISTRATION = re.compile(
    r"\b(?:co(?:mpany)?\W*(?:[rk]eg(?:istration)?\.?\s*)?(?:no|num)|co\W*[rk]eg|reg(?:istration)?\.?\s*(?:no|num)"
    r"|roc|gst|sst|tax\s+id|business\s+reg|brn|tin|ssm)\b"
    r"|^[^:]{0,25}:\s*[\w-]*\d{4,}[\w-]*\s*\)?$",
    re.I,
)
# A registration number in brackets (or bare) after the name: "(126926-H)", "(CO.NO. 1208604-T)".
_TRAILING_REG = re.compile(
    r"\s*[(\[]?\s*(?:co\.?\s*)?(?:reg\.?\s*)?(?:no\.?\s*)?[:.]?\s*\d{4,}[\s-]*[A-Za-z]?\s*[)\]]?\s*$", re.I
)
_SLOGAN = re.compile(
    r"^\s*(?:welcome|thank|terima\s+kasih|selamat|please|official\s+receipt|cash\s+(?:bill|sales?)|simplified)\b",
    re.I,
)
_PHONE = re.compile(r"\b(?:mobile|whats\s?apps?|h/?p|hp|hotline|telefon|phone|te[l1]|fax)\b|\+\d", re.I)
_ADDRESS_LABEL = re.compile(r"^\s*(?:hq\s+|head\s+office\s+)?(?:add|addr|address|alamat)\s*[:.]\s*", re.I)
_ADDRESS_EVIDENCE = re.compile(
    r"\b(?:jalan|jln|lorong|lrg|lot|no|taman|tmn|bandar|bdr|road|rd|street|st|avenue|ave|floor|flr|fl|level|lvl"
    r"|blok|block|blk|kampung|kg|persiaran|psn|lebuh|lebuhraya|plaza|mall|centre|center|kawasan|industri"
    r"|perindustrian|seksyen|section|wisma|bangunan|menara|unit|suite|shop|ground|simpang|batu|mukim|pusat"
    r"|selangor|johor|kuala|lumpur|kedah|perak|penang|pinang|pahang|melaka|malacca|sabah|sarawak|kelantan"
    r"|terengganu|negeri|sembilan|perlis|putrajaya|labuan|darul|ehsan|takzim|makmur"
    r"|lane|ln|way|drive|dr|place|pl|court|ct|boulevard|blvd|highway|hwy|square|sq|parkway|building|bldg"
    r"|stra(?:ss|ß)e|str|weg|platz|gasse|allee|rue|chemin|straat|laan|plein|calle|avenida|via|piazza)\b"
    r"|\w(?:stra(?:ss|ß)e|str\.|weg|platz|gasse|allee|straat|laan)\b|\b\d{4,6}\b"
    r"|\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b|^\s*\d{1,5}[A-Za-z]?\b[,\s]+[^\W\d_]{2,}",
    re.I,
)
_ID_ONLY = re.compile(r"^[\W\d_]*(?:[A-Za-z][\W\d_]*){0,1}$")  # "(201283-M)", "002105827328", "A04086"


def _letters(text: str) -> int:
    return len(re.findall(r"[^\W\d_]", text))


_TITLE_WORDS = re.compile(
    r"\b(?:tax\s*invoice|invoice|invois|receipt|resit|cashier|counter|table|cash\s*bill|bill\s+no|order\s+no)\b", re.I
)


def _is_title_or_end(text: str) -> bool:
    """The header ends at the receipt's title, a date or an amount."""
    return bool(
        DOC_TYPE.match(text) or PARTY.match(text) or find_dates(text) or find_money(text) or _TITLE_WORDS.search(text)
    )


def _name_like(text: str) -> bool:
    t = text.strip()
    return (
        _letters(t) >= 3
        and not _ID_ONLY.match(t)
        and not _SLOGAN.match(t)
        and not CONTACT.search(t)
        and not _REGISTRATION.search(t)
        and not _is_title_or_end(t)
        and ":" not in t
    )


def _sorted_lines(doc: Document) -> list[Line]:
    """Page 1's lines top-down (a receipt is one column; reading order can stray at its edges)."""
    width = doc.pages[0].width if doc.pages else 612.0
    lines = [ln for e in doc.body if e.page == 1 and upright(e, width) for ln in e.lines]
    lines += [ln for e in doc.furniture if e.page == 1 and e.label == "page_header" for ln in e.lines]
    return sorted(lines, key=lambda ln: (ln.bbox.y0 + ln.bbox.y1) / 2)


def _head(lines: list[Line]) -> list[Line]:
    """The lines down to the receipt's title (or a date, an amount), once a name-like line was
    seen: some tills print "TAX INVOICE" above the business's name."""
    out: list[Line] = []
    for ln in lines[:HEAD_LINES]:
        if _is_title_or_end(ln.text) and any(_name_like(o.text) for o in out):
            break
        out.append(ln)
    return out


def _without_registration(line: Line) -> Line:
    """The name alone: no registration number after it, no branch printed after its suffix
    ("EIGHT OUNCE COFFEE CO. THE GARDENS MALL")."""
    m = _TRAILING_REG.search(line.text)
    if m is not None and m.start() > 0 and _letters(line.text[: m.start()]) >= 3:
        line = sub_line(line, 0, m.start())
    last = None
    for suffix in COMPANY.finditer(line.text):
        last = suffix
    if last is not None and re.fullmatch(r"(?:\s+[A-Za-z&']+){2,}\s*", line.text[last.end() :]):
        line = sub_line(line, 0, last.end())
    return line


def _name_above(head: list[Line], i: int) -> Line | None:
    """The first half of a name set over two lines ("WESTERN EASTERN" / "STATIONERY SDN BHD"):
    right above, the same size and case, no digits."""
    if i == 0:
        return None
    ln, above = head[i], head[i - 1]
    close = ln.bbox.y0 - above.bbox.y1 < 0.6 * ln.bbox.height and above.bbox.x_overlap(ln.bbox) > 0
    similar = 0.75 < above.bbox.height / max(ln.bbox.height, 1e-6) < 1.33
    same_case = above.text.isupper() == ln.text.isupper()
    one_name = not re.search(r"\d|\s[-–|]\s", above.text)  # "SUSHI MENTAI - MAHKOTA CHERAS": brand - branch
    if close and similar and same_case and _name_like(above.text) and one_name:
        return above
    return None


def _name_below(head: list[Line], i: int) -> Line | None:
    """The end of a name set over several lines: "ENTERPRISE (SETIA" / "ALAM) SDN BHD"."""
    if i + 1 >= len(head):
        return None
    ln, below = head[i], head[i + 1]
    close = below.bbox.y0 - ln.bbox.y1 < 0.6 * ln.bbox.height and below.bbox.x_overlap(ln.bbox) > 0
    similar = 0.75 < below.bbox.height / max(ln.bbox.height, 1e-6) < 1.33
    open_bracket = ln.text.count("(") > ln.text.count(")")
    if close and similar and (open_bracket or COMPANY.search(below.text)) and _name_like(below.text):
        return below
    return None


def _core(text: str) -> str:
    """The text without a registration number after it."""
    m = _TRAILING_REG.search(text)
    return text[: m.start()] if m is not None and m.start() > 0 else text


def _plain(text: str) -> bool:
    """A name with its suffix: not a suffix alone ("Company No:256628-W" is a registration line)."""
    core = _core(text)
    named = _letters(COMPANY.sub(" ", core)) >= 3
    return named and not (_SLOGAN.match(core) or _REGISTRATION.search(core) or CONTACT.search(core))


def _find_name(head: list[Line]) -> tuple[int, Line] | None:
    """A legal entity's suffix (SDN BHD, GmbH) first, a trading name's (CO, ENTERPRISE) next,
    else the first name-like line: "AMPHAWA THAI TEA & CO." is the brand of the company that
    the next line says owns it ("Dimiliki oleh T PLUS F&B SDN. BHD.")."""
    for suffix in (LEGAL_ENTITY, COMPANY):
        for i, ln in enumerate(head):
            if suffix.search(_core(ln.text)) and _plain(ln.text):
                parts = [ln]
                k = i
                while len(parts) < NAME_LINES and (above := _name_above(head, k)) is not None:
                    parts.insert(0, above)  # "AIK HUAT HARDWARE" / "ENTERPRISE (SETIA" / "ALAM) SDN BHD"
                    k -= 1
                if (below := _name_below(head, i)) is not None:
                    parts.append(below)
                return i, _without_registration(join_lines(parts))
    for i, ln in enumerate(head):
        if _name_like(ln.text):
            return i, _without_registration(ln)
    return None


def _is_address_line(text: str) -> bool:
    t = _ADDRESS_LABEL.sub("", text)
    return (
        _letters(t) >= 2
        and not _ID_ONLY.match(t)
        and not CONTACT.search(t)
        and not _PHONE.search(t)
        and not _REGISTRATION.search(t)
        and not _SLOGAN.match(t)
        and not _is_title_or_end(t)
    )


def _address_line(line: Line) -> Line:
    m = _ADDRESS_LABEL.match(line.text)
    return sub_line(line, m.end(), len(line.text)) if m else line


_TIME = re.compile(r"\b\d{1,2}[:.]\d{2}(?:[:.]\d{2})?(?:\s*[ap]\.?m\.?)?\b", re.I)


def _lone_date(text: str) -> bool:
    """A date (and its time) printed alone: "09 May 2018 18.24" is no amount."""
    dates = find_dates(text)
    if not dates or DOC_TYPE.match(text):
        return False
    rest = text
    for d in reversed(dates):
        rest = rest[: d.start] + " " + rest[d.end :]
    return not find_money(_TIME.sub(" ", rest))


ADDRESS_GAP = 1.5  # line heights of blank paper that end the address block


def _find_address(after: list[Line]) -> list[Line]:
    """The first run of address lines that reads like an address; registration and contact
    lines before it are skipped, and a run without a street word or postcode (a branch
    name) is dropped. Blank paper under the run ends it: the address is printed as a block."""
    run: list[Line] = []
    for ln in after[:ADDRESS_REACH]:
        if run and ln.bbox.y0 - run[-1].bbox.y1 > ADDRESS_GAP * run[-1].bbox.height:
            if any(_ADDRESS_EVIDENCE.search(r.text) for r in run):
                break
            run = []
        if _is_address_line(ln.text):
            run.append(_address_line(ln))
            continue
        if run and any(_ADDRESS_EVIDENCE.search(r.text) for r in run):
            break
        run = []
        if _is_title_or_end(ln.text) and not _REGISTRATION.search(ln.text) and not _lone_date(ln.text):
            break
    return run if any(_ADDRESS_EVIDENCE.search(r.text) for r in run) else []


def _address_above(above: list[Line]) -> list[Line]:
    """Below the title and the brand ("BHPetrol Permas Jaya 2"), from the first line that
    reads like an address."""
    ends = [k for k, ln in enumerate(above) if _is_title_or_end(ln.text)]
    run = _find_address(above[ends[-1] + 1 :] if ends else above)
    first = next((k for k, ln in enumerate(run) if _ADDRESS_EVIDENCE.search(ln.text)), len(run))
    return run[first:]


def _squeezed(text: str) -> str:
    return re.sub(r"[\W_]+", "", text).upper()


def _fuller_name(name: Line, after: list[Line]) -> Line | None:
    """The name printed again before the address with the outlet after it ("DOMINO'S PIZZA" /
    "DOMINO'S PIZZA TAMAN UNIVERSITI"): the fuller line names the business that issued it."""
    core = _squeezed(name.text)
    for ln in after:
        if _is_title_or_end(ln.text) and not _REGISTRATION.search(ln.text) and not _lone_date(ln.text):
            break
        text = _squeezed(_core(ln.text))
        if len(core) >= 4 and text.startswith(core) and len(text) > len(core) and _name_like(ln.text):
            return ln
    return None


def find_receipt_header(doc: Document) -> VendorLines | None:
    lines = _sorted_lines(doc)
    head = _head(lines)
    found = _find_name(head)
    if found is None:
        return None
    i, name = found
    at = lines.index(head[i])
    if (fuller := _fuller_name(name, lines[at + 1 : at + 1 + ADDRESS_REACH])) is not None:
        name, at = _without_registration(fuller), lines.index(fuller)
    # the address under the name; printed above it (between the brand and the name) otherwise
    address = _find_address(lines[at + 1 :]) or _address_above(head[:i])
    return VendorLines(name, address, line_confidence(head[i]))
