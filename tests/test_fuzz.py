"""Property-based fuzzing of the loaders and serializers (hypothesis), bounded for CI.

Loaders get arbitrary and mutated bytes: they must return a Source or raise LoadError, nothing
else. Serializers get arbitrary text and tables: HTML must give back exactly the text it was
given, Markdown tables must keep their shape, JSON must round-trip. Examples hypothesis found
are pinned with @example so they stay regression tests. FUZZ_EXAMPLES scales the run (CI: default;
`FUZZ_EXAMPLES=20000 pytest tests/test_fuzz.py` for a long session).
"""

from __future__ import annotations

import os
import re
import tempfile
from html.parser import HTMLParser
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from docpipe.document import BBox, Document, Element, Page, Provenance, TableCell, TableData
from docpipe.errors import shown
from docpipe.options import Limits
from docpipe.parse.load import LoadError, open_source
from docpipe.parse.load.sniff import sniff_mime
from docpipe.serialize import to_json
from docpipe.serialize.html import to_html
from docpipe.serialize.markdown import table_markdown
from tests.conftest import SAMPLES

N = int(os.environ.get("FUZZ_EXAMPLES", "300"))
FUZZ = settings(max_examples=N, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MAGIC = [b"%PDF-1.4\n", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff\xe0", b"II*\x00", b"MM\x00*", b""]
SEEDS = {name: (SAMPLES / name).read_bytes() for name in ["invoice_acme.pdf", "receipt_cafe.png", "receipt_market.jpg"]}


def _load_all(data: bytes) -> None:
    """Open, walk every page, read its text layer and render it small: LoadError is the only way out."""
    with tempfile.TemporaryDirectory() as d:
        f = Path(d) / "fuzz.bin"
        f.write_bytes(data)
        try:
            with open_source(f, limits=Limits(max_pages=50, max_image_pixels=4_000_000)) as src:
                for page in src.pages():
                    if page.error is None:
                        page.render(20)
        except LoadError as e:
            assert str(e).startswith(f"{f}: ") and "\n" not in str(e)


@FUZZ
@given(st.sampled_from(MAGIC), st.binary(max_size=4096))
def test_loaders_on_arbitrary_bytes(magic: bytes, tail: bytes) -> None:
    _load_all(magic + tail)


@FUZZ
@given(
    st.sampled_from(sorted(SEEDS)),
    st.lists(st.tuples(st.floats(0, 1), st.integers(0, 255)), max_size=12),
    st.floats(0.05, 1.0),
)
@example("invoice_acme.pdf", [(0.134765625, 0)], 1.0)  # a page object pdfium cannot load
def test_loaders_on_mutated_real_files(seed: str, flips: list[tuple[float, int]], keep: float) -> None:
    data = bytearray(SEEDS[seed])
    for where, value in flips:  # a few bytes changed, as by a bad disk or a bad transfer
        data[int(where * (len(data) - 1))] = value
    _load_all(bytes(data[: max(1, int(len(data) * keep))]))  # and maybe cut short


@FUZZ
@given(st.binary(max_size=2048))
def test_sniffing_never_raises(head: bytes) -> None:
    kinds = {"application/pdf", "image/png", "image/jpeg", "image/tiff", "application/zip", "text/html"}
    kinds.add("message/rfc822")
    assert sniff_mime(head) in kinds | {None}


@FUZZ
@given(st.binary(min_size=1, max_size=200).filter(lambda b: b"/" not in b and b"\x00" not in b))
def test_shown_names_are_one_printable_utf8_line(raw: bytes) -> None:
    s = shown(os.fsdecode(raw))
    s.encode("utf-8")  # no lone surrogates: SQLite and tokenizers refuse them
    assert not any(ord(ch) < 32 or ord(ch) == 127 for ch in s)


# -- serializers -------------------------------------------------------------------------

texts = st.text(st.characters(blacklist_categories=["Cs"]), max_size=60)


def _element(i: int, label: str, text: str, table: TableData | None = None) -> Element:
    box = BBox.of(10, 10 + 20 * i, 200, 25 + 20 * i)
    return Element(id=f"e{i}", label=label, text=text, prov=[Provenance(page=1, bbox=box)], table=table)  # type: ignore[arg-type]


@st.composite
def tables(draw: st.DrawFn) -> TableData:
    rows, cols = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    cells = [TableCell(row=r, col=c, text=draw(texts), is_header=(r == 0)) for r in range(rows) for c in range(cols)]
    return TableData(n_rows=rows, n_cols=cols, cells=cells)


class _Texts(HTMLParser):
    """The text inside each element with an id, <br> as a newline."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.by_id: dict[str, str] = {}
        self._cur: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        ident = dict(attrs).get("id")
        if ident:
            self._cur = ident
            self.by_id[ident] = ""
        elif tag == "br" and self._cur:
            self.by_id[self._cur] += "\n"

    def handle_endtag(self, tag: str) -> None:
        if tag in ("p", "h1", "h2", "li", "pre", "figcaption"):
            self._cur = None

    def handle_data(self, data: str) -> None:
        if self._cur:
            self.by_id[self._cur] += data


def _doc(elements: list[Element]) -> Document:
    return Document(
        id="0" * 64,
        name="fuzz.pdf",
        source="fuzz.pdf",
        mime="application/pdf",
        pages=[Page(number=1, width=595, height=842, origin="text_layer")],
        body=elements,
    )


LABELS = st.sampled_from(["title", "section_header", "text", "list_item", "caption"])


@FUZZ
@given(st.lists(st.tuples(LABELS, texts), max_size=6))
@example([("text", "<script>alert(1)</script> & \"quotes\" 'x' \r\n")])
def test_html_gives_back_exactly_the_text(items: list[tuple[str, str]]) -> None:
    doc = _doc([_element(i, label, text) for i, (label, text) in enumerate(items)])
    html = to_html(doc)
    assert "<script" not in html
    parser = _Texts()
    parser.feed(html)
    assert parser.by_id == {e.id: e.text for e in doc.body}


@FUZZ
@given(tables())
@example(
    TableData(
        n_rows=2,
        n_cols=2,
        cells=[
            TableCell(row=0, col=0, text="a|b", is_header=True),
            TableCell(row=0, col=1, text="x\ny", is_header=True),
            TableCell(row=1, col=0, text="\\", is_header=False),
            TableCell(row=1, col=1, text="", is_header=False),
        ],
    )
)
def test_markdown_tables_keep_their_shape(t: TableData) -> None:
    md = table_markdown(t)
    lines = md.split("\n")
    assert len(lines) == t.n_rows + 1  # one line per row plus the separator
    for line in [lines[0], *lines[2:]]:
        cells = re.split(r"(?<!\\)\|", line)[1:-1]  # pipes not escaped by a backslash
        assert len(cells) == t.n_cols, line


@FUZZ
@given(st.lists(st.tuples(st.sampled_from(["text", "title"]), texts), max_size=4), st.one_of(st.none(), tables()))
def test_json_round_trips(items: list[tuple[str, str]], table: TableData | None) -> None:
    elements = [_element(i, label, text) for i, (label, text) in enumerate(items)]
    if table is not None:
        elements.append(_element(len(elements), "table", "t", table))
    doc = _doc(elements)
    assert Document.model_validate_json(to_json(doc)) == doc
