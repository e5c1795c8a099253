"""A PDF page's /Rotate: pdfium gives text and object boxes in the unrotated page space, while
the page is rendered and sized as displayed. Boxes are mapped to the displayed page here, so
a landscape page stored turned by 90° reads as lines, not as one column of letters."""

from __future__ import annotations

from dataclasses import dataclass

import pypdfium2 as pdfium

Box = tuple[float, float, float, float]  # left, bottom, right, top: PDF points, y up


@dataclass(frozen=True)
class PageFrame:
    rotation: int  # clockwise degrees, 0/90/180/270
    width: float  # the unrotated page (the user space pdfium's boxes are in)
    height: float

    @classmethod
    def of(cls, page: pdfium.PdfPage) -> PageFrame:
        rotation = page.get_rotation() % 360
        w, h = (float(v) for v in page.get_size())  # as displayed
        return cls(rotation, h, w) if rotation in (90, 270) else cls(rotation, w, h)

    def display(self, box: Box) -> Box:
        """The box on the displayed page, still (left, bottom, right, top) with y up."""
        left, bottom, right, top = box
        if self.rotation == 90:
            return bottom, self.width - right, top, self.width - left
        if self.rotation == 180:
            return self.width - right, self.height - top, self.width - left, self.height - bottom
        if self.rotation == 270:
            return self.height - top, left, self.height - bottom, right
        return box
