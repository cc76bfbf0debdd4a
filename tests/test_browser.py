"""The real app in headless Chromium (Playwright + Debian's chromium; never `playwright install`).

Segment (upload, prompt chips, overlay + guidance + findings), Compare (two prompts, two
different masks), Examples (a real X-ray opened, its ground-truth outline ticked on and off),
About, and a corrupt upload. Then the page as a clinician meets it, measured in the browser:
the alignment heatmaps whole and captioned for one expression or six, the pictures in their
own aspect with the R/L markers clear of every control, the Segment button on a laptop's
first screen, and a bad file said once, in the status panel. Screenshots of each view go to
``test-artifacts/``; with ``SSA_UPDATE_SCREENSHOTS=1`` small copies also go to
``docs/screenshots/`` for the README. Uses ``checkpoints/ssa-demo`` when it exists, else a
random tiny checkpoint.
"""

from __future__ import annotations

import base64
import hashlib
import os
import time
from pathlib import Path

import cv2
import pytest

from ssa.webui import page_js
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


def _picture_bytes(page, src: str) -> bytes:
    """The file behind an <img> src: fetched from the server, or an inline layer's data URL."""
    if src.startswith("data:"):
        return base64.b64decode(src.split(",", 1)[1])
    return page.request.get(src).body()


def _yellow_pixels(page, src: str) -> int:
    """Fully opaque pixels of the reference colour (#ffd60a) in one overlay layer."""
    import cv2
    import numpy as np

    bgra = cv2.imdecode(np.frombuffer(_picture_bytes(page, src), np.uint8), cv2.IMREAD_UNCHANGED)
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
    run_segment(page)  # a new result with the box ticked: the outline comes with it, at once
    assert page.locator("#seg-overlay .legend-item", has_text="Reference annotation").count() == 1
    assert max(_yellow_pixels(page, src) for src in _overlay_sources(page)) > 200
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
    run_segment(page)
    page.get_by_text("corrupt_scan.png: not a readable image").first.wait_for()
    shoot(page, "error")
    # the server keeps serving: a good image works right after
    upload(page, "seg-file", EXAMPLES / "ct_report.png")
    page.wait_for_function("() => document.querySelector('#seg-status').innerText.includes('Loaded')")


# -- the page as a clinician meets it: measured in the browser ------------------------------------

# The picture an <img> paints (its object-fit applied; object-position is Gradio's default, centred)
# and the part of it left visible by its own box and every ancestor that clips, in page pixels.
PICTURE_JS = """(img) => {
  const r = img.getBoundingClientRect(), cs = getComputedStyle(img);
  const nw = img.naturalWidth, nh = img.naturalHeight, fit = cs.objectFit;
  let w = r.width, h = r.height;
  if (fit === 'contain' || fit === 'scale-down') {
    const s = Math.min(r.width / nw, r.height / nh, fit === 'scale-down' ? 1 : Infinity);
    w = nw * s; h = nh * s;
  } else if (fit === 'cover') {
    const s = Math.max(r.width / nw, r.height / nh); w = nw * s; h = nh * s;
  } else if (fit === 'none') { w = nw; h = nh; }
  const x = r.x + (r.width - w) / 2, y = r.y + (r.height - h) / 2;
  let v = [Math.max(x, r.x), Math.max(y, r.y), Math.min(x + w, r.right), Math.min(y + h, r.bottom)];
  for (let el = img.parentElement; el && el !== document.body; el = el.parentElement) {
    const s = getComputedStyle(el);
    if (s.overflowX === 'visible' && s.overflowY === 'visible') continue;
    const b = el.getBoundingClientRect();
    v = [Math.max(v[0], b.x), Math.max(v[1], b.y), Math.min(v[2], b.right), Math.min(v[3], b.bottom)];
  }
  return {natural: [nw, nh], box: [r.x, r.y, r.width, r.height], fit: fit,
          painted: [x, y, w, h], visible: [v[0], v[1], Math.max(0, v[2] - v[0]), Math.max(0, v[3] - v[1])]};
}"""


def picture(locator) -> dict:
    """PICTURE_JS of the <img> ``locator`` (its picture loaded first)."""
    locator.wait_for()
    locator.page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=locator.element_handle())
    return locator.evaluate(PICTURE_JS)


def aspect(w: float, h: float) -> float:
    return w / h


def assert_whole_and_undistorted(pic: dict, what: str) -> None:
    """Painted in the image's own aspect (within 1 %) and not cropped (every pixel visible)."""
    (nw, nh), (_, _, pw, ph), (_, _, vw, vh) = pic["natural"], pic["painted"], pic["visible"]
    assert abs(aspect(pw, ph) / aspect(nw, nh) - 1) < 0.01, (what, "distorted", pic)
    assert vw >= pw - 1 and vh >= ph - 1, (what, "cropped", pic)


def run_segment(page) -> None:
    """Click Segment and wait until that run has answered, however it ended (a result, a refusal
    in the status panel, or Gradio's error state): the click marks the status panel aria-busy,
    the answer unmarks it (ssa.webui.page_js)."""
    page.evaluate("""() => {
      const s = document.querySelector('#seg-status');
      window.__ssaRan = false;
      if (window.__ssaObserver) window.__ssaObserver.disconnect();
      window.__ssaObserver = new MutationObserver(() => {
        if (s.getAttribute('aria-busy') === 'true') window.__ssaRan = true; });
      window.__ssaObserver.observe(s, {attributes: true, attributeFilter: ['aria-busy']});
    }""")
    page.click("#seg-run")
    page.wait_for_function("""() => window.__ssaRan &&
      document.querySelector('#seg-status').getAttribute('aria-busy') !== 'true'""")


def segment(page, image: Path, prompt: str) -> None:
    """Upload ``image`` in Segment, type ``prompt``, run, and wait for the overlay."""
    open_tab(page, "Segment")
    upload(page, "seg-file", image)
    page.wait_for_function("(name) => document.querySelector('#seg-preview').innerText.includes(name)",
                           arg=image.name)
    page.fill("#seg-prompt textarea", prompt)
    run_segment(page)
    page.wait_for_selector("#seg-overlay img.base-image")


def reshaped(example: Path, folder: Path, height: int, width: int) -> Path:
    """The real X-ray ``example`` resized to ``height`` x ``width`` (a PNG in ``folder``)."""
    gray = cv2.imread(str(example), cv2.IMREAD_GRAYSCALE)
    path = folder / f"{example.stem}_{width}x{height}.png"
    assert cv2.imwrite(str(path), cv2.resize(gray, (width, height), interpolation=cv2.INTER_AREA))
    return path


@pytest.mark.parametrize("prompt", [
    "lower left lung",  # one expression: not blown up to the gallery's width and cropped
    "Bilateral pulmonary infection, six infected areas, upper right lung, middle right lung, "
    "lower left lung and upper left lung.",  # six, the most a prompt gives: every row shown
])
def test_alignment_heatmaps_whole_and_captioned(page, tmp_path, prompt):
    from ssa.expressions import split_expressions

    expressions = [e.text for e in split_expressions(prompt)]
    assert len(expressions) in (1, 6)
    wide = reshaped(EXAMPLE, tmp_path, 224, 448)  # 2:1: a square cell must not crop or stretch it
    segment(page, wide, prompt)
    gallery = page.locator("#seg-alignment")
    page.wait_for_function("(n) => document.querySelectorAll('#seg-alignment img').length === n",
                           arg=len(expressions))
    gallery.scroll_into_view_if_needed()
    width = gallery.bounding_box()["width"]
    images = gallery.locator("img")
    for i, expression in enumerate(expressions):
        img = images.nth(i)
        pic = picture(img)
        assert_whole_and_undistorted(pic, expression)
        assert abs(aspect(*pic["natural"]) - 2.0) < 0.02  # the heatmap is drawn in the image's aspect
        assert pic["painted"][2] < 0.4 * width, ("one heatmap fills the gallery", pic, width)
        caption = img.locator("xpath=ancestor::button[1]").locator(".caption-label")
        assert caption.inner_text().strip() == expression
        assert caption.evaluate("(c) => c.scrollWidth <= c.clientWidth + 1"), ("caption cut", expression)
    shoot(page, f"alignment-{len(expressions)}")


def test_pictures_keep_the_image_aspect(page, tmp_path):
    """A square and a 2:1 upload: the overlay (base and layers) and the guidance are shown in the
    image's aspect, the <img> box included (no letterbox frame around a squeezed picture)."""
    for image in (EXAMPLE, reshaped(EXAMPLE, tmp_path, 224, 448)):
        segment(page, image, "Unilateral pulmonary infection, one infected area, lower left lung.")
        base = picture(page.locator("#seg-overlay img.base-image"))
        ratio = aspect(*base["natural"])
        assert abs(ratio - (1.0 if image == EXAMPLE else 2.0)) < 0.02
        for pic, what in [(base, "overlay"), (picture(page.locator("#seg-guidance img")), "guidance")]:
            assert_whole_and_undistorted(pic, what)
            _, _, bw, bh = pic["box"]
            assert abs(aspect(bw, bh) / ratio - 1) < 0.01, (what, image.name, pic)
        for i in range(page.locator("#seg-overlay img.mask").count()):  # the layers lie on the base
            layer = picture(page.locator("#seg-overlay img.mask").nth(i))
            assert all(abs(a - b) < 1 for a, b in zip(layer["painted"], base["painted"])), (layer, base)


def _controls(page, block: str) -> list[dict]:
    """Bounding boxes of the visible labels and buttons of the panel ``block`` (not a button
    that is the picture itself: a click on the picture)."""
    boxes = []
    controls = page.locator(f"{block} [data-testid=block-label], {block} button, {block} .icon-button-wrapper")
    for i in range(controls.count()):
        control = controls.nth(i)
        if control.is_visible() and not control.evaluate("(c) => !!c.querySelector('img')") \
                and (box := control.bounding_box()) and box["width"] and box["height"]:
            boxes.append(box)
    return boxes


def _overlap(a: dict, b: dict) -> bool:
    return (a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"]
            and a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"])


def test_side_markers_clear_of_every_control(page, tmp_path):
    """A portrait image (1:1.2, as many DICOMs): in the preview, the overlay, the guidance and
    the Compare overlays, no R/L marker lies under a panel's label or a button. The markers' boxes are the ones
    ssa.overlay draws, mapped from the picture's pixels to the page."""
    from ssa.overlay import marker_boxes

    tall = reshaped(EXAMPLE, tmp_path, 538, 448)
    segment(page, tall, "Unilateral pulmonary infection, one infected area, lower left lung.")
    covered = []
    for block, img in [("#seg-preview", "#seg-preview img"), ("#seg-overlay", "#seg-overlay img.base-image"),
                       ("#seg-guidance", "#seg-guidance img"), ("#cmp-overlay-1", "#cmp-overlay-1 img.base-image"),
                       ("#cmp-overlay-2", "#cmp-overlay-2 img.base-image")]:
        if block == "#cmp-overlay-1":  # the same image compared under two prompts
            open_tab(page, "Compare")
            upload(page, "cmp-file", tall)
            page.wait_for_function("(n) => document.querySelector('#cmp-preview').innerText.includes(n)",
                                   arg=tall.name)
            page.click("#cmp-run")
            page.wait_for_function("() => { const i = document.querySelector('#cmp-overlay-2 img.base-image');"
                                   " return i && i.complete && i.naturalHeight > i.naturalWidth; }")
        page.locator(block).scroll_into_view_if_needed()
        pic = picture(page.locator(img))
        (nw, nh), (px, py, pw, ph) = pic["natural"], pic["painted"]
        assert abs(aspect(nw, nh) - 448 / 538) < 0.01
        sx, sy = pw / nw, ph / nh
        controls = _controls(page, block)
        assert any(c["y"] <= py + 0.25 * ph for c in controls), (block, "no label or button found", controls)
        for letter, (x0, y0, x1, y1) in marker_boxes((nh, nw)):
            marker = {"x": px + x0 * sx, "y": py + y0 * sy, "width": (x1 - x0) * sx, "height": (y1 - y0) * sy}
            covered += [(block, letter, marker, c) for c in controls if _overlap(marker, c)]
    shoot(page, "markers-portrait")
    assert not covered, covered


def assert_on_first_screen(page, selector: str, what: str) -> None:
    """``selector`` lies whole on the page's first screen (scrolled to the top)."""
    page.evaluate("window.scrollTo(0, 0)")
    page.wait_for_function("() => window.scrollY === 0")
    box = page.locator(selector).bounding_box()
    height = page.viewport_size["height"]
    assert box["y"] >= 0 and box["y"] + box["height"] <= height, (what, selector, box)


SENT_JS = """(panel) => {  // log the page's requests: did the panel then show new pictures, painted?
  window.__ssaSent = [];
  window.__ssaPanel = panel;
  window.__ssaOld = new Set(Array.from(document.querySelectorAll(panel + ' img')).map((i) => i.src));
  // Painted: a frame has been produced since the panel's pictures last changed.
  window.__ssaFramed = true;
  if (window.__ssaWatched !== panel) {
    window.__ssaWatched = panel;
    if (window.__ssaWatch) window.__ssaWatch.disconnect();
    window.__ssaWatch = new MutationObserver(() => {
      window.__ssaFramed = false;
      requestAnimationFrame(() => setTimeout(() => { window.__ssaFramed = true; }, 0));
    });
    window.__ssaWatch.observe(document.querySelector(panel),
                              {attributes: true, attributeFilter: ['src'], childList: true, subtree: true});
  }
  if (window.__ssaSend) return;
  window.__ssaSend = window.fetch;
  window.fetch = (input, init) => {
    const imgs = Array.from(document.querySelectorAll(window.__ssaPanel + ' img'));
    const row = {url: String(input.url || input), done: false,
                 shown: imgs.some((i) => !window.__ssaOld.has(i.src)) &&
                        imgs.every((i) => i.complete && i.naturalWidth > 0) && window.__ssaFramed};
    window.__ssaSent.push(row);
    return window.__ssaSend(input, init).finally(() => { row.done = true; });
  };
}"""
# The Segment click's second request has answered: the one sent once the overlay showed new
# pictures (not an earlier quick request of the upload's, such as the reference box's).
DETAILS_DONE_JS = "() => window.__ssaSent.some((r) => r.url.includes('run/predict') && r.shown && r.done)"


def details_done(page) -> None:
    """Wait (10 s at most) until the Segment click's second request has answered; fail, with
    the page's request log, if none was sent once the overlay showed the new pictures."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(DETAILS_DONE_JS, timeout=10_000)
    except PlaywrightTimeout:
        pytest.fail(f"no request for the details once the overlay was in: {page.evaluate('() => window.__ssaSent')}")


def test_segment_details_asked_for_once_the_overlay_is_in(page):
    """The Segment button's second request (guidance, heatmaps, table, mask file) leaves the page
    only once the overlay's new pictures are loaded: fetching and decoding them does not compete
    with the server drawing the rest (ssa.webui.page_js). The page's requests are logged as
    they are sent, each with whether the overlay then showed new pictures, loaded and painted."""
    page.evaluate(SENT_JS, "#seg-overlay")
    segment(page, EXAMPLE, "lower left lung")
    details_done(page)  # this result is whole: nothing of it is still coming
    page.evaluate(SENT_JS, "#seg-overlay")
    page.fill("#seg-prompt textarea", "lower right lung")
    run_segment(page)
    details_done(page)
    page.wait_for_timeout(300)  # nothing more comes
    sent = page.evaluate("() => window.__ssaSent")
    details = [r for r in sent if "run/predict" in r["url"]]
    assert len(details) == 1 and details[0]["shown"], sent


def test_overlay_layers_come_inside_the_answer(page):
    """A Segment result's layers are drawn from data URLs in the answer: the page fetches no
    picture for them (the base picture is the preview's, already in the page)."""
    page.evaluate(SENT_JS, "#seg-overlay")
    segment(page, EXAMPLE, "lower left lung")
    details_done(page)
    page.evaluate("() => performance.clearResourceTimings()")
    page.fill("#seg-prompt textarea", "lower right lung")
    run_segment(page)
    page.wait_for_function("() => Array.from(document.querySelectorAll('#seg-overlay img'))"
                           ".every((i) => i.complete && i.naturalWidth > 0)")
    layers = page.locator("#seg-overlay img.mask")
    sources = [layers.nth(i).get_attribute("src") for i in range(layers.count())]
    assert sources and all(src.startswith("data:image/png;base64,") for src in sources), sources
    # Layers are PNG (the guidance and heatmaps that follow are JPEG files, fetched as usual).
    fetched = page.evaluate("() => performance.getEntriesByType('resource').map((e) => e.name)"
                            ".filter((n) => /\\.png/.test(n))")
    assert fetched == [], fetched


# Whether #seg-status ever showed Gradio's progress tracker or our "Working" mark, from now on.
DRAWN_WHILE_RUNNING_JS = """() => {
  const s = document.querySelector('#seg-status');
  window.__ssaDrawn = {tracker: false, working: false};
  const look = () => {
    const t = s.querySelector('[data-testid=status-tracker]');
    if (t && !t.classList.contains('hide') && t.innerText.trim()) window.__ssaDrawn.tracker = true;
    if (s.classList.contains('ssa-busy')) window.__ssaDrawn.working = true;
  };
  new MutationObserver(look).observe(s, {attributes: true, childList: true, subtree: true});
}"""


def test_segment_click_draws_nothing_while_the_model_runs_unless_late(page):
    """A Segment click shows no progress tracker (drawing it took the cores the model runs on):
    an answer in the usual time changes nothing until the result; one held up longer than
    page_js.BUSY_AFTER_MS (here: the request held in the page's network) marks the status
    panel "Working" until it is in."""
    page.evaluate(SENT_JS, "#seg-overlay")
    segment(page, EXAMPLE, "lower left lung")
    details_done(page)
    page.evaluate(SENT_JS, "#seg-overlay")
    page.evaluate(DRAWN_WHILE_RUNNING_JS)
    page.fill("#seg-prompt textarea", "lower right lung")
    run_segment(page)
    assert page.evaluate("() => window.__ssaDrawn") == {"tracker": False, "working": False}
    details_done(page)

    def held(route):
        time.sleep((page_js.BUSY_AFTER_MS + 400) / 1000)
        route.continue_()

    page.route("**/queue/join*", held)
    page.evaluate(DRAWN_WHILE_RUNNING_JS)
    page.fill("#seg-prompt textarea", "lower left lung")
    run_segment(page)
    page.unroute("**/queue/join*")
    assert page.evaluate("() => window.__ssaDrawn") == {"tracker": False, "working": True}
    assert "ssa-busy" not in (page.get_attribute("#seg-status", "class") or "")


def test_upload_encoded_once_the_preview_is_in(page, tmp_path):
    """An upload: the load event shows the preview; the image is encoded for the model by a
    second request, which leaves the page only once the new preview is painted (it would
    otherwise compete with the preview for the cores)."""
    open_tab(page, "Segment")
    image = reshaped(EXAMPLE, tmp_path, 230, 230)  # a picture this page has not shown yet
    page.evaluate(SENT_JS, "#seg-preview")
    upload(page, "seg-file", image)
    page.wait_for_function("(n) => document.querySelector('#seg-preview').innerText.includes(n)", arg=image.name)
    # The load's request (Gradio may clear the previous file first), then the encoding's.
    page.wait_for_function("() => window.__ssaSent.some((r) => r.url.includes('queue/join') && r.shown && r.done)",
                           timeout=10_000)  # times out when the encoding's request went before the preview
    page.wait_for_timeout(500)  # nothing more comes
    joins = [r for r in page.evaluate("() => window.__ssaSent") if "queue/join" in r["url"]]
    assert not joins[0]["shown"] and joins[-1]["shown"], joins


def test_segment_button_in_view_on_a_laptop(page):
    """1440x1000, an example just loaded (from Examples) or an image uploaded: the Segment
    button is on the first screen, whole, without scrolling."""
    assert page.viewport_size == {"width": 1440, "height": 1000}
    open_tab(page, "Examples")
    page.locator("table tbody tr:visible").first.click()
    page.locator("#seg-run").wait_for(state="visible")
    page.wait_for_selector("#seg-preview img")
    page.wait_for_selector("#seg-overlay img.base-image")  # the example's cached result
    for loaded in ("example", "upload"):
        if loaded == "upload":
            upload(page, "seg-file", EXAMPLE)
            page.wait_for_function("(n) => document.querySelector('#seg-preview').innerText.includes(n)",
                                   arg=EXAMPLE.name)
        assert_on_first_screen(page, "#seg-run", loaded)
        if loaded == "example":
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "segment-laptop.png"))  # the first screen, as seen


def test_compare_laid_out_as_segment(page, tmp_path):
    """Compare at 1440x1000: the Compare button on the first screen; the status above the
    overlays; each overlay in its image's own aspect (a 2:1 upload too), whole, two a row."""
    open_tab(page, "Compare")
    for image in (EXAMPLE, reshaped(EXAMPLE, tmp_path, 224, 448)):
        upload(page, "cmp-file", image)
        page.wait_for_function("(n) => document.querySelector('#cmp-preview').innerText.includes(n)",
                               arg=image.name)
        assert_on_first_screen(page, "#cmp-run", image.name)
        page.click("#cmp-run")
        page.wait_for_function("(n) => document.querySelector('#cmp-status').innerText.includes('Model time')"
                               " && document.querySelector('#cmp-table').innerText.includes('lower')", arg=1)
        pictures = [picture(page.locator(f"#cmp-overlay-{i} img.base-image")) for i in (1, 2)]
        ratio = 1.0 if image == EXAMPLE else 2.0
        for pic in pictures:
            assert abs(aspect(*pic["natural"]) - ratio) < 0.02
            assert_whole_and_undistorted(pic, image.name)
            _, _, bw, bh = pic["box"]
            assert abs(aspect(bw, bh) / ratio - 1) < 0.01, (image.name, "letterboxed", pic)
        (x1, y1, *_), (x2, y2, *_) = (p["box"] for p in pictures)
        assert abs(y1 - y2) < 2 and x2 > x1, "two a row"
        status = page.locator("#cmp-status").bounding_box()
        assert status["y"] + status["height"] <= min(y1, y2), "the status above the overlays"
        page.wait_for_function("() => document.querySelector('#cmp-status').innerText.includes('Model time')")


def test_bad_file_said_once_in_the_status_panel(page, tmp_path):
    """A text file renamed .png, over a shown result: on upload and on run, one message (in the
    status panel, naming the file; no toast), the result panels emptied, no "Error" badge."""
    segment(page, EXAMPLE, "lower left lung")  # a result on every panel first
    page.wait_for_selector("#seg-alignment img")
    bad = tmp_path / "notes.png"
    bad.write_text("Patient notes, typed in a text editor and saved as .png\n")
    message = "notes.png: not a readable image"
    upload(page, "seg-file", bad)
    page.wait_for_function("(m) => document.querySelector('#seg-status').innerText.includes(m)", arg=message)
    for step in ("upload", "run"):
        if step == "run":
            run_segment(page)
        page.wait_for_timeout(500)  # a toast, if any, has arrived
        status = page.inner_text("#seg-status")
        assert "Cannot use this file" in status and message in status, (step, status)
        assert page.inner_text("body").count(message) == 1, (step, "the message is shown more than once")
        assert page.locator(".toast-body:visible").count() == 0, (step, "a toast")
        assert page.get_by_text("Error", exact=True).locator("visible=true").count() == 0, (step, "Error badge")
        assert page.locator("#seg-overlay img, #seg-guidance img, #seg-alignment img").count() == 0, step
        page.wait_for_selector("#seg-findings [role=grid][aria-rowcount=\"1\"]")  # the header alone
    shoot(page, "bad-file")


def test_every_request_stays_on_loopback(page):
    """Privacy: after all the views above, the page has fetched nothing from outside this
    machine (no web fonts, no analytics, no CDN)."""
    from urllib.parse import urlparse

    assert page.requested_urls
    outside = [u for u in page.requested_urls
               if urlparse(u).scheme not in ("data", "blob")
               and urlparse(u).hostname not in ("127.0.0.1", "localhost", "::1")]
    assert not outside, outside
