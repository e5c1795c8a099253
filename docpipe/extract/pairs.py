"""Label → value pairs by position, over the lines of a document in reading order.

A value is looked for after its label in the same run of words, then in the next run on
the same line (label left, value right-aligned), then in the nearest box to the right on
the same baseline, then directly below the label. Every hit keeps the box of the words
that hold the value, so provenance points at the value, not at its label.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import pairwise
from statistics import median
from typing import Any

from docpipe.document import BBox, Document, Element, Line, Word

SEGMENT_GAP = 1.1  # a gap wider than this many word heights separates two runs (as in layout)
WHERE_FACTOR = {"same": 1.0, "next": 0.97, "right": 0.93, "below": 0.85}
_LABEL_LIKE = re.compile(r"^\s*[^\d:]{1,32}:")  # "Due Date:" - a box that starts with its own label
_PROSE = re.compile(r"[^\W\d_]{2,}(?:\W+[^\W\d_]{2,}){2}")  # three words in a row
_OTHER_LABEL = re.compile(r"[^\W\d_]{2,}[^:]*:")
# "Total (RM):", "Total Incl. GST:": a currency or a tax named inside the label does not make it a longer label.
_UNITS = re.compile(
    r"\(?\b(?:rm|myr|usd|eur|sgd|gbp|inr|aud|gst|sst|cst|vat|tax|mwst|tva|ttc|ht|incl|inkl|inclusive|exkl)\b\.?\)?",
    re.I,
)

# A parser finds a value in a text: (value, start, end) of its span, or None.
Parser = Callable[[str], tuple[Any, int, int] | None]


@dataclass(frozen=True)
class PlacedLine:
    """A line with the page it is on and its element; `order` is its reading-order index."""

    line: Line
    page: int
    element: Element
    order: int

    @property
    def text(self) -> str:
        return self.line.text

    @property
    def bbox(self) -> BBox:
        return self.line.bbox


SIDEWAYS = 2.5  # a word this many times taller than wide is printed along the margin


def _sideways(w: Word, height: float) -> bool:
    return w.bbox.height > SIDEWAYS * max(w.bbox.width, 1e-6) and w.bbox.height > 1.5 * height


def _as_line(words: list[Word]) -> Line:
    words = sorted(words, key=lambda w: w.bbox.x0)
    return Line(text=" ".join(w.text.strip() for w in words), bbox=BBox.union_all([w.bbox for w in words]), words=words)


def split_rows(line: Line) -> list[Line]:
    """A line whose words sit on rows that do not touch is several lines: a word printed
    sideways in the margin, as tall as two rows, makes the layout merge them ("Steuerbasisbetrag
    ... Rechnungssumme Brutto ... 235,62 37,62"). The line itself when it is one row."""
    words = [w for w in line.words if w.text.strip()]
    if len(words) < 2:
        return [line]
    height = median(w.bbox.height for w in words)
    margin = [w for w in words if _sideways(w, height)]
    upright = [w for w in words if not _sideways(w, height)]
    rows: list[list[Word]] = []
    bottom = -1e9
    for w in sorted(upright, key=lambda w: w.bbox.y0):
        if rows and w.bbox.y0 < bottom:
            rows[-1].append(w)
        else:
            rows.append([w])
        bottom = max(bottom, w.bbox.y1) if len(rows[-1]) > 1 else w.bbox.y1
    if len(rows) < 2:
        return [line]
    return [_as_line(r) for r in rows] + ([_as_line(margin)] if margin else [])


SPACED_RUN = 3  # single characters in a row that make a letter-spaced word
SPACED_GAP = 0.35  # word heights: closer than this, two characters are one word


def unspaced(line: Line) -> Line:
    """Letter-spaced print ("D a t e : 2 7 / 1 0 / 2 0 1 7"), which OCR returns a character
    at a time, as the words it spells: runs of single characters that nearly touch are joined.
    The line itself when it has no such run."""
    words = [w for w in line.words if w.text.strip()]
    groups: list[list[Word]] = []
    for w in words:
        prev = groups[-1][-1] if groups else None
        close = prev is not None and w.bbox.x0 - prev.bbox.x1 < SPACED_GAP * max(prev.bbox.height, w.bbox.height)
        if close and len(w.text.strip()) == 1 and all(len(p.text.strip()) == 1 for p in groups[-1]):
            groups[-1].append(w)
        else:
            groups.append([w])
    if not any(len(g) >= SPACED_RUN for g in groups):
        return line
    joined: list[Word] = []
    for g in groups:
        if len(g) < SPACED_RUN:
            joined += g
            continue
        text, box = "".join(w.text.strip() for w in g), BBox.union_all([w.bbox for w in g])
        joined.append(Word(text=text, bbox=box, confidence=min(w.confidence for w in g)))
    return Line(text=" ".join(w.text.strip() for w in joined), bbox=line.bbox, words=joined)


def placed_lines(doc: Document) -> list[PlacedLine]:
    out: list[PlacedLine] = []
    for e in doc.body:
        for ln, page in zip(e.lines, e.line_pages(), strict=True):
            for row in split_rows(ln):
                out.append(PlacedLine(unspaced(row), page, e, len(out)))
    return out


def line_confidence(line: Line) -> float:
    return min((w.confidence for w in line.words), default=1.0)


def word_offsets(line: Line) -> list[tuple[int, int, Word]] | None:
    """Each word's character span in `line.text`; None when words and text disagree."""
    out: list[tuple[int, int, Word]] = []
    pos = 0
    for w in line.words:
        t = w.text.strip()
        if not t:
            continue
        i = line.text.find(t, pos)
        if i < 0:
            return None
        out.append((i, i + len(t), w))
        pos = i + len(t)
    return out or None


def span_box(line: Line, start: int, end: int) -> tuple[BBox, float]:
    """Box and confidence of the words covering text[start:end]; the whole line's if unknown."""
    offsets = word_offsets(line)
    if offsets:
        words = [w for s, e, w in offsets if s < end and e > start]
        if words:
            return BBox.union_all([w.bbox for w in words]), min(w.confidence for w in words)
    return line.bbox, line_confidence(line)


def segments(line: Line) -> list[tuple[int, int]]:
    """Character ranges of the runs of words in a line, split at wide gaps."""
    offsets = word_offsets(line)
    if not offsets:
        return [(0, len(line.text))]
    height = median(w.bbox.height for _, _, w in offsets) or 1.0
    out = [[offsets[0][0], offsets[0][1]]]
    for (_, _, prev), (s, e, w) in pairwise(offsets):
        if w.bbox.x0 - prev.bbox.x1 > SEGMENT_GAP * height:
            out.append([s, e])
        else:
            out[-1][1] = e
    out[-1][1] = len(line.text)
    for i in range(len(out) - 1):  # keep trailing spaces with the earlier run
        out[i][1] = out[i + 1][0]
    return [(s, e) for s, e in out]


@dataclass(frozen=True)
class Label:
    """Where a label pattern matched: the line, the match span, its run, its rank."""

    placed: PlacedLine
    start: int
    end: int
    segment: tuple[int, int]
    rank: int

    @property
    def box(self) -> BBox:
        return span_box(self.placed.line, self.start, self.end)[0]


def _words_end(text: str, start: int, end: int) -> int:
    """Where the label's words stop: at the colon or the first digit ("Date of delivery 10.11."
    is a delivery date, though its label starts with "Date")."""
    m = re.search(r"[\d:]", text[start:end])
    return start + m.start() if m else end


def iter_labels(
    lines: list[PlacedLine], patterns: list[re.Pattern[str]], exclude: re.Pattern[str] | None = None
) -> Iterator[Label]:
    """Label matches that start a run of words or end in a colon ("Please quote the invoice
    number" mid-sentence is no label); `exclude` is tested on the run's words up to its value."""
    for rank, rx in enumerate(patterns):
        for pl in lines:
            segs = segments(pl.line)
            for m in rx.finditer(pl.text):
                seg = next(((s, e) for s, e in segs if s <= m.start() < e), (0, len(pl.text)))
                starts_run = not re.search(r"\w", pl.text[seg[0] : m.start()])
                colon = bool(re.match(r"\s?:", pl.text[m.end() :])) or m.group(0).rstrip().endswith(":")
                if not (starts_run or colon):
                    continue
                if exclude is not None and exclude.search(pl.text[seg[0] : _words_end(pl.text, m.end(), seg[1])]):
                    continue
                yield Label(pl, m.start(), m.end(), seg, rank)


@dataclass(frozen=True)
class Hit:
    """A value found for a label, with the line and words that hold it."""

    value: Any
    placed: PlacedLine
    bbox: BBox
    confidence: float
    label: Label
    where: str

    @property
    def rank(self) -> int:
        return self.label.rank

    @property
    def text(self) -> str:
        return self.placed.text


def _parse_in(pl: PlacedLine, start: int, end: int, parse: Parser) -> tuple[Any, BBox, float] | None:
    chunk = pl.text[start:end]
    found = parse(chunk)
    if found is None:
        return None
    value, s, e = found
    box, conf = span_box(pl.line, start + s, start + e)
    return value, box, conf


def _right_of(lines: list[PlacedLine], label: Label) -> PlacedLine | None:
    me, box = label.placed, label.box
    right = [
        pl
        for pl in lines
        if pl.page == me.page
        and pl is not me
        and pl.bbox.x0 >= box.x1 - 2
        and pl.bbox.y_overlap(box) > 0.5 * min(box.height, pl.bbox.height)
    ]
    return min(right, key=lambda pl: pl.bbox.x0) if right else None


def _below(lines: list[PlacedLine], label: Label) -> tuple[PlacedLine, tuple[int, int]] | None:
    """The nearest line under the label, and the run in it that sits under the label."""
    me, box = label.placed, label.box
    h = max(box.height, 1.0)
    under = [
        pl
        for pl in lines
        if pl.page == me.page
        and pl is not me
        and box.y1 - 0.3 * h <= pl.bbox.y0 <= box.y1 + 2.0 * h
        and pl.bbox.x_overlap(BBox(x0=box.x0 - h, y0=box.y0, x1=box.x1 + h, y1=box.y1)) > 0
    ]
    if not under:
        return None
    pl = min(under, key=lambda p: (p.bbox.y0, abs(p.bbox.x0 - box.x0)))
    best: tuple[float, tuple[int, int]] | None = None
    for s, e in segments(pl.line):
        seg_box = span_box(pl.line, s, e)[0]
        overlap = seg_box.x_overlap(box) - 0.01 * abs(seg_box.x0 - box.x0)
        if best is None or overlap > best[0]:
            best = (overlap, (s, e))
    return (pl, best[1]) if best else None


def value_for(lines: list[PlacedLine], label: Label, parse: Parser) -> Hit | None:
    """The first value `parse` accepts, looking after, right of and below the label."""
    pl = label.placed
    _, seg_end = label.segment

    def hit(where: str, holder: PlacedLine, found: tuple[Any, BBox, float] | None) -> Hit | None:
        if found is None:
            return None
        value, box, conf = found
        return Hit(value, holder, box, conf * WHERE_FACTOR[where] * (1 - 0.1 * label.rank), label, where)

    if h := hit("same", pl, _parse_in(pl, label.end, seg_end, parse)):
        return h
    rest = _UNITS.sub(" ", pl.text[label.end : seg_end])
    if _PROSE.search(rest) or _OTHER_LABEL.search(rest):
        return None  # a sentence or a longer label ("Invoice" in "Invoice Date:") goes on after it
    following = [(s, e) for s, e in segments(pl.line) if s >= seg_end]
    if following:
        first = pl.text[following[0][0] : following[0][1]]
        if not _LABEL_LIKE.match(first) and (h := hit("next", pl, _parse_in(pl, *following[0], parse))):
            return h
    else:
        right = _right_of(lines, label)
        if right is not None and not _LABEL_LIKE.match(right.text):
            found = _parse_in(right, 0, len(right.text), parse)
            if found is not None:
                return hit("right", right, found)
    below = _below(lines, label)  # a row of labels with their values underneath
    if below is not None:
        holder, (s, e) = below
        if not _LABEL_LIKE.match(holder.text[s:e]):
            return hit("below", holder, _parse_in(holder, s, e, parse))
    return None


def find_values(
    lines: list[PlacedLine],
    patterns: list[re.Pattern[str]],
    parse: Parser,
    exclude: re.Pattern[str] | None = None,
) -> list[Hit]:
    """Every labelled value of one kind in the document, most specific label first."""
    hits: list[Hit] = []
    for label in iter_labels(lines, patterns, exclude):
        h = value_for(lines, label, parse)
        if h is not None:
            hits.append(h)
    return hits
