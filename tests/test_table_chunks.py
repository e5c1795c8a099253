"""A table longer than a chunk: its label row is repeated in every piece, a letterhead taken for a header is not."""

from __future__ import annotations

from docpipe.document import BBox, Element, Provenance, TableCell, TableData
from docpipe.index.chunking import _Piece, _table_pieces, approx_tokens


def _table(head: list[list[str]], body: list[list[str]]) -> Element:
    rows = [*head, *body]
    cells = [
        TableCell(
            row=r,
            col=c,
            text=v,
            is_header=r < len(head),
            bbox=BBox.of(50 + 100 * c, 20 + 12 * r, 140 + 100 * c, 30 + 12 * r),
            page=1,
        )
        for r, row in enumerate(rows)
        for c, v in enumerate(row)
    ]
    t = TableData(n_rows=len(rows), n_cols=len(rows[0]), cells=cells)
    return Element(
        id="t1",
        label="table",
        text=t.text(),
        prov=[Provenance(page=1, bbox=BBox.of(50, 20, 400, 30 + 12 * len(rows)))],
        table=t,
    )


def _pieces(head: list[list[str]], body: list[list[str]]) -> list[_Piece]:
    e = _table(head, body)
    assert e.table is not None
    return _table_pieces(e, e.table, 120, approx_tokens)


ITEMS = [[f"Item {i}", f"{i}", f"{i * 3},00 €"] for i in range(1, 41)] + [["Bruttobetrag", "", "104,00 €"]]


def test_a_short_label_row_is_repeated_in_every_piece() -> None:
    pieces = _pieces([["Produkt", "Menge", "Preis"]], ITEMS)
    assert len(pieces) >= 3
    assert all(p.text.startswith("Produkt | Menge | Preis\n") for p in pieces)
    assert "Bruttobetrag |  | 104,00 €" in pieces[-1].text


def test_a_letterhead_taken_for_the_header_is_not_repeated() -> None:
    letterhead = [
        [line, "", ""] for line in ("Hetzner Online GmbH", "Industriestr. 25", "91710 Gunzenhausen", "Germany")
    ]
    letterhead += [[f"Tel. +49 9831 505-{i}", "", ""] for i in range(13)]  # 17 lines, as on the real invoice
    pieces = _pieces(letterhead, ITEMS)
    assert pieces[0].text.startswith("Hetzner Online GmbH")  # the letterhead is read once, where it is
    assert sum("Gunzenhausen" in p.text for p in pieces) == 1
    assert "Bruttobetrag |  | 104,00 €" in pieces[-1].text
    body = "\n".join(p.text for p in pieces)
    assert all(f"Item {i} |" in body for i in range(1, 41))  # no row lost
