"""PNG, JPEG and TIFF pages; 72/dpi points per pixel so boxes are in points like PDFs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from PIL import Image, ImageOps, ImageSequence

from docpipe.load.errors import LoadError
from docpipe.load.source import SourcePage

DEFAULT_DPI = 72.0  # without a DPI tag one pixel is one point


def open_image(path: Path, max_pixels: int) -> Image.Image:
    Image.MAX_IMAGE_PIXELS = max_pixels
    try:
        img = Image.open(path)
        img.size  # noqa: B018 - forces header parsing so errors surface here
        return img
    except Image.DecompressionBombError as e:
        raise LoadError(path, f"image too large (over {max_pixels:,} pixels)") from e
    except (OSError, SyntaxError, ValueError) as e:
        raise LoadError(path, f"corrupt or unreadable image ({e})") from e


def count_frames(img: Image.Image) -> int:
    return int(getattr(img, "n_frames", 1))


def iter_image_pages(path: Path, img: Image.Image) -> Iterator[SourcePage]:
    for i, frame in enumerate(ImageSequence.Iterator(img)):
        try:
            rgb = ImageOps.exif_transpose(frame.convert("RGB")) or frame.convert("RGB")
        except OSError as e:
            raise LoadError(path, f"corrupt image data on frame {i + 1} ({e})") from e
        dpi = float(frame.info.get("dpi", (DEFAULT_DPI, DEFAULT_DPI))[0] or DEFAULT_DPI)
        scale = 72.0 / dpi
        width, height = rgb.width * scale, rgb.height * scale

        def render(_dpi: int, rgb: Image.Image = rgb) -> Image.Image:
            # OCR reads the pixels as scanned; callers derive the pixel/point scale.
            return rgb

        yield SourcePage(number=i + 1, width=width, height=height, render=render)
