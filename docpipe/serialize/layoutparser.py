"""The parse as layoutparser `Layout`s (one per page), for users of that library.

layoutparser is optional: it is imported only here, when asked for.
"""

from __future__ import annotations

from typing import Any

from docpipe.document import Document

INSTALL_HINT = "layoutparser is not installed: pip install 'docpipe[layoutparser]' (or layoutparser>=0.3.4)"


def to_layoutparser(doc: Document) -> list[Any]:
    """One `layoutparser.Layout` per page: a TextBlock per element in reading order (body
    first, ids = reading-order position; then furniture), boxes in PDF points."""
    try:
        import layoutparser as lp
    except ImportError as err:
        raise ImportError(INSTALL_HINT) from err
    layouts = []
    for page in doc.pages:
        blocks = []
        elements = [e for e in doc.body if any(p.page == page.number for p in e.prov)]
        elements += [e for e in doc.furniture if e.page == page.number]
        for k, e in enumerate(elements):
            for p in e.prov:
                if p.page == page.number:
                    b = p.bbox
                    blocks.append(
                        lp.TextBlock(
                            lp.Rectangle(b.x0, b.y0, b.x1, b.y1), text=e.text, id=k, type=e.label, score=e.confidence
                        )
                    )
        layouts.append(lp.Layout(blocks, page_data={"number": page.number, "width": page.width, "height": page.height}))
    return layouts
