"""The real app in headless Chromium (Playwright + Debian's chromium; never `playwright install`).

Segment (upload, prompt chips, overlay + guidance + findings), Compare (two prompts, two
different masks), Examples (a real X-ray opened, its ground-truth outline ticked on and off),
About, and a corrupt upload. Screenshots of each view go to
``test-artifacts/``; with ``SSA_UPDATE_SCREENSHOTS=1`` small copies also go to
``docs/screenshots/`` for the README. Uses ``checkpoints/ssa-demo`` when it exists, else a
random tiny checkpoint.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from tests.demo_server import (
    DEMO_CHECKPOINT,
    EXAMPLES,
    ROOT,
    gradio_folders,
    running_demo,
    save_tiny_checkpoint,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:.*no_silent_downcasting"),  # gradio 6.31 + pandas 3
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run"]
ARTIFACTS = ROOT / "test-artifacts"
DOCS_SHOTS = ROOT / "docs" / "screenshots"
TIMEOUT_MS = 30_000
EXAMPLE = EXAMPLES / "qata_referring_left.png"  # a real X-ray; lesions low on both sides


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} not installed (apt-get install -y chromium)")
    root = tmp_path_factory.mktemp("browser")
    checkpoint = DEMO_CHECKPOINT if (DEMO_CHECKPOINT / "config.json").exists() else \
        save_tiny_checkpoint(root / "ssa-tiny")
    with gradio_folders(root), running_demo(checkpoint) as (_demo, address):
        yield address


@pytest.fixture(scope="module")
def page(url):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 1000})
        page.requested_urls = []  # every request the page makes, for the privacy test
        page.on("request", lambda request: page.requested_urls.append(request.url))
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(url)
        page.wait_for_selector("#seg-run")
        yield page
        browser.close()


def shoot(page, name: str) -> Path:
    """Full-page screenshot into test-artifacts/ (and a small copy for the docs on request)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if os.environ.get("SSA_UPDATE_SCREENSHOTS") == "1":
        from PIL import Image

        DOCS_SHOTS.mkdir(parents=True, exist_ok=True)
        with Image.open(path) as im:
            small = im.convert("RGB")
            small.thumbnail((1100, 2400))
            small.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(
                DOCS_SHOTS / f"{name}.png", optimize=True)
    return path


def open_tab(page, name: str) -> None:
    page.get_by_role("tab", name=name).click()


def upload(page, elem_id: str, path: Path) -> None:
    """Drop ``path`` on a gr.File (clearing what it holds first, as a user would)."""
    clear = page.locator(f"#{elem_id} button[aria-label='Clear']")
    if clear.count() and clear.first.is_visible():
        clear.first.click()
    page.set_input_files(f"#{elem_id} input[type=file]", str(path))


def test_segment_view(page):
    open_tab(page, "Segment")
    upload(page, "seg-file", EXAMPLE)
    page.wait_for_selector("#seg-preview img")
    assert "224×224" in page.inner_text("#seg-preview")
    page.fill("#seg-prompt textarea", "Unilateral pulmonary infection, two infected areas")
    page.get_by_role("button", name="right lower lung", exact=True).click()
    page.wait_for_function(
        "() => document.querySelector('#seg-prompt textarea').value.endsWith('right lower lung')")
    page.click("#seg-run")
    page.wait_for_selector("#seg-findings [role=grid][aria-rowcount=\"9\"]")  # header + 8 rows
    page.wait_for_selector("#seg-overlay img")
    page.wait_for_selector("#seg-guidance img")
    page.wait_for_selector("#seg-alignment img")
    status = page.inner_text("#seg-status")
    assert "Location read from the prompt" in status and "right lung (lower)" in status
    findings = page.inner_text("#seg-findings")
    assert "Whole side" in findings and "Lesion (% of zone)" in findings
    shoot(page, "segment")


def _mask_digests(page) -> list[str]:
    links = page.locator("#cmp-masks a[href]")
    hrefs = {links.nth(i).get_attribute("href") for i in range(links.count())}
    return [hashlib.sha256(page.request.get(h).body()).hexdigest() for h in sorted(hrefs)]


def test_compare_view_gives_two_different_masks(page):
    open_tab(page, "Compare")
    upload(page, "cmp-file", EXAMPLE)
    page.wait_for_selector("#cmp-preview img")
    assert "lower left lung" in page.input_value("#cmp-prompt-1 textarea")
    assert "lower right lung" in page.input_value("#cmp-prompt-2 textarea")
    page.click("#cmp-run")
    page.wait_for_selector("#cmp-table [role=grid][aria-rowcount=\"3\"]")  # header + 2 prompts
    page.wait_for_selector("#cmp-overlay-1 img")
    page.wait_for_selector("#cmp-overlay-2 img")
    page.wait_for_selector("#cmp-masks a[href]")
    table = page.inner_text("#cmp-table")
    assert "left lung (lower)" in table and "right lung (lower)" in table
    digests = _mask_digests(page)
    assert len(digests) == 2 and digests[0] != digests[1], "the two prompts must give different masks"
    shoot(page, "compare")


def test_examples_view_opens_an_example_in_segment(page):
    open_tab(page, "Examples")
    rows = page.locator("table tbody tr:visible")
    rows.first.wait_for()
    shoot(page, "examples")
    rows.first.click()
    page.wait_for_function(
        "() => document.querySelector('#seg-prompt textarea').value.includes('pulmonary infection')")
    page.locator("#seg-run").wait_for(state="visible")  # switched to the Segment tab


def _overlay_sources(page) -> list[str]:
    imgs = page.locator("#seg-overlay img")
    return [imgs.nth(i).get_attribute("src") for i in range(imgs.count())]


def _yellow_pixels(page, src: str) -> int:
    """Fully opaque pixels of the reference colour (#ffd60a) in one overlay layer."""
    import cv2
    import numpy as np

    bgra = cv2.imdecode(np.frombuffer(page.request.get(src).body(), np.uint8), cv2.IMREAD_UNCHANGED)
    if bgra is None or bgra.ndim != 3 or bgra.shape[2] != 4:
        return 0
    return int(np.all(bgra == (10, 214, 255, 255), axis=-1).sum())


def test_example_ground_truth_outline_on_request(page):
    truth = page.locator("#seg-truth input[type=checkbox]")
    open_tab(page, "Examples")
    page.get_by_text("Real X-ray (QaTa-COV19 test)", exact=False).first.wait_for()
    assert "Degerli" in page.inner_text("#examples-credits")
    page.locator("table tbody tr:visible").first.click()  # the first real X-ray
    page.locator("#seg-run").wait_for(state="visible")
    page.wait_for_function("() => !document.querySelector('#seg-truth input').disabled")
    page.wait_for_function("() => document.querySelectorAll('#seg-overlay img').length >= 2")
    before = _overlay_sources(page)
    assert not truth.is_checked()
    truth.check()
    page.locator("#seg-overlay .legend-item", has_text="Reference annotation").wait_for()
    after = _overlay_sources(page)
    assert after != before and len(after) == len(before) + 1  # one more layer: the outline
    assert max(_yellow_pixels(page, src) for src in after) > 200
    shoot(page, "ground-truth")
    truth.uncheck()
    page.locator("#seg-overlay .legend-item", has_text="Reference annotation").wait_for(state="detached")
    # an uploaded image has no reference: the box is greyed out
    truth.check()
    page.locator("#seg-overlay .legend-item", has_text="Reference annotation").wait_for()
    upload(page, "seg-file", EXAMPLES / "ct_report.png")
    page.wait_for_function("() => document.querySelector('#seg-truth input').disabled")
    assert not truth.is_checked() and "has none" in page.inner_text("#seg-truth")
    page.locator("#seg-overlay .legend-item", has_text="Reference annotation").wait_for(state="detached")


def test_about_view(page):
    open_tab(page, "About")
    page.wait_for_selector("text=Loaded checkpoint")
    text = page.inner_text("body")
    assert "not for clinical use" in text and "radiological" in text and "patient's left" in text
    shoot(page, "about")


def test_corrupt_upload_shows_the_error(page, tmp_path):
    bad = tmp_path / "corrupt_scan.png"
    bad.write_bytes(b"this is not an image, just some bytes")
    open_tab(page, "Segment")
    upload(page, "seg-file", bad)
    page.wait_for_function(
        "() => document.querySelector('#seg-status').innerText.includes('Cannot use this file')")
    assert "corrupt_scan.png: not a readable image" in page.inner_text("#seg-status")
    page.click("#seg-run")
    page.get_by_text("corrupt_scan.png: not a readable image").first.wait_for()
    shoot(page, "error")
    # the server keeps serving: a good image works right after
    upload(page, "seg-file", EXAMPLES / "ct_report.png")
    page.wait_for_function("() => document.querySelector('#seg-status').innerText.includes('Loaded')")


def test_every_request_stays_on_loopback(page):
    """Privacy: after all the views above, the page has fetched nothing from outside this
    machine (no web fonts, no analytics, no CDN)."""
    from urllib.parse import urlparse

    assert page.requested_urls
    outside = [u for u in page.requested_urls
               if urlparse(u).scheme not in ("data", "blob")
               and urlparse(u).hostname not in ("127.0.0.1", "localhost", "::1")]
    assert not outside, outside
