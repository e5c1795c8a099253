"""The viewer end to end: a real `docpipe serve` process driven by headless Debian Chromium.

Upload through the page, ask, click the citation, and check the highlight sits over the
cited box on the right page; then the same for an extracted field. Screenshots go to
tests/artifacts/ (not committed).
"""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ROOT, SAMPLES, expected

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = ROOT / "tests" / "artifacts"
QUESTION = "What is the total due on the ACME invoice?"
TOLERANCE_PX = 1.0

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is in the dev extra")
if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
    pytest.skip("Debian chromium + chromium-driver are not installed (make browser)", allow_module_level=True)

from selenium.webdriver.chrome.options import Options  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _serve(home: Path, token: str | None = None) -> Iterator[str]:
    """`docpipe serve` on a free loopback port until the block ends; yields its base URL."""
    home.mkdir(parents=True)
    port = _free_port()
    log_path = home.parent / "server.log"
    env = {k: v for k, v in os.environ.items() if k != "DOCPIPE_API_TOKEN"}
    env["PYTHONPATH"] = str(ROOT)
    if token:
        env["DOCPIPE_API_TOKEN"] = token
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "docpipe.cli", "serve", "--port", str(port), "--home", str(home)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"server did not start:\n{log_path.read_text()}")
                time.sleep(0.3)
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with _serve(tmp_path_factory.mktemp("browser") / "home") as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    opts = Options()
    opts.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-background-networking", "--disable-dev-shm-usage"):
        opts.add_argument(arg)
    opts.add_argument("--window-size=1400,1000")
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=opts)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def _rect(driver: WebDriver, css: str) -> dict[str, float]:
    rect: dict[str, float] = driver.execute_script(
        "const r = document.querySelector(arguments[0]).getBoundingClientRect();"
        "return {left: r.left, top: r.top, width: r.width, height: r.height};",
        css,
    )
    return rect


def _assert_highlight_over(driver: WebDriver, page: int, bbox: list[float], page_width_pt: float) -> None:
    """The highlight is shown, on the given page's image, at the bbox scaled from points to pixels."""
    wait = WebDriverWait(driver, 30)
    wait.until(lambda d: d.find_element(By.ID, "highlight").is_displayed())
    wait.until(lambda d: json.loads(d.find_element(By.ID, "highlight").get_attribute("data-bbox") or "[]") == bbox)
    wait.until(
        lambda d: d.execute_script(
            "const i = document.getElementById('page-img'); return i.complete && i.naturalWidth > 0"
        )
    )
    img = driver.find_element(By.ID, "page-img")
    box = driver.find_element(By.ID, "highlight")
    assert img.get_attribute("data-page") == str(page) and box.get_attribute("data-page") == str(page)
    ir, hr = _rect(driver, "#page-img"), _rect(driver, "#highlight")
    scale = ir["width"] / page_width_pt  # the image has no border or padding: its box is the page
    x0, y0, x1, y1 = bbox
    assert hr["left"] == pytest.approx(ir["left"] + x0 * scale, abs=TOLERANCE_PX)
    assert hr["top"] == pytest.approx(ir["top"] + y0 * scale, abs=TOLERANCE_PX)
    assert hr["width"] == pytest.approx((x1 - x0) * scale, abs=TOLERANCE_PX)
    assert hr["height"] == pytest.approx((y1 - y0) * scale, abs=TOLERANCE_PX)
    assert ir["left"] <= hr["left"] and hr["left"] + hr["width"] <= ir["left"] + ir["width"]
    # Drawn above the image: the topmost element at its centre is the highlight itself.
    cx, cy = hr["left"] + hr["width"] / 2, hr["top"] + hr["height"] / 2
    top_id = driver.execute_script(
        "const b = document.getElementById('highlight'); b.style.pointerEvents = 'auto';"
        "const id = document.elementFromPoint(arguments[0], arguments[1]).id; b.style.pointerEvents = ''; return id;",
        cx,
        cy,
    )
    assert top_id == "highlight"


def _listed(driver: WebDriver) -> list[tuple[str, str, str]]:
    """(status, id, text) of each document row, read in one go: the list is re-rendered while it polls."""
    rows: list[list[str]] = driver.execute_script(
        "return [...document.querySelectorAll('#doc-list li')]"
        ".map((li) => [li.dataset.status, li.dataset.id, li.innerText]);"
    )
    return [(r[0], r[1], r[2]) for r in rows]


def _doc_id(server: str, name: str) -> str:
    return next(str(d["id"]) for d in httpx.get(f"{server}/api/documents").json() if d["name"] == name)


def _page_width(server: str, doc_id: str, page: int) -> float:
    sizes = httpx.get(f"{server}/api/documents/{doc_id}").json()["page_sizes"]
    return float(sizes[page - 1]["width"])


def _ask_and_click(browser: WebDriver, server: str, question: str) -> tuple[str, int, list[float], str]:
    """Ask through the page, click the first citation; returns its document, page, bbox and the answer."""
    q = browser.find_element(By.ID, "question")
    q.clear()
    q.send_keys(question)
    browser.find_element(By.ID, "ask-button").click()
    WebDriverWait(browser, 120).until(
        lambda d: (
            d.find_elements(By.CSS_SELECTOR, "#citations .citation")
            and d.find_element(By.ID, "ask-button").is_enabled()
        )
    )
    citation = browser.find_element(By.CSS_SELECTOR, "#citations .citation")
    document = citation.get_attribute("data-document") or ""
    bbox = json.loads(citation.get_attribute("data-bbox") or "[]")
    page = int(citation.get_attribute("data-page") or 0)
    api = httpx.post(f"{server}/api/ask", json={"question": question}).json()
    assert (api["citations"][0]["document"], api["citations"][0]["page"], api["citations"][0]["bbox"]) == (
        document,
        page,
        bbox,
    )
    citation.click()
    return document, page, bbox, browser.find_element(By.ID, "answer").text


def test_upload_two_files_through_the_page_and_both_are_ingested(server: str, browser: WebDriver) -> None:
    browser.get(server)
    files = [SAMPLES / "invoice_acme.pdf", SAMPLES / "invoice_multipage.pdf"]
    browser.find_element(By.ID, "file-input").send_keys("\n".join(map(str, files)))
    WebDriverWait(browser, 600, poll_frequency=0.5).until(lambda d: [st for st, _, _ in _listed(d)] == ["ok", "ok"])
    items = [text for _, _, text in _listed(browser)]
    assert any("invoice_acme.pdf" in t and "1 p" in t for t in items)
    assert any("invoice_multipage.pdf" in t and "2 p" in t for t in items)


def test_a_file_dropped_on_the_page_is_uploaded_with_progress(server: str, browser: WebDriver) -> None:
    browser.get(server)
    WebDriverWait(browser, 60).until(_listed)
    data = base64.b64encode((SAMPLES / "two_column.pdf").read_bytes()).decode()
    # A real drop event carrying a File, as a drag from the desktop delivers it.
    browser.execute_script(
        """
        const bytes = Uint8Array.from(atob(arguments[0]), (c) => c.charCodeAt(0));
        const dt = new DataTransfer();
        dt.items.add(new File([bytes], "two_column.pdf", { type: "application/pdf" }));
        const drop = document.getElementById("drop");
        for (const type of ["dragover", "drop"]) {
          drop.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));
        }
        """,
        data,
    )
    WebDriverWait(browser, 30).until(
        lambda d: "Uploaded: two_column.pdf" in d.find_element(By.ID, "upload-status").text
    )
    WebDriverWait(browser, 600, poll_frequency=0.5).until(
        lambda d: any(st == "ok" and "two_column.pdf" in text for st, _, text in _listed(d))
    )
    assert browser.find_element(By.ID, "upload-progress").get_attribute("value") == "100"


def test_citation_click_highlights_the_box_on_the_page(server: str, browser: WebDriver) -> None:
    total = f"{expected('invoice_acme')['data']['total']:,.2f}"
    browser.get(server)
    document, page, bbox, answer = _ask_and_click(browser, server, QUESTION)
    assert total in answer and document == "invoice_acme.pdf" and page == 1
    doc_id = _doc_id(server, document)
    _assert_highlight_over(browser, page, bbox, _page_width(server, doc_id, page))
    assert browser.find_element(By.ID, "page-img").get_attribute("data-doc") == doc_id
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "viewer_citation.png"))


def test_citation_on_a_second_page_shows_that_page(server: str, browser: WebDriver) -> None:
    document, page, bbox, answer = _ask_and_click(browser, server, "What is the Gesamtbetrag on the Nordlicht invoice?")
    assert "25.736,64" in answer and document == "invoice_multipage.pdf" and page == 2
    doc_id = _doc_id(server, document)
    _assert_highlight_over(browser, 2, bbox, _page_width(server, doc_id, 2))
    assert browser.find_element(By.ID, "page-img").get_attribute("data-doc") == doc_id
    assert "page 2 of 2" in browser.find_element(By.ID, "page-title").text
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "viewer_citation_page2.png"))


def test_extracted_field_highlights_its_box(server: str, browser: WebDriver) -> None:
    browser.get(server)
    WebDriverWait(browser, 60).until(_listed)
    doc_id = _doc_id(server, "invoice_acme.pdf")
    buttons = browser.find_elements(By.CSS_SELECTOR, f"#doc-list li[data-id='{doc_id}'] .actions button")
    next(b for b in buttons if b.text == "Extract invoice").click()
    field = WebDriverWait(browser, 120).until(lambda d: d.find_element(By.ID, "field-total"))
    assert float(field.get_attribute("value") or "nan") == expected("invoice_acme")["data"]["total"]
    record: dict[str, Any] = httpx.post(
        f"{server}/api/extract", json={"document_id": doc_id, "schema": "invoice"}
    ).json()
    prov = record["provenance"]["total"]
    field.click()
    _assert_highlight_over(browser, prov["page"], prov["bbox"], _page_width(server, doc_id, prov["page"]))
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "viewer_extraction.png"))


def test_api_docs_render_offline(server: str, browser: WebDriver) -> None:
    browser.get(f"{server}/docs")
    WebDriverWait(browser, 60).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".opblock")) >= 6)
    paths = {e.text for e in browser.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")}
    assert {"/api/documents", "/api/ask", "/api/extract", "/healthz"} <= paths
    loaded = browser.execute_script("return performance.getEntriesByType('resource').map((e) => e.name)")
    assert loaded and all(url.startswith(server) for url in loaded)  # nothing from another origin


def test_with_a_token_the_page_asks_for_it_then_uploads_and_shows_pages(tmp_path: Path, browser: WebDriver) -> None:
    token = "browser-test-token"
    with _serve(tmp_path / "home", token) as base:
        assert httpx.get(f"{base}/api/documents").status_code == 401
        browser.get(base)
        box = WebDriverWait(browser, 30).until(lambda d: d.find_element(By.ID, "token-box"))
        WebDriverWait(browser, 30).until(lambda d: box.is_displayed())
        browser.find_element(By.ID, "token").send_keys(token + Keys.TAB)
        browser.find_element(By.ID, "file-input").send_keys(str(SAMPLES / "two_column.pdf"))
        WebDriverWait(browser, 600, poll_frequency=0.5).until(
            lambda d: any(st == "ok" and "two_column.pdf" in text for st, _, text in _listed(d))
        )
        view = browser.find_element(By.CSS_SELECTOR, "#doc-list li[data-status='ok'] .actions button")
        assert view.text == "View"
        view.click()
        WebDriverWait(browser, 30).until(
            lambda d: d.execute_script(
                "const i = document.getElementById('page-img'); return i.complete && i.naturalWidth > 0"
            )
        )
        assert browser.find_element(By.ID, "page-img").get_attribute("data-page") == "1"
        assert "two_column.pdf, page 1" in browser.find_element(By.ID, "page-title").text


def test_a_citation_of_a_sheet_row_and_of_a_docx_paragraph_is_shown_on_its_page(
    tmp_path: Path, browser: WebDriver
) -> None:
    """Office pages have no image: the viewer shows their elements and marks the cited one."""
    from tests import office_files

    files = [office_files.stock_xlsx(tmp_path / "stock.xlsx"), office_files.contract_docx(tmp_path / "contract.docx")]
    with _serve(tmp_path / "home") as base:
        browser.get(base)
        browser.find_element(By.ID, "file-input").send_keys("\n".join(map(str, files)))
        WebDriverWait(browser, 600, poll_frequency=0.5).until(lambda d: [st for st, _, _ in _listed(d)] == ["ok", "ok"])
        shown: dict[str, str] = {}
        for question, name, wanted in (
            ("How many wing nuts are in stock?", "stock.xlsx", "Wing nuts"),
            # (asked "Who is the contract between?", the 0.5B now answers "Aceme Corp.", which grounding refuses)
            ("Which companies are the parties of the contract?", "contract.docx", "Nordlicht GmbH"),
        ):
            document, page, _, _ = _ask_and_click(browser, base, question)
            assert (document, page) == (name, 1)
            WebDriverWait(browser, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#page-html .cited"))
            assert browser.find_element(By.ID, "page-html").is_displayed()
            assert not browser.find_element(By.ID, "page-img").is_displayed()
            cited = browser.find_element(By.CSS_SELECTOR, "#page-html .cited")
            shown[name] = cited.tag_name
            assert wanted in cited.text
            ARTIFACTS.mkdir(exist_ok=True)
            browser.save_screenshot(str(ARTIFACTS / f"viewer_native_{name}.png"))
        assert shown == {"stock.xlsx": "tr", "contract.docx": "p"}  # the row itself, the paragraph itself
