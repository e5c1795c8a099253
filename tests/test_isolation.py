"""A page that hangs or crashes the converter costs that page: the child is killed and replaced.

The faults come from tests/faulty_engines.py (real RapidOCR, except on pages marked red), loaded
by name in the real child process, as a third-party engine would be.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from docpipe.document import ConversionStatus
from docpipe.options import EngineOptions
from docpipe.parse.converter import ConvertOptions
from docpipe.parse.isolated import IsolatedConverter
from tests.conftest import DOCPIPE, ROOT, run_cli

PAGE_TIMEOUT = 40.0  # far above a page's OCR time on a busy 2-core machine, far below "forever"


def _page(text: str | None) -> Image.Image:
    img = Image.new("RGB", (1240, 1754), "white")  # A4 at 150 dpi
    d = ImageDraw.Draw(img)
    if text is None:
        d.rectangle((420, 677, 820, 1077), fill=(230, 20, 20))  # the fault marker, over the centre
    else:
        d.text((120, 160), text, fill="black", font=ImageFont.load_default(size=48))
    return img


@pytest.fixture(scope="module")
def scan_with_bad_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three scanned pages; page 2 is the one the faulty engines choke on."""
    f = tmp_path_factory.mktemp("iso") / "three_pages.pdf"
    pages = [_page("Invoice ALPHA-1 Total 11.00"), _page(None), _page("Invoice GAMMA-3 Total 33.00")]
    pages[0].save(f, save_all=True, append_images=pages[1:], resolution=150)
    return f


def _convert(engine: str, path: Path) -> tuple[IsolatedConverter, object]:
    conv = IsolatedConverter(ConvertOptions(ocr=EngineOptions(kind=f"tests.faulty_engines:{engine}")), PAGE_TIMEOUT)
    return conv, conv.convert(path)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("engine", "why"),
    [("CrashOnRed", "the converter crashed (SIGSEGV)"), ("HangOnRed", f"no result after {PAGE_TIMEOUT:g} s")],
)
def test_the_bad_page_is_abandoned_and_the_rest_kept(engine: str, why: str, scan_with_bad_page: Path) -> None:
    conv, result = _convert(engine, scan_with_bad_page)
    try:
        assert result.status is ConversionStatus.PARTIAL  # type: ignore[attr-defined]
        [err] = result.errors  # type: ignore[attr-defined]
        assert str(err) == f"{scan_with_bad_page}: page 2 abandoned ({why})"
        assert (err.page, err.stage) == (2, "isolation")
        doc = result.document  # type: ignore[attr-defined]
        assert [p.number for p in doc.pages] == [1, 3]
        text = doc.text()
        assert "ALPHA-1" in text and "GAMMA-3" in text and text.index("ALPHA-1") < text.index("GAMMA-3")
        # The replacement child serves the next document as usual.
        again = conv.convert(scan_with_bad_page.with_name("missing.pdf"))
        assert again.status is ConversionStatus.FAILURE and "no such file" in str(again.errors[0])
    finally:
        conv.close()


@pytest.mark.slow
def test_cli_ingest_keeps_the_good_pages_warns_and_retries_next_time(scan_with_bad_page: Path, tmp_path: Path) -> None:
    env = {**os.environ, "DOCPIPE_OCR_ENGINE": "tests.faulty_engines:CrashOnRed", "DOCPIPE_PAGE_TIMEOUT_S": "60"}
    cmd = [*DOCPIPE, "ingest", str(scan_with_bad_page), "--home", str(tmp_path)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env, timeout=900)
    assert proc.returncode == 1, proc.stderr
    assert f"warning: {scan_with_bad_page}: page 2 abandoned (the converter crashed (SIGSEGV))" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert "1 with lost pages" in proc.stdout
    [d] = json.loads(run_cli("ls", "--json", home=tmp_path, check=True).stdout)
    assert d["status"] == "ok" and d["n_pages"] == 2 and "page 2 abandoned" in d["error"]
    out = json.loads(run_cli("ask", "What is the total of GAMMA-3?", "--json", home=tmp_path, check=True).stdout)
    assert "33.00" in out["answer"] and out["citations"][0]["page"] == 3
    # Not skipped as unchanged: a document with lost pages is converted again on the next run.
    proc2 = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env, timeout=900)
    assert "0 unchanged" in proc2.stdout and "page 2 abandoned" in proc2.stderr


@pytest.mark.slow
def test_a_spool_the_child_cannot_write_is_the_callers_error_and_the_child_lives_on(tmp_path: Path) -> None:
    conv = IsolatedConverter(ConvertOptions(), PAGE_TIMEOUT)
    try:
        with pytest.raises(FileNotFoundError):  # as a full disk would: the ingest's error, not a page's
            conv.convert_to(ROOT / "samples" / "invoice_acme.pdf", tmp_path / "gone" / "doc.spool")
        result = conv.convert(ROOT / "samples" / "invoice_multipage.pdf")
        assert result.status is ConversionStatus.SUCCESS and result.pages == 2
        assert result.document is not None and [p.number for p in result.document.pages] == [1, 2]
    finally:
        conv.close()
