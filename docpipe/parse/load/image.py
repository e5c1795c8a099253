"""PNG, JPEG and TIFF pages; 72/dpi points per pixel so boxes are in points like PDFs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from PIL import Image, ImageOps, ImageSequence

from docpipe.errors import LoadError
from docpipe.parse.load.source import SourcePage

DEFAULT_DPI = 72.0  # without a DPI tag one pixel is one point
MIN_DPI = 36.0  # a lower tag is a writer's placeholder ('1 dpi' made a 612-px page 612 inches wide)


def _too_large(path: Path, max_pixels: int) -> LoadError:
    return LoadError(path, f"image too large (over {max_pixels:,} pixels)")


def open_image(path: Path, max_pixels: int) -> Image.Image:
    # Pillow's own bomb check only warns between 1x and 2x its global limit, and the global
    # is shared by the whole process: our limit is checked here, on the header, before decoding.
    try:
        img = Image.open(path)
    except Image.DecompressionBombError as e:
        raise _too_large(path, max_pixels) from e
    except (OSError, SyntaxError, ValueError) as e:
        raise LoadError(path, f"corrupt or unreadable image ({e})") from e
    if img.width * img.height > max_pixels:
        img.close()
        raise _too_large(path, max_pixels)
    return img


def count_frames(img: Image.Image) -> int:
    return int(getattr(img, "n_frames", 1))


def iter_image_pages(
    path: Path, img: Image.Image, max_pixels: int, skip: frozenset[int] = frozenset()
) -> Iterator[SourcePage]:
    for i, frame in enumerate(ImageSequence.Iterator(img)):
        if i + 1 in skip:
            continue
        if frame.width * frame.height > max_pixels:  # TIFF frames each have their own size
            raise _too_large(path, max_pixels)
        try:
            rgb = ImageOps.exif_transpose(frame.convert("RGB")) or frame.convert("RGB")
        except (OSError, ValueError, Image.DecompressionBombError) as e:
            raise LoadError(path, f"corrupt image data on frame {i + 1} ({e})") from e
        dpi = float(frame.info.get("dpi", (DEFAULT_DPI, DEFAULT_DPI))[0] or DEFAULT_DPI)
        dpi = dpi if dpi >= MIN_DPI else DEFAULT_DPI
        scale = 72.0 / dpi
        width, height = rgb.width * scale, rgb.height * scale

        def render(_dpi: int, rgb: Image.Image = rgb) -> Image.Image:
            # OCR reads the pixels as scanned; callers derive the pixel/point scale.
            return rgb

        yield SourcePage(number=i + 1, width=width, height=height, render=render)
