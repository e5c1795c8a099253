"""Text hygiene for every word the pipeline reads, from a text layer or from OCR.

What a PDF's text layer or an OCR engine hands over is not always text one can store: pdfium
gives characters outside the Basic Multilingual Plane (emoji, math italic 𝜋 𝛼) as UTF-16
surrogates, sometimes only the high half; it marks a line-end hyphen as U+0002. Lone
surrogates cannot be encoded (JSON, SQLite and UTF-8 refuse them), so they would cost the
page. Cleaning never fails: what cannot be kept is dropped and counted, and the page says so.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from docpipe.document import Word

HYPHEN_MARK = "\x02"  # pdfium's code for a hyphen it found at the end of a line
SOFT_HYPHEN = "\u00ad"
LIGATURES = {
    "\ufb00": "ff",
    "\ufb01": "fi",
    "\ufb02": "fl",
    "\ufb03": "ffi",
    "\ufb04": "ffl",
    "\ufb05": "st",
    "\ufb06": "st",
    "\u0132": "IJ",
    "\u0133": "ij",
}
# Spaces other than U+0020 inside one word's text (a word never holds a real gap): made plain.
_ODD_SPACE = re.compile("[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")
# Invisible format characters that carry nothing here (zero-width space, BOM, word joiner).
# ZWJ/ZWNJ (U+200C/D) are kept: Persian, Indic scripts and emoji sequences need them.
_INVISIBLE = re.compile("[\u200b\u2060\ufeff\u180e]")


@dataclass
class Cleaned:
    words: list[Word]
    dropped: int = 0  # characters that could not be kept (lone surrogates, control characters)
    changed: int = 0  # words whose text was normalised

    def note(self) -> str:
        """A short note for the page's text decision, or "" when nothing was dropped."""
        return f"{self.dropped} unencodable or control characters dropped" if self.dropped else ""


def join_surrogates(text: str) -> str:
    """Recombine UTF-16 surrogate pairs into the characters they encode; lone halves stay
    (clean_text drops them)."""
    if not any("\ud800" <= ch <= "\udfff" for ch in text):
        return text
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if "\ud800" <= ch <= "\udbff" and i + 1 < len(text) and "\udc00" <= text[i + 1] <= "\udfff":
            out.append(chr(0x10000 + ((ord(ch) - 0xD800) << 10) + (ord(text[i + 1]) - 0xDC00)))
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def clean_text(text: str) -> tuple[str, int]:
    """One word's text made storable and plain; returns it and how many characters were dropped."""
    text = join_surrogates(text)
    if text.isascii() and text.isprintable():
        return text, 0
    # A hyphen mark or soft hyphen ending the word is a line-end hyphen: kept as "-", and
    # paragraph assembly decides whether the word continues on the next line.
    if text.endswith((HYPHEN_MARK, SOFT_HYPHEN)):
        text = text[:-1] + "-"
    text = text.replace(HYPHEN_MARK, "-").replace(SOFT_HYPHEN, "")
    text = _INVISIBLE.sub("", _ODD_SPACE.sub(" ", text))
    if any(ch in LIGATURES for ch in text):
        text = "".join(LIGATURES.get(ch, ch) for ch in text)
    kept = [ch for ch in text if not _unstorable(ch)]
    return "".join(kept), len(text) - len(kept)


def _unstorable(ch: str) -> bool:
    # Lone surrogates (Cs) cannot be encoded; control characters (Cc) are not text. Tabs and
    # newlines never reach a word (they split words), so every Cc here is noise.
    return unicodedata.category(ch) in ("Cs", "Cc")


def clean_words(words: list[Word]) -> Cleaned:
    """Every word cleaned; words left empty are dropped (their characters counted)."""
    out: list[Word] = []
    dropped = changed = 0
    for w in words:
        text, lost = clean_text(w.text)
        dropped += lost
        text = text.strip()
        if text != w.text:
            changed += 1
            if not text:
                continue
            # A non-breaking space inside a word's text becomes a plain one: the word stays one
            # word (its box was measured as one), readers see a space.
            w = w.model_copy(update={"text": text})
        out.append(w)
    return Cleaned(out, dropped, changed)
