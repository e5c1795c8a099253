"""Bad input, end to end: one CLI batch over the hostile corpus, then the store is checked.

Each bad file must cost only itself: a one-line error naming it and the reason, no traceback,
the good files ingested, the failure recorded for `docpipe ls`, nothing of it searchable.
"""

from __future__ import annotations

import io
import json
import os
import shutil
from pathlib import Path

import pytest
from PIL import Image

from docpipe.errors import shown
from docpipe.options import Limits
from docpipe.parse.load import LoadError, open_source
from docpipe.parse.load.pdf import RENDER_PIXEL_BUDGET, render_scale
from tests.conftest import SAMPLES, run_cli
from tests.hostile_corpus import NON_UTF8, PASSWORD, build


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list]:  # type: ignore[type-arg]
    folder = tmp_path_factory.mktemp("hostile")
    return folder, build(folder)


@pytest.fixture(scope="module")
def batch(corpus, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    folder, _ = corpus
    home = tmp_path_factory.mktemp("hostile_home")
    proc = run_cli("ingest", str(folder), home=home)
    listing = json.loads(run_cli("ls", "--json", home=home, check=True).stdout)
    return home, proc, {d["path"]: d for d in listing}


@pytest.mark.slow
def test_every_bad_file_gets_one_line_naming_it_and_the_reason(corpus, batch) -> None:  # type: ignore[no-untyped-def]
    folder, cases = corpus
    _, proc, _ = batch
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    errors = [ln for ln in proc.stderr.replace("\r", "\n").splitlines() if ln.startswith("error: ")]
    for case in cases:
        name = shown(folder / case.name) if case.name != os.fsdecode(NON_UTF8) else shown(folder) + "/bad\ufffdname.pdf"
        mine = [ln for ln in errors if ln.startswith(f"error: {name}:")]
        if case.expect is None:
            assert not mine, f"{case.what}: should ingest, got {mine}"
        else:
            assert len(mine) == 1, f"{case.what}: expected one error line naming {name!r}, got {errors}"
            assert case.expect.lower() in mine[0].lower(), f"{case.what}: {mine[0]!r} lacks {case.expect!r}"
    summary = proc.stdout.strip().splitlines()[-1]
    n_bad = sum(1 for c in cases if c.expect)
    assert f"{n_bad} failed" in summary


@pytest.mark.slow
def test_good_files_in_the_batch_are_ingested_and_bad_ones_recorded(corpus, batch) -> None:  # type: ignore[no-untyped-def]
    folder, cases = corpus
    _, _, docs = batch
    for case in cases:
        if case.name == "loop/again":
            continue  # a folder, not a document
        path = shown((folder / case.name).resolve())  # the store keys files by resolved path
        if case.name == os.fsdecode(NON_UTF8):
            path = shown(folder.resolve()) + "/bad\ufffdname.pdf"
        assert path in docs, f"{case.what}: not in `docpipe ls` ({sorted(docs)})"
        d = docs[path]
        if case.expect is None:
            assert d["status"] == "ok" and d["n_chunks"] >= 1, (case.what, d)
        else:
            assert d["status"] == "error" and d["n_chunks"] == 0, (case.what, d)
            assert case.expect.lower() in d["error"].lower(), (case.what, d["error"])
    # The symlink loop was walked once: each file appears once.
    assert len(docs) == len(cases) - 1


@pytest.mark.slow
def test_answers_come_only_from_good_files_and_a_rerun_changes_nothing(corpus, batch) -> None:  # type: ignore[no-untyped-def]
    folder, _ = corpus
    home, _, docs = batch
    out = json.loads(run_cli("ask", "What is the total due on the giant page?", "--json", home=home, check=True).stdout)
    assert "7.00" in out["answer"]
    assert out["citations"][0]["document"] == "page_20000pt.pdf"
    before = (home / "store.db").stat().st_size, docs
    again = run_cli("ingest", str(folder), home=home)
    assert again.returncode == 1 and "Traceback" not in again.stderr
    assert "0 ingested" in again.stdout
    after = {d["path"]: d for d in json.loads(run_cli("ls", "--json", home=home, check=True).stdout)}
    assert {p: (d["status"], d["n_chunks"]) for p, d in after.items()} == {
        p: (d["status"], d["n_chunks"]) for p, d in before[1].items()
    }


@pytest.mark.slow
def test_password_opens_an_encrypted_pdf(corpus, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder, _ = corpus
    wrong = run_cli("ingest", str(folder / "encrypted_user.pdf"), "--password", "nope", home=tmp_path)
    assert wrong.returncode == 1 and "encrypted PDF" in wrong.stderr
    ok = run_cli("ingest", str(folder / "encrypted_user.pdf"), "--password", PASSWORD, home=tmp_path, check=True)
    assert "1 ingested" in ok.stdout
    out = json.loads(run_cli("ask", "What is the total due?", "--json", home=tmp_path, check=True).stdout)
    assert "42.00" in out["answer"]


@pytest.mark.slow
def test_a_good_document_survives_its_file_turning_bad(tmp_path: Path) -> None:
    home, doc = tmp_path / "home", tmp_path / "acme.pdf"
    shutil.copy(SAMPLES / "invoice_acme.pdf", doc)
    run_cli("ingest", str(doc), home=home, check=True)
    doc.write_bytes(doc.read_bytes()[:300])  # truncated in place, e.g. a half-finished copy
    proc = run_cli("ingest", str(doc), home=home)
    assert proc.returncode == 1 and f"error: {doc}:" in proc.stderr
    [d] = json.loads(run_cli("ls", "--json", home=home, check=True).stdout)
    assert d["status"] == "ok" and d["n_chunks"] > 0
    out = json.loads(run_cli("ask", "What is the total due?", "--json", home=home, check=True).stdout)
    assert out["citations"] and out["citations"][0]["document"] == "acme.pdf"


# Limits, without the CLI: each is a LoadError with a reason, raised before decoding.


def _png(w: int, h: int) -> bytes:
    buf = io.BytesIO()
    Image.new("L", (w, h), 255).save(buf, "PNG")
    return buf.getvalue()


def test_pixel_limit_is_ours_not_pillows(tmp_path: Path) -> None:
    # Pillow only warns between 1x and 2x its own limit; our limit must hold exactly.
    f = tmp_path / "big.png"
    f.write_bytes(_png(40, 40))
    with pytest.raises(LoadError, match=r"big\.png: image too large \(over 1,000 pixels\)"):
        open_source(f, limits=Limits(max_image_pixels=1000))
    with open_source(f, limits=Limits(max_image_pixels=1600)) as src:
        assert src.n_pages == 1


def test_tiff_with_more_frames_than_the_page_limit(tmp_path: Path) -> None:
    f = tmp_path / "many.tiff"
    frames = [Image.new("L", (8, 8), i) for i in range(5)]
    frames[0].save(f, save_all=True, append_images=frames[1:])
    with pytest.raises(LoadError, match=r"too many pages \(5 frames > 4 limit\)"):
        open_source(f, limits=Limits(max_pages=4))


def test_giant_pages_are_rendered_within_the_pixel_budget() -> None:
    assert render_scale(200, 595 * 842) == pytest.approx(200 / 72)
    s = render_scale(200, 20_000 * 20_000)
    assert (20_000 * s) ** 2 == pytest.approx(RENDER_PIXEL_BUDGET)


def test_special_files_are_refused_without_opening_them(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.pdf"
    os.mkfifo(fifo)  # opening it would block this test forever
    with pytest.raises(LoadError, match="not a regular file"):
        open_source(fifo)
    link = tmp_path / "gone.pdf"
    link.symlink_to(tmp_path / "nowhere.pdf")
    with pytest.raises(LoadError, match=r"gone\.pdf: broken symbolic link"):
        open_source(link)


def test_shown_names_are_one_printable_line() -> None:
    assert shown("a\nb.pdf") == "a\\nb.pdf"
    assert shown(os.fsdecode(b"bad\xffname.pdf")) == "bad\ufffdname.pdf"
    assert shown("fa\u00e7ture.pdf") == "fa\u00e7ture.pdf"


def test_a_file_over_the_size_limit_is_refused_unread(tmp_path: Path) -> None:
    f = tmp_path / "huge.pdf"
    with f.open("wb") as out:  # sparse: 300 MB on paper, nothing on disk
        out.write(b"%PDF-1.7\n")
        out.truncate(300 * 2**20)
    with pytest.raises(LoadError, match=r"huge\.pdf: file too large \(300 MB > 200 MB limit\)"):
        open_source(f, limits=Limits(max_file_mb=200))


def test_a_damaged_page_object_costs_that_page(converter, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # Found by tests/test_fuzz.py: one zero byte here makes pdfium refuse to load the page.
    data = bytearray((SAMPLES / "invoice_acme.pdf").read_bytes())
    data[int(0.134765625 * (len(data) - 1))] = 0
    f = tmp_path / "damaged.pdf"
    f.write_bytes(bytes(data))
    result = converter.convert(f)  # before the fix: PdfiumError out of the page iterator
    assert result.status.value == "failure"  # its only page is gone
    assert any("page 1 cannot be read" in str(e) and e.page == 1 for e in result.errors), result.errors
    assert all(str(e).startswith(f"{f}: ") and e.stage == "load" for e in result.errors)
