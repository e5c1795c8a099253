"""Borderless tables the layout model did not mark: a run of text lines that each hold two or
more values in separate segments (a statistics table under a paragraph), with the label lines
right above it that stand over its columns. Its structure then comes from aligned.py. Prose
lines rarely hold two separated values, so running text is left alone."""

from __future__ import annotations

from docpipe.document import Word
from docpipe.parse.layout.lines import TextLine, group_lines, median_line_height
from docpipe.parse.tables.aligned import is_value

MIN_LINES = 3  # value lines in a run
MAX_HEADER_LINES = 3
LINE_GAP = 1.5  # line heights between lines of one table


def _values(ln: TextLine) -> int:
    return sum(1 for s in ln.segments if is_value(s.text))


def _is_value_line(ln: TextLine) -> bool:
    return len(ln.segments) >= 2 and _values(ln) >= 2


def value_blocks(words: list[Word]) -> list[list[Word]]:
    """The words of each run of value lines, with its header lines."""
    lines = group_lines(words)
    h = median_line_height(lines)
    blocks: list[list[Word]] = []
    i = 0
    while i < len(lines):
        if not _is_value_line(lines[i]):
            i += 1
            continue
        j = i + 1
        while j < len(lines) and _is_value_line(lines[j]) and lines[j].bbox.y0 - lines[j - 1].bbox.y1 < LINE_GAP * h:
            j += 1
        if j - i >= MIN_LINES:
            x0 = min(ln.bbox.x0 for ln in lines[i:j]) - h
            x1 = max(ln.bbox.x1 for ln in lines[i:j]) + h
            top = i
            while (
                top > 0
                and i - (top - 1) <= MAX_HEADER_LINES
                and len(lines[top - 1].segments) >= 2
                and lines[top].bbox.y0 - lines[top - 1].bbox.y1 < LINE_GAP * h
                and x0 <= lines[top - 1].bbox.x0
                and lines[top - 1].bbox.x1 <= x1
            ):
                top -= 1
            blocks.append([w for ln in lines[top:j] for s in ln.segments for w in s.words])
        i = j
    return blocks
