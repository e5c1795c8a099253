"""Running text and forms are no tables: checks made before any table engine structures a candidate.

The layout model sometimes marks a table region over prose set in columns (a three-column
Government page), and two columns of prose line up as well as a table's columns do. Where the
text layer's own geometry proves the candidate is running text in columns, the geometry wins:
in every column (split at white strips that run the candidate's full height) most words sit in
lines of many words, and hardly any word is a number. A table has at least one column of short cells (labels,
values, option names), or values throughout.

A form of label/value pairs (bold labels, each with its plain value on the same line, section
titles and wrapped lines between them) is not a table either, though the layout model may mark
the whole page as one: it is read as lines of 'label value' (layout/blocks.py pairs them).

A layout region may also cut across the lines of the text beside it (its edge through the
middle of a column): its words are then grown to the whole segments they belong to, so the check
sees whole lines, not halves.
"""

from __future__ import annotations

from statistics import median

from docpipe.document import Word
from docpipe.parse.layout.lines import Segment, TextLine, group_lines
from docpipe.parse.tables.aligned import column_gaps, is_value

MIN_LINES = 3  # fewer lines prove nothing either way
MAX_VALUES = 0.1  # share of words that are numbers, amounts or codes in running text
LINE_WORDS = 5  # words of a line of running text
LONG_SHARE = 0.6  # share of every column's words in such lines
FORM_LINES = 6  # lines a form needs before it is told from a small table
FORM_SEGMENTS = 3  # runs of text a form's line holds at most (a label, a value, a check box's word)
FORM_VALUES = 0.2  # share of words that are numbers: more, and it is a table of values
FORM_PAIRS = 0.6  # share of the lines holding a label and a value whose label alone is bold


def _columns(lines: list[TextLine]) -> list[list[Segment]]:
    """The candidate's segments by column: columns split at white strips that no line crosses."""
    rows = [[w for s in ln.segments for w in s.words] for ln in lines]
    height = median(w.bbox.height for r in rows for w in r)
    bounds = [(a + b) / 2 for a, b in column_gaps(rows, height, crossing=0.0)]
    cols: list[list[Segment]] = [[] for _ in range(len(bounds) + 1)]
    for ln in lines:
        for s in ln.segments:
            cols[sum(1 for b in bounds if s.bbox.cx > b)].append(s)
    return [c for c in cols if c]


def running_text(words: list[Word]) -> bool:
    """Whether the words are prose in one or more columns rather than a table."""
    lines = group_lines(words)
    if len(lines) < MIN_LINES:
        return False
    n = len(words)
    if sum(1 for w in words if is_value(w.text)) > MAX_VALUES * n:
        return False
    return all(_long_share(col) >= LONG_SHARE for col in _columns(lines) if len(col) >= 2)


def _long_share(col: list[Segment]) -> float:
    """Share of a column's words that sit in lines of running text (headings and a paragraph's
    last line are short; a table's column of labels or values is short throughout)."""
    n = sum(len(s.words) for s in col)
    return sum(len(s.words) for s in col if len(s.words) >= LINE_WORDS) / max(n, 1)


def whole_segments(inside: list[Word], words: list[Word]) -> list[Word]:
    """The region's words grown to the whole segments of the page's lines they are part of."""
    ids = {id(w) for w in inside}
    out = list(inside)
    for ln in group_lines(words):
        for s in ln.segments:
            n_in = sum(1 for w in s.words if id(w) in ids)
            if 0 < n_in < len(s.words):
                out += [w for w in s.words if id(w) not in ids]
                ids.update(id(w) for w in s.words)
    return out


def prose_region(inside: list[Word], words: list[Word]) -> bool:
    """Whether a layout table region's words, grown to whole lines, are running text. The table
    engine is still given only the region's own words when it is not (as it always was)."""
    return running_text(whole_segments(inside, words))


def _bold(seg: Segment) -> bool:
    return all(w.bold for w in seg.words)


def label_pair(line: TextLine) -> bool:
    """A form's line: its first run (in reading order) wholly bold, every other run plain."""
    segs = line.segments
    return len(segs) >= 2 and _bold(segs[0]) and not any(any(w.bold for w in s.words) for s in segs[1:])


def label_value_form(words: list[Word]) -> bool:
    """Whether the words are a form of bold labels with plain values beside them, not a table."""
    lines = group_lines(words)
    if len(lines) < FORM_LINES or any(len(ln.segments) > FORM_SEGMENTS for ln in lines):
        return False
    if sum(1 for w in words if is_value(w.text)) > FORM_VALUES * len(words):
        return False
    multi = [ln for ln in lines if len(ln.segments) >= 2]
    return bool(multi) and sum(1 for ln in multi if label_pair(ln)) >= FORM_PAIRS * len(multi)
