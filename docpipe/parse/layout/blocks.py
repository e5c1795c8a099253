"""Assemble a page's words and layout regions into labelled elements.

Geometry decides what belongs together (lines, segments, blocks, tables); the layout
model's regions and the page position decide labels. The layout model is imperfect on
invoices and scans, so it never splits or drops text, it only names it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from docpipe.document import BBox, Element, Label, Line, Origin, Provenance, Word
from docpipe.parse.layout.base import Region
from docpipe.parse.layout.lines import Segment, TextLine, group_lines, is_rtl, median_line_height
from docpipe.parse.layout.paragraphs import join_hyphenated, vocabulary
from docpipe.parse.tables.aligned import words_in
from docpipe.parse.tables.base import FoundTable
from docpipe.parse.tables.prose import label_pair, label_value_form

_VALUE = re.compile(r"^[\s$€£¥#:()+\-.,/%A-Z]{0,6}[\d][\d\s.,:/\-]*[A-Za-z%]{0,4}$")
_MONEY = re.compile(r"^(?:[A-Z]{2,3}|[$€£¥])?\s?-?\d{1,3}(?:[.,\s]?\d{3})*[.,]\d{2}$")
_CAPTION = re.compile(r"^(figure|fig\.|table|tab\.|chart|exhibit)\s*\d+[a-z]?\s*[.:\-\u2013]", re.I)
# Section numbering that opens a heading: "5.1", "2.", "A.2", "IV.", "Chapter 3", "Appendix B".
_NUMBERED = re.compile(
    r"^(?:(?:chapter|section|part|appendix|annex)\s+[\dA-Z]+[.:]?|\d{1,2}(?:\.\d{1,2}){0,3}\.?|[A-Z](?:\.\d{1,2}){1,3}\.?"
    r"|[IVX]{1,5}\.)\s+\S",
    re.I,
)
_AMOUNT = re.compile(r"[$€£¥]\s?\d|\d[.,]\d{2}(?!\d)|\b(?:EUR|USD|GBP|RM)\s?\d")
HEADING_MAX_WORDS = 16  # a heading is a short line; more is a paragraph set in bold
FURNITURE_BAND = 0.06  # top/bottom share of the page where headers and footers live
RUNNING_TITLE_BAND = 0.1  # how far down a running title set smaller than the body may sit
_PAGE_NUMBER = re.compile(r"^(page\s*)?\d+(\s*(of|/)\s*\d+)?$|\bpage\s+\d+\s+(of|/)\s+\d+\b", re.I)


@dataclass
class Block:
    segments: list[Segment] = field(default_factory=list)
    heading: bool = False  # split off the top of a paragraph as its heading (split_caps_headings)
    item: bool = False  # one item of a bulleted list (split_list_items)

    @property
    def bbox(self) -> BBox:
        return BBox.union_all([s.bbox for s in self.segments])

    @property
    def line_height(self) -> float:
        return max(s.font_height for s in self.segments)

    @property
    def bold(self) -> bool:
        return all(_bold(s) for s in self.segments)


def _bold(seg: Segment) -> bool:
    return all(w.bold for w in seg.words)


def numbering_depth(text: str) -> int:
    """How deep a heading's section number goes ("5" 1, "5.1" 2, "A.2.1" 3), 0 for none."""
    m = _NUMBERED.match(text)
    if not m:
        return 0
    head = text.split()[0].rstrip(".:")
    if head.lower() in ("chapter", "section", "part", "appendix", "annex"):
        return 1
    return head.count(".") + 1


def split_run_in_headings(line: TextLine) -> TextLine:
    """A numbered bold heading that runs into its paragraph on one line ("9.1.1 Subsubsection.
    Text ...") becomes a segment of its own, so it is labelled apart from the text."""
    out: list[Segment] = []
    for seg in line.segments:
        k = 0
        while k < len(seg.words) and seg.words[k].bold:
            k += 1
        if (
            0 < k < len(seg.words)
            and numbering_depth(" ".join(w.text for w in seg.words[: k + 1]))
            and (seg.words[k - 1].text.endswith((".", ":")))
        ):
            out += [Segment(seg.words[:k]), Segment(seg.words[k:])]
        else:
            out.append(seg)
    return TextLine(out)


def _continues_column(seg: Segment, prev: Segment, above: list[Segment], height: float) -> bool:
    """Whether `seg` is the next line of running text set right above it in its own column
    (beyond `prev`): then a label ending in ':' left of it is in another column."""
    return any(
        0 <= seg.bbox.y0 - o.bbox.y1 < 0.8 * height
        and abs(o.bbox.x0 - seg.bbox.x0) < 1.5 * height
        and o.bbox.x0 > prev.bbox.x1
        and len(o.words) >= PROSE_LINE_WORDS  # running text, not a column of values ('March 14, 2024')
        for o in above
    )


def _merge_label_values(line: TextLine, height: float, above: list[Segment] | None = None) -> TextLine:
    """Join 'Total Due:   $1,234.56' into one segment so the pair stays together (not across a
    column gutter: a paragraph's last word 'methods:' and the next column's line)."""
    segs = line.segments
    out: list[Segment] = [segs[0]]
    for s in segs[1:]:
        prev = out[-1]
        near = s.bbox.x0 - prev.bbox.x1 < 20 * height and not _continues_column(s, prev, above or [], height)
        colon_label = prev.text.rstrip().endswith(":") and len(s.words) <= 6
        label_like = len(prev.words) <= 4 and not any(ch.isdigit() for ch in prev.text)
        value_like = len(s.words) <= 4 and bool(_VALUE.match(s.text.strip()))
        # Receipts: "2 x Cappuccino ........ $7.50" - an item or label, then an amount.
        priced = len(prev.words) <= 8 and bool(_MONEY.match(s.text.strip())) and not _MONEY.match(prev.text.strip())
        if near and (colon_label or (label_like and value_like) or priced):
            out[-1] = Segment(prev.words + s.words)
        else:
            out.append(s)
    return TextLine(out)


# Line heights of one paragraph agree closely in a text layer; OCR boxes vary by a quarter.
SIMILAR_HEIGHT: dict[str, tuple[float, float]] = {"text_layer": (0.85, 1.18), "ocr": (0.75, 1.33)}


def _between(seg: Segment, last: Segment, placed: list[Segment]) -> bool:
    """Whether a segment already placed sits between `last` and `seg` in the same column."""
    return any(
        o is not last and last.bbox.y0 < o.bbox.cy < seg.bbox.y0 and o.bbox.x_overlap(seg.bbox) > 0 for o in placed
    )


def _build_blocks(lines: list[TextLine], origin: str = "text_layer") -> list[Block]:
    lo, hi = SIMILAR_HEIGHT.get(origin, SIMILAR_HEIGHT["text_layer"])
    blocks: list[Block] = []
    placed: list[Segment] = []
    for seg in sorted((s for ln in lines for s in ln.segments), key=lambda s: (s.bbox.y0, s.bbox.x0)):
        target = None
        for b in reversed(blocks):
            last = b.segments[-1]
            gap = seg.bbox.y0 - last.bbox.y1
            h = max(last.height, seg.height)
            similar = lo < seg.font_height / max(last.font_height, 1e-6) < hi  # a heading is a size step up
            aligned = abs(seg.bbox.x0 - last.bbox.x0) < 1.5 * h or seg.bbox.x_overlap(last.bbox) > 0.6 * min(
                seg.bbox.width, last.bbox.width
            )
            # A line wholly in bold after text, or text after a bold line, starts a new block:
            # headings set in the body size are told apart by their face.
            # A bold label ("Bill To:") stays with what it labels.
            bold = seg if _bold(seg) else last
            same_face = _bold(seg) == _bold(last) or not _heading_like(bold.text, True, False)
            # A bold label line ('SUPPLEMENTARY INFORMATION:') ends before a bold heading under it.
            same_face = same_face and not (_bold(seg) and _bold(last) and last.text.rstrip().endswith(":"))
            if -0.3 * h < gap < 0.8 * h and similar and aligned and same_face and not _between(seg, last, placed):
                target = b
                break
        if target is None:
            blocks.append(Block([seg]))
        else:
            target.segments.append(seg)
        placed.append(seg)
    return blocks


_CAPS_HEADING = re.compile(r"^(?:\d{1,2}(?:\.\d{1,2}){0,3}\.?\s+)?[A-Z][A-Z&/\-]+(?:\s+[A-Z][A-Z&/\-]*){0,5}:?$")
PROSE_LINE_WORDS = 6  # a line of running text under a heading holds at least this many words


def split_caps_headings(blocks: list[Block]) -> list[Block]:
    """A line in capitals ('ABSTRACT', 'CCS CONCEPTS', '4 ANNOTATION CAMPAIGN') set tight above a
    paragraph is that paragraph's heading: scans carry no bold to tell it by, and the line
    spacing under it is the body's, so it was taken into the block."""
    out: list[Block] = []
    for b in blocks:
        first = b.segments[0]
        if (
            len(b.segments) >= 2
            and _CAPS_HEADING.match(first.text.strip())
            and sum(ch.isalpha() for ch in first.text) >= 3
            and len(b.segments[1].words) >= PROSE_LINE_WORDS
            and first.bbox.width < 0.7 * b.bbox.width
        ):
            out += [Block([first], heading=True), Block(b.segments[1:])]
        else:
            out.append(b)
    return out


BULLETS = "•◦▪▫‣●○■□–-*·"
INDENT = 0.5  # line heights a line may start off an item's bullet or text and still carry it on


def _bulleted(seg: Segment) -> bool:
    first = seg.words[0].text
    return first[:1] in BULLETS and (len(first) == 1 or first[0] in "•◦▪▫‣●○■□")


def split_list_items(blocks: list[Block]) -> list[Block]:
    """A block whose lines open with bullets is a list: one item per bullet line with the lines
    under it, up to a line that opens a paragraph (_after_list) and on to the next bullet."""
    out: list[Block] = []
    for b in blocks:
        starts = [i for i, seg in enumerate(b.segments) if _bulleted(seg)]
        if not starts or b.heading:
            out.append(b)
            continue
        if starts[0] > 0:
            out.append(Block(b.segments[: starts[0]]))
        h = b.line_height
        for k, i in enumerate(starts):
            end = starts[k + 1] if k + 1 < len(starts) else len(b.segments)
            tail = next((j for j in range(i + 1, end) if _after_list(b, i, j, h)), end)
            out.append(Block(b.segments[i:tail], item=True))
            if tail < end:
                out.append(Block(b.segments[tail:end]))
    return out


def _after_list(b: Block, item: int, j: int, h: float) -> bool:
    """Whether line j of a block no longer carries on the bulleted line `item` above it: it starts
    neither under the bullet, nor under the item's text, nor at the block's edge (a paragraph's
    first-line indent), or the line before it ends a sentence short of the right edge and it
    opens a new one."""
    first, seg, prev = b.segments[item], b.segments[j], b.segments[j - 1]
    edges = [first.bbox.x0, b.bbox.x0] + [w.bbox.x0 for w in first.words[1:2]]
    if min(abs(seg.bbox.x0 - e) for e in edges) > INDENT * h:
        return True
    ended = prev.text.rstrip().endswith((".", "!", "?")) and prev.bbox.x1 < b.bbox.x1 - 0.15 * b.bbox.width
    return ended and seg.text[:1].isupper()


def _unbulleted(text: str) -> str:
    """An item's text without its bullet (Markdown and HTML give their own)."""
    head, _, rest = text.partition(" ")
    return rest if len(head) == 1 and head in BULLETS else text.lstrip("•◦▪▫‣●○■□")


def _region_label(box: BBox, regions: list[Region]) -> Label | None:
    best: tuple[float, Label] | None = None
    for r in regions:
        share = box.intersection(r.bbox) / max(box.area, 1e-6)
        if share > 0.5 and (best is None or share > best[0]):
            best = (share, r.label)
    return best[1] if best else None


def _label_block(b: Block, regions: list[Region], page_h: float, body_h: float, page_no: int) -> Label:
    box = b.bbox
    n_lines = len(b.segments)
    region = _region_label(box, regions)
    text = " ".join(s.text for s in b.segments)
    if n_lines <= 2 and box.y0 > (1 - FURNITURE_BAND) * page_h:
        return "page_footer"
    # 'Page 7' alone near the foot of the page, above the bottom band (forms leave a wide margin).
    if n_lines == 1 and box.y0 > (1 - RUNNING_TITLE_BAND) * page_h and _PAGE_NUMBER.match(text.strip()):
        return "page_footer"
    # Invoices start near the top edge, so a header needs more than its position.
    if (
        n_lines == 1
        and box.y1 < FURNITURE_BAND * page_h
        and (region == "page_header" or b.line_height < 0.9 * body_h or _PAGE_NUMBER.search(text))
    ):
        return "page_header"
    # A running title set small above the text reaches lower (ACM's sits at 8% of the page):
    # by position and size alone, so a one- or two-page document loses it too.
    if n_lines == 1 and box.y1 < RUNNING_TITLE_BAND * page_h and b.line_height < 0.85 * body_h:
        return "page_header"
    if region == "caption" or (n_lines <= 3 and _CAPTION.match(text)):
        return "caption"
    if n_lines <= 3 and b.line_height >= 1.6 * body_h:
        return "title" if page_no == 1 and box.y0 < 0.4 * page_h else "section_header"
    if n_lines <= 2 and (b.line_height >= 1.15 * body_h or region == "section_header"):
        return "section_header"
    if n_lines <= 2 and _heading_like(text, b.bold, b.line_height >= 1.05 * body_h):
        return "section_header"
    return "text"


def _heading_like(text: str, bold: bool, larger: bool) -> bool:
    """A short line in bold, or numbered and bold or larger: a heading in the body's size."""
    words = text.split()
    if not words or len(words) > HEADING_MAX_WORDS or not any(ch.isalpha() for ch in text):
        return False
    if text.rstrip().endswith((",", ";")) or sum(ch.isdigit() for ch in text) > 0.5 * len(text.replace(" ", "")):
        return False
    if _AMOUNT.search(text):  # "Total Due $926.64" in bold is a total, not a heading
        return False
    return (bool(numbering_depth(text)) and (bold or larger)) or (bold and not text.rstrip().endswith(":"))


def heading_level(label: Label, text: str, line_height: float, body_h: float) -> int | None:
    """h1 for the title; numbered headings by their depth ("2" h2, "2.1" h3, "2.1.1" h4); others
    by their size over the body's."""
    if label == "title":
        return 1
    if label != "section_header":
        return None
    depth = numbering_depth(text)
    if depth:
        return min(4, depth + 1)
    return 2 if line_height >= 1.3 * body_h else 3


def _lines_of(segments: list[Segment], texts: list[str]) -> list[Line]:
    return [Line(text=t, bbox=s.bbox, words=s.words) for s, t in zip(segments, texts, strict=True)]


def _line_texts(segments: list[Segment], vocab: set[str]) -> list[str]:
    """Each line's text with hyphenated words joined (a line that held only the rest of a
    word is left empty)."""
    return join_hyphenated([s.text for s in segments], vocab)


def _without(lines: list[TextLine], taken: set[int]) -> list[TextLine]:
    """The lines less the words tables took (lines left empty dropped)."""
    out: list[TextLine] = []
    for ln in lines:
        if not any(id(w) in taken for s in ln.segments for w in s.words):
            out.append(ln)
            continue
        kept = [ws for s in ln.segments if (ws := [w for w in s.words if id(w) not in taken])]
        if kept:
            out.append(TextLine([Segment(ws) for ws in kept]))
    return out


def _pair_form_lines(
    lines: list[TextLine], words: list[Word], regions: list[Region], tables: list[FoundTable]
) -> list[TextLine]:
    """In a layout table region that is a label/value form (tables/prose.py; no table was made
    of it), each bold label and the plain value beside it become one run: the form reads row by
    row, label then value, where two columns of runs would read all labels, then all values."""
    forms = [
        r.bbox
        for r in regions
        if r.label == "table"
        and not any(t.bbox.intersection(r.bbox) > 0 for t in tables)
        and label_value_form(words_in(words, r.bbox))
    ]
    if not forms:
        return lines
    out: list[TextLine] = []
    pair: tuple[list[Word], list[Word], Segment] | None = None  # the last pair's label, value, label run
    for ln in lines:
        box = ln.bbox
        in_form = any(box.intersection(f) > 0.5 * box.area for f in forms)
        if in_form and label_pair(ln):
            label, value = ln.segments[0].words, [w for s in ln.segments[1:] for w in s.words]
            pair = (list(label), value, ln.segments[0])
            out.append(TextLine([Segment(pair[0] + value)]))
            continue
        if in_form and pair is not None and _label_goes_on(ln, pair[2]):
            # The label wraps onto a line of its own: its words join the label, before the value.
            pair[0].extend(ln.segments[0].words)
            out[-1] = TextLine([Segment(pair[0] + pair[1])])
            continue
        pair = None
        out.append(ln)
    return out


def _label_goes_on(ln: TextLine, label: Segment) -> bool:
    """A line that only carries on a form's bold label: one bold run right under it, starting at
    the label's edge (its right edge in a right-to-left line)."""
    if len(ln.segments) != 1 or not _bold(ln.segments[0]):
        return False
    seg, h = ln.segments[0], label.font_height
    rtl = is_rtl(seg.words)
    edge = abs(seg.bbox.x1 - label.bbox.x1) if rtl else abs(seg.bbox.x0 - label.bbox.x0)
    return 0 <= seg.bbox.y0 - label.bbox.y1 < 0.8 * h and edge < 1.5 * h


def assemble_page(
    words: list[Word],  # points
    regions: list[Region],  # points
    tables: list[FoundTable],  # the table engine's, from these words
    page_no: int,
    page_h: float,
    origin: Origin,
) -> list[Element]:
    """Elements of one page, unordered; ids are set later by the document stage."""
    elements: list[Element] = [
        Element(
            id="",
            label="table",
            text=t.table.text(),
            prov=[Provenance(page=page_no, bbox=t.bbox)],
            confidence=min((w.confidence for w in t.words), default=1.0),
            origin=origin,
            lines=[
                Line(
                    text=" ".join(s.text for s in ln.segments),
                    bbox=ln.bbox,
                    words=[w for s in ln.segments for w in s.words],
                )
                for ln in t.lines
            ],
            table=t.table,
        )
        for t in tables
    ]
    # The body line height is measured over the text lines and the tables set in body type.
    apart = {id(w) for t in tables if not t.body_text for w in t.words}
    lines = group_lines([w for w in words if id(w) not in apart])
    body_h = median_line_height(lines)
    kept = _pair_form_lines(_without(lines, {id(w) for t in tables for w in t.words}), words, regions, tables)
    rest = [
        split_run_in_headings(_merge_label_values(ln, body_h, [s for o in kept[max(0, i - 3) : i] for s in o.segments]))
        for i, ln in enumerate(kept)
    ]
    vocab = vocabulary([w.text for w in words])
    for b in split_list_items(split_caps_headings(_build_blocks(rest, origin))):
        label: Label = "section_header" if b.heading else _label_block(b, regions, page_h, body_h, page_no)
        label = "list_item" if b.item and label == "text" else label
        texts = _line_texts(b.segments, vocab)
        if label == "list_item":
            texts[0] = _unbulleted(texts[0])
        text = "\n".join(t for t in texts if t)
        elements.append(
            Element(
                id="",
                label=label,
                level=heading_level(label, text, b.line_height, body_h),
                text=text,
                prov=[Provenance(page=page_no, bbox=b.bbox)],
                confidence=min(s.confidence for s in b.segments),
                origin=origin,
                lines=_lines_of(b.segments, texts),
            )
        )
    for r in regions:  # figures carry no words but are part of the page
        if r.label == "figure" and not any(e.bbox.intersection(r.bbox) > 0.3 * r.bbox.area for e in elements):
            elements.append(
                Element(
                    id="",
                    label="figure",
                    text="",
                    prov=[Provenance(page=page_no, bbox=r.bbox)],
                    confidence=r.score,
                    origin=origin,
                )
            )
    return elements
