"""What a browser user waits for: from the Segment click to the new overlay drawn, beside the model.

    python bench/browser.py [--checkpoint checkpoints/ssa-demo] [--image examples/qata_unilateral_left.png]
                            [--n 20] [--warmup 2] [--threads 0] [--pin] [--timeout 60]
                            [--out bench/results/results.json]

The demo is built and served IN THIS PROCESS on a free loopback port, as ``bench/request.py``
does (the model loaded and run on one thread, ``ssa.model_thread``; private Gradio folders), so
the same timers can split each click on the server side. Debian's Chromium (``/usr/bin/chromium``,
headless, through Playwright, with ``tests/test_browser.py``'s flags and helpers; never
``playwright install``) opens the page at 1440x1000 on the Segment tab, loads the image and, for
``--warmup`` + ``--n`` clicks per series, types a prompt and clicks Segment. Two series:

* **new image** (the targets): before each click a fresh copy of the image is uploaded (a 4x4
  corner block changed, a name of its own: neither the session nor the analyzer's embedding
  cache holds it). The demo shows the preview, then, in a second request, encodes the image
  (``set_image``) while a user types the prompt; the click waits for both, so it pays
  ``predict``, as a user's first Segment on a new image does. Upload to preview and upload to
  encoded are reported beside it. Ratio: to the model's ``set_image`` + ``predict``, as the
  target is set.
* **same image**: clicks on the image already loaded (one untimed click first, which encodes
  it): the analyzer keeps the embedding, so a click pays ``predict`` only, as a user trying
  prompts on one image does. Ratio: to the model's ``predict`` (reported, no target).

No cache answers a click. Clicks alternate two prompts (the example's own text and the same
text naming the other side), so every result differs from the one on screen (its region layer
at least; an identical result would keep the overlay's URLs and nothing new would be drawn).
The model's text caches are cleared before each click (as ``bench/request.py`` does), so the
text is encoded anew, as a new prompt's is. And each click's pictures get URLs of their own
(:class:`FreshPictures`): Gradio names a cached picture after its content, so the results of
the click before last would otherwise come back under the same URLs, which Chromium serves
from the page's memory cache without a request (the overlay's layers, which come inside the
answer as data URLs, likewise get a text chunk naming the click).

**Click-to-drawn** is measured in the page, in ``performance.now()`` time: from the click
event's ``timeStamp`` (a capturing listener on the button sees the trusted input event
Playwright dispatches through CDP, stamped when the browser took it) to the first frame after
every ``<img>`` of the overlay panel (base picture and mask layers) holds a new ``src``, is
``complete`` with ``naturalWidth > 0`` and its ``decode()`` has resolved:
``requestAnimationFrame``, then a task, i.e. the frame that shows it has been produced. A
MutationObserver on the panel (``src`` attributes, added nodes) and its ``load`` events
(captured) drive the check, so nothing polls; one ``page.evaluate`` after the click awaits the
page's promise. Not Playwright's waits with Python timestamps: each wait is a round trip to the
Playwright driver (a node process) and polls once per animation frame, latency that is the
harness's, not the page's.

**Where the time goes.** The server's spans (``bench.request``'s timers: ``process_api``, Gradio
pre/postprocessing, the handler, the model, the views, the image encode) are mapped onto the
page's clock: both sides read the wall clock, and the offset between Python's and the page's is
measured before each click by a round trip (its half is the error bound, ``clock_error_ms``).
Each click then splits into exclusive parts that add up to click-to-drawn: page -> server
(the frontend's click handling, the queue join POST, Gradio's queue picking the job up), the
server's ``process_api`` (preprocess, read image, model, views, handler other, postprocess,
process_api other), server -> page (the SSE message and the frontend putting the new URLs in),
image fetch + decode, paint. The page's Resource Timing entries from click to drawn give the
requests it made and their bytes, and the overlay's pictures their sizes.

**gradio_client**: ``/segment`` with gradio_client's defaults (a new ``Client`` as it comes),
a fresh copy of the image per request, the same prompts and cleared text caches, split into
parts by ``bench.request.split``; then the same calls to ``/segment``'s floor
(``bench/client_floor.py``: its inputs and outputs, answered by a handler that does nothing),
what any server with this API takes at best through this client. **Model only**:
``set_image`` + ``predict`` on a predictor in this process, on the demo's model thread, on the
same image and prompts (text caches cleared), the two timed apart. Targets (reported, not enforced): click-to-drawn (new image) p50 <= 3x
the model's ``set_image`` + ``predict`` p50; ``/segment`` through gradio_client p50 <= 4x.
Results: section "browser" of ``--out`` (written atomically), with the machine (cores, torch
threads of the model thread, Chromium and Playwright versions, pinning). Server, client and the
Playwright driver's Python side share this process; Chromium and the driver run in their own.

On one small machine the browser is not a bystander: headless Chromium spends about as much
CPU per click as the server (software rendering, decoding, the page's update), on the same
cores, and the model's threads wait for it. ``--pin`` puts Chromium on the last core and this
process (server, model, client) on the others, with as many torch threads as those cores:
closer to a user whose browser runs on their own machine. The model-only figure is then
measured on those cores too.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import os
import struct
import sys
import tempfile
import time
import zlib
from collections.abc import Iterator, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.offline import go_offline  # noqa: E402

go_offline()

import numpy as np  # noqa: E402

from bench import client_floor  # noqa: E402
from bench.app_server import free_port  # noqa: E402
from bench.request import PARTS as CLIENT_PARTS  # noqa: E402
from bench.request import (  # noqa: E402
    RESULT_LENGTH,
    VIEWS,
    Recorder,
    busy,
    clear_text_caches,
    gradio_folders,
    instrument,
    split,
)
from bench.results import RESULTS, machine, update_results  # noqa: E402
from bench.timing import stats  # noqa: E402

DEFAULT_IMAGE = ROOT / "examples" / "qata_unilateral_left.png"
# The example's own text (examples.json) and the same naming the other side.
PROMPTS = ("Unilateral pulmonary infection, two infected areas, middle lower left lung.",
           "Unilateral pulmonary infection, two infected areas, middle lower right lung.")
CLICK_VS_MODEL = 3.0  # target: click-to-drawn (new image) p50 <= 3x model set_image + predict p50
CLIENT_VS_MODEL = 4.0  # target: /segment through gradio_client (defaults) p50 <= 4x
VIEWPORT = {"width": 1440, "height": 1000}  # a laptop, as tests/test_browser.py

# The exclusive parts of one click, in the order it meets them; they add up to click-to-drawn.
PARTS = (
    "page to server", "gradio preprocess", "read image", "model", "views", "mask file write", "handler other",
    "gradio postprocess: image encode", "gradio postprocess: image cache write",
    "gradio postprocess: file to cache", "gradio postprocess other", "process_api other",
    "server to page", "image fetch + decode", "paint",
)
SERIES = {"new image": "set_image + predict", "same image": "predict"}  # series -> its model reference

# True once the Segment click's second request (guidance, heatmaps, table, mask file) is answered.
DETAILS_IN_JS = ("(click) => performance.getEntriesByType('resource').some((e) => e.name.includes('run/predict')"
                 " && e.startTime > click && e.responseEnd > 0)")
# Resolves when the page's main thread is next idle (at most a second).
IDLE_JS = "() => new Promise((done) => requestIdleCallback(() => done(), {timeout: 1000}))"
# Arms the page for one click; resolves window.__ssaDone with the click's times (page ms).
ARM_JS = """(timeoutMs) => {
  const overlay = document.querySelector('#seg-overlay');
  const run = document.querySelector('#seg-run');
  const imgs = () => Array.from(overlay.querySelectorAll('img'));
  const key = (list) => list.map((i) => i.src).sort().join('\\n');
  const before = key(imgs());
  performance.clearResourceTimings();
  performance.setResourceTimingBufferSize(1000);
  const t = {origin: performance.timeOrigin};
  let done = false, observer = null;
  window.__ssaDone = new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      done = true; if (observer) observer.disconnect();
      reject(new Error(`no new overlay drawn within ${timeoutMs} ms`));
    }, timeoutMs);
    run.addEventListener('click', (e) => { t.click = e.timeStamp; }, {capture: true, once: true});
    const check = () => {
      if (done || t.click === undefined) return;
      const list = imgs(), now = key(list);
      if (!overlay.querySelector('img.base-image') || now === before) return;
      if (t.src === undefined) t.src = performance.now();  // the first new URL in the panel
      if (!list.every((i) => i.complete && i.naturalWidth > 0)) return;  // a load event comes
      done = true;
      t.loaded = performance.now();
      observer.disconnect();
      overlay.removeEventListener('load', check, true);
      Promise.all(list.map((i) => i.decode().catch(() => null))).then(() => {
        t.decoded = performance.now();
        requestAnimationFrame(() => setTimeout(() => {
          t.drawn = performance.now();
          clearTimeout(timer);
          t.images = list.map((i) => ({src: i.src, cls: i.className, w: i.naturalWidth, h: i.naturalHeight}));
          t.resources = performance.getEntriesByType('resource')
            .filter((e) => e.startTime >= t.click && e.startTime <= t.drawn)
            .map((e) => ({name: e.name, type: e.initiatorType, start: e.startTime, request: e.requestStart,
                          response: e.responseStart, end: e.responseEnd, bytes: e.encodedBodySize}));
          resolve(t);
        }, 0));
      });
    };
    observer = new MutationObserver(check);
    observer.observe(overlay, {attributes: true, attributeFilter: ['src'], childList: true, subtree: true});
    overlay.addEventListener('load', check, true);
  });
}"""


# -- cores ----------------------------------------------------------------------------------------


def pin_process(pid: int, cpus: set[int]) -> None:
    """Every thread of process ``pid`` onto ``cpus`` (threads made later inherit their maker's)."""
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError, ValueError):  # a thread may end meanwhile
            os.sched_setaffinity(int(task.name), cpus)


CHROMIUM_PROCESSES = ("chromium", "chrome", "chrome_crashpad_handler", "headless_shell")


def pin_chromium(cpus: set[int]) -> int:
    """Every Chromium process (browser, zygotes, GPU, network, renderers) onto ``cpus``. The
    ones a zygote forks write their whole command line into argv[0], spaces and all. Returns
    how many processes it pinned."""
    pinned = 0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError):
                argv0 = (entry / "cmdline").read_bytes().split(b"\0")[0].decode(errors="replace")
                if Path(argv0.split()[0]).name in CHROMIUM_PROCESSES:
                    pin_process(int(entry.name), cpus)
                    pinned += 1
    return pinned


# -- model only -----------------------------------------------------------------------------------


def model_only(model, pixels: np.ndarray, n: int, warmup: int) -> dict[str, dict[str, float]]:
    """``set_image`` + ``predict`` on a predictor of the demo's model, the prompts alternating
    and the text caches cleared before each call, as the clicks get them; each half timed.
    Called on the demo's model thread."""
    import ssa

    predictor, times = ssa.SSAPredictor(model), {"set_image + predict": [], "set_image": [], "predict": []}
    for i in range(warmup + n):
        clear_text_caches(model)
        t0 = time.perf_counter()
        predictor.set_image(pixels, modality="xray")
        t1 = time.perf_counter()
        predictor.predict(PROMPTS[i % 2])
        t2 = time.perf_counter()
        if i >= warmup:
            for name, ms in (("set_image + predict", t2 - t0), ("set_image", t1 - t0), ("predict", t2 - t1)):
                times[name].append(1000 * ms)
    return {name: stats(v) for name, v in times.items()}


# -- images ---------------------------------------------------------------------------------------


def fresh_copies(image: Path, folder: Path) -> Iterator[Path]:
    """Endless copies of ``image``, each with a 4x4 block in its top-left corner changed and a
    name of its own: a new upload for the session, a new embedding for the analyzer, and a
    new display picture (a one-pixel change can vanish in the JPEG the page gets)."""
    import cv2

    pixels = cv2.imread(str(image), cv2.IMREAD_UNCHANGED)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(10**9):
        copy = pixels.copy()
        top = int(np.iinfo(copy.dtype).max) + 1
        copy[:4, :4] = (copy[:4, :4].astype(np.int64) + 8 * (1 + i % 31)) % top
        path = folder / f"{image.stem}-{i:04d}{image.suffix}"
        cv2.imwrite(str(path), copy)
        yield path


# -- the browser ----------------------------------------------------------------------------------


class FreshPictures:
    """Every picture a click makes gets a URL of its own, as a new result's pictures would.

    Gradio names a cached picture after its content (``<cache>/<sha256>/image.<format>``), and
    the page does not fetch a URL it has already shown: with two prompts alternating, the
    result of the click before last (its mask layers, guidance, heatmaps) would come from the
    page's memory cache (Chromium's list of available images; disabling the HTTP cache does not
    stop it), and a click would be measured faster than a new prompt's. So, in this benchmark,
    ``processing_utils.hash_bytes`` (which names the files) adds the click's number to what it
    hashes, except for the pictures made while the image was loading: the preview, whose
    picture is also the overlay's base, is the one a user's page really already holds. The
    server writes the same bytes as without this, under another folder name; the extra hash
    of a picture costs well under a millisecond. The overlay's layers travel inside the answer
    as PNG data URLs, and Chromium may keep a data URL's decoded picture as it keeps a fetched
    one's: each click's layers get a PNG text chunk naming the click (same pixels, a URL of
    their own).
    """

    def __init__(self) -> None:
        self.click = 0  # 0: names as Gradio makes them (the gradio_client requests)
        self.loading = False
        self.loaded: set[str] = set()

    def install(self, rec: Recorder) -> None:
        import gradio.processing_utils as pu

        import ssa.webui.overlay_image as overlay_image

        def make(fn):
            def hash_bytes(data):
                digest = fn(data)
                if self.loading:
                    self.loaded.add(digest)
                elif self.click and digest not in self.loaded:
                    digest = fn(bytes(data) + b"\0click %d" % self.click)
                return digest
            return hash_bytes

        rec.patch(pu, "hash_bytes", make)

        def make_url(fn):
            def png_data_url(png):
                return fn(with_text_chunk(png, b"click %d" % self.click) if self.click else png)
            return png_data_url

        rec.patch(overlay_image, "png_data_url", make_url)


def with_text_chunk(png: bytes, text: bytes) -> bytes:
    """``png`` with a ``tEXt`` chunk (keyword "bench") before its IEND: the same picture."""
    data = b"bench\0" + text
    chunk = struct.pack(">I", len(data)) + b"tEXt" + data + struct.pack(">I", zlib.crc32(b"tEXt" + data))
    end = png.rindex(b"IEND") - 4  # the IEND chunk starts with its 4-byte length
    return png[:end] + chunk + png[end:]


class Clicker:
    """The page, the demo's model and the timers: loads images and times Segment clicks."""

    def __init__(self, page, model, rec: Recorder, fresh: FreshPictures, timeout_s: float) -> None:
        self.page, self.model, self.rec, self.fresh, self.timeout_s = page, model, rec, fresh, timeout_s
        self.shown: set[str] = set()  # the overlay's URLs on screen

    def load(self, path: Path) -> dict[str, Any]:
        """Upload ``path`` in Segment, wait until its preview is shown and then until the load
        event has encoded it for the model (as it has by the time a user has typed a prompt).
        Returns {"upload_to_preview_ms": Playwright's upload to the preview drawn, as Python's
        clock sees it (the harness's round trips included), "upload_to_encoded_ms": the same to
        the encoding's end, "set_image_on_load": whether the image encoder ran}."""
        from tests.test_browser import upload

        page = self.page
        self.fresh.loading, self.fresh.loaded = True, set()
        self.rec.take()
        started = time.perf_counter()
        try:
            upload(page, "seg-file", path)
            page.wait_for_function("(n) => document.querySelector('#seg-preview').innerText.includes(n)",
                                   arg=path.name)
            page.wait_for_function("() => { const i = document.querySelector('#seg-preview img');"
                                   " return i && i.complete && i.naturalWidth > 0; }")
        finally:
            self.fresh.loading = False
        shown = time.perf_counter()
        deadline = shown + self.timeout_s
        while not self.rec.spans.get("model: set_image") and time.perf_counter() < deadline:
            time.sleep(0.001)  # the load event goes on to encode the image once the preview is out
        spans, _ = self.rec.take()
        encoded = max((end for _, end in spans.get("model: set_image", ())), default=None)
        return {"upload_to_preview_ms": 1000 * (shown - started),
                "upload_to_encoded_ms": None if encoded is None else 1000 * (encoded - started),
                "set_image_on_load": encoded is not None}

    def clock_offset(self) -> tuple[float, float]:
        """(page wall clock - Python wall clock, error bound), in seconds: one round trip."""
        a = time.time()
        page_ms = self.page.evaluate("() => performance.timeOrigin + performance.now()")
        b = time.time()
        return page_ms / 1000 - (a + b) / 2, (b - a) / 2

    def click(self, prompt: str) -> dict[str, Any]:
        """Type ``prompt``, click Segment, wait until the new overlay is drawn: the click's row
        (see :func:`split_click`)."""
        page = self.page
        page.fill("#seg-prompt textarea", prompt)
        clear_text_caches(self.model)
        self.fresh.click += 1
        offset, error = self.clock_offset()
        page.evaluate(ARM_JS, int(1000 * self.timeout_s))
        page.evaluate(IDLE_JS)  # the page done with the typing, as when a user's hand gets to the button
        perf_to_epoch = time.time() - time.perf_counter()
        self.rec.take()
        page.click("#seg-run")
        times = page.evaluate("() => window.__ssaDone")
        page.wait_for_function(DETAILS_IN_JS, arg=times["click"])  # the rest of the result, before anything else
        spans, notes = self.rec.take()
        row = split_click({"page": times, "spans": spans, "notes": notes, "offset_s": offset,
                           "clock_error_s": error, "perf_to_epoch_s": perf_to_epoch}, self.shown)
        self.shown = set(row.pop("srcs"))
        return row


def split_click(click: dict[str, Any], previous_srcs: set[str]) -> dict[str, Any]:
    """One click -> its row: click-to-drawn, its exclusive parts (ms; they add up to it), the
    overlay's pictures and the page's requests."""
    t, spans = click["page"], click["spans"]
    shift = click["perf_to_epoch_s"] + click["offset_s"]

    def page_ms(perf_s: float) -> float:  # a server perf_counter time on the page's clock
        return 1000 * (perf_s + shift) - t["origin"]

    # The segment event's first process_api after the click: the step that returns the overlay
    # (the Segment handler's second step, guidance and heatmaps, is a process_api of its own
    # that runs while the page fetches the overlay's pictures).
    calls = sorted(iv for iv in spans.get("process_api", ()) if page_ms(iv[1]) >= t["click"])
    if not calls:
        raise RuntimeError("no process_api ran for the click: are the timers installed?")
    a, b = calls[0]
    inside = {name: [iv for iv in ivs if iv[0] >= a - 1e-6 and iv[1] <= b + 1e-6] for name, ivs in spans.items()}
    s = lambda *names: busy(inside, *names)  # noqa: E731
    model, views = s("model: set_image", "model: predict_many"), s(*VIEWS.values())
    handler, post = s("handler"), s("postprocess")
    server = {
        "gradio preprocess": s("preprocess"),
        "read image": s("read image"),
        "model": model,
        "views": views,
        "mask file write": s("mask file write"),
        "handler other": handler - s("read image") - model - views - s("mask file write"),
        "gradio postprocess: image encode": s("encode"),
        "gradio postprocess: image cache write": s("save image", "encode") - s("encode"),
        "gradio postprocess: file to cache": s("post:~file to cache"),
        "gradio postprocess other": post - s("save image", "encode", "post:~file to cache"),
        "process_api other": (b - a) - s("preprocess") - handler - post,
    }
    parts = {"page to server": page_ms(a) - t["click"], **{k: 1000 * v for k, v in server.items()},
             "server to page": t["src"] - page_ms(b), "image fetch + decode": t["decoded"] - t["src"],
             "paint": t["drawn"] - t["decoded"]}
    fetched = {r["name"]: r for r in t["resources"]}
    images = [{"class": next((c for c in ("base-image", "mask") if c in i["cls"].split()), i["cls"]),
               "size": f"{i['w']}x{i['h']}", "new": i["src"] not in previous_srcs,
               "inline": i["src"].startswith("data:"),  # a layer carried in the answer, not fetched
               "kib": picture_kib(i["src"], fetched)}
              for i in t["images"]]
    join = next((r for r in t["resources"] if "/queue/join" in r["name"]), None)
    # The overlay's pictures fetched in this click: when, after the first new URL, their
    # requests started and ended, and the server's time to first byte (request to response).
    got = [fetched[i["src"]] for i in t["images"] if i["src"] in fetched]
    overlay_fetch = None if not got else {
        "first_start_after_src": min(r["start"] for r in got) - t["src"],
        "last_end_after_src": max(r["end"] for r in got) - t["src"],
        "max_time_to_first_byte": max(r["response"] - r["request"] for r in got),
    }
    return {
        "click_to_drawn_ms": t["drawn"] - t["click"],
        "click_to_new_src_ms": t["src"] - t["click"],
        "new_src_to_loaded_ms": t["loaded"] - t["src"],
        "loaded_to_drawn_ms": t["drawn"] - t["loaded"],
        "server_process_api_ms": 1000 * (b - a),
        "set_image_ran": s("model: set_image") > 0,
        "parts_ms": parts,
        "clock_error_ms": 1000 * click["clock_error_s"],
        "queue_join_ms": None if join is None else {"sent_after_click": join["start"] - t["click"],
                                                    "took": join["end"] - join["start"]},
        "overlay_images": images,
        "overlay_fetch_ms": overlay_fetch,
        "requests": len(t["resources"]),
        "requests_kib": sum(r["bytes"] for r in t["resources"]) / 1024,
        "request_kinds": sorted({_kind(r["name"]) for r in t["resources"]}),
        "encoded": sorted(set(click["notes"].get("encoded", []))),
        "encoded_kib": sum(click["notes"].get("encoded_bytes", [])) / 1024,
        "postprocess_by_component_ms": {k.split(".")[0]: 1000 * s(k) for k in inside if k.endswith(".postprocess")},
        "srcs": [i["src"] for i in t["images"]],
    }


def picture_kib(src: str, fetched: dict[str, dict]) -> float | None:
    """KiB of an overlay picture: a data URL's payload, or what the page fetched for it in this
    click; None when it fetched nothing (it held the picture: the base is the preview's)."""
    if src.startswith("data:"):
        return len(src.split(",", 1)[1]) * 3 / 4 / 1024
    return fetched[src]["bytes"] / 1024 if src in fetched else None


def _kind(url: str) -> str:
    """A request's path, with the hash folder of a cached file left out."""
    from urllib.parse import urlparse

    path = urlparse(url).path
    if "/file=" in path or "/file/" in path:
        return "file ." + path.rsplit(".", 1)[-1]
    return path


def browser_series(clicker: Clicker, name: str, image: Path, copies: Iterator[Path] | None, n: int,
                   warmup: int) -> list[dict[str, Any]]:
    """``warmup`` + ``n`` clicks; ``copies``: a fresh image uploaded before each (new image),
    else ``image`` loaded once and clicked once untimed (its embedding then cached)."""
    rows: list[dict[str, Any]] = []
    if copies is None:
        clicker.load(image)
        clicker.click(PROMPTS[1])
    for i in range(warmup + n):
        loaded = clicker.load(next(copies)) if copies is not None else {}
        row = clicker.click(PROMPTS[i % 2])
        if i >= warmup:
            rows.append({"series": name, "prompt": PROMPTS[i % 2], **loaded, **row})
    return rows


def summarize_browser(rows: list[dict[str, Any]]) -> dict[str, Any]:
    total = [r["click_to_drawn_ms"] for r in rows]
    parts = {p: stats([r["parts_ms"][p] for r in rows]) for p in PARTS}
    mean = float(np.mean(total))
    first = rows[0]
    return {
        "n": len(rows), "click_to_drawn": stats(total),
        "click_to_new_src": stats([r["click_to_new_src_ms"] for r in rows]),
        "new_src_to_loaded": stats([r["new_src_to_loaded_ms"] for r in rows]),
        "loaded_to_drawn": stats([r["loaded_to_drawn_ms"] for r in rows]),
        "server_process_api": stats([r["server_process_api_ms"] for r in rows]),
        "parts": parts, "share": {p: parts[p]["mean_ms"] / mean for p in PARTS},
        "per_click": {"overlay_images": [{k: v for k, v in i.items() if k != "new"} for i in first["overlay_images"]],
                      "requests": first["requests"], "requests_kib": first["requests_kib"],
                      "request_kinds": first["request_kinds"], "encoded": first["encoded"],
                      "encoded_kib": first["encoded_kib"]},
        "postprocess_by_component": {c: stats([r["postprocess_by_component_ms"].get(c, 0.0) for r in rows])
                                     for c in sorted({c for r in rows for c in r["postprocess_by_component_ms"]})},
        "overlay_fetch": {k: stats([r["overlay_fetch_ms"][k] for r in got]) for k in got[0]["overlay_fetch_ms"]}
        if (got := [r for r in rows if r["overlay_fetch_ms"]]) else None,
        "queue_join": {k: stats([r["queue_join_ms"][k] for r in joins]) for k in ("sent_after_click", "took")}
        if (joins := [r for r in rows if r["queue_join_ms"]]) else None,
        "clock_error_ms": stats([r["clock_error_ms"] for r in rows]),
        "upload_to_preview": stats([r["upload_to_preview_ms"] for r in rows]) if "upload_to_preview_ms" in first
        else None,
        "upload_to_encoded": stats([r["upload_to_encoded_ms"] for r in rows])
        if all(r.get("upload_to_encoded_ms") is not None for r in rows) else None,
        "runs": rows,
    }


# -- gradio_client ----------------------------------------------------------------------------------


def client_series(url: str, downloads: Path, copies: Iterator[Path], model, rec: Recorder, n: int,
                  warmup: int) -> tuple[list[dict[str, Any]], tuple]:
    """``/segment`` through ``gradio_client.Client`` with its defaults, a fresh image each call.
    Returns (a row per timed call, the last call's result)."""
    from gradio_client import Client, handle_file

    client = Client(url, verbose=False, download_files=downloads)
    rows, result = [], ()
    try:
        for i in range(warmup + n):
            clear_text_caches(model)
            args = (handle_file(str(next(copies))), PROMPTS[i % 2], "auto", "lung", 0.5)
            rec.take()
            t = time.perf_counter()
            result = client.predict(*args, api_name="/segment")
            e2e = time.perf_counter() - t
            spans, _ = rec.take()
            if not isinstance(result, tuple | list) or len(result) != RESULT_LENGTH["segment"]:
                raise RuntimeError(f"/segment returned {result!r}")
            if i >= warmup:
                rows.append({"end_to_end_ms": 1000 * e2e, "parts_ms": split(spans, e2e)})
    finally:
        client.close()
    return rows, tuple(result)


def summarize_client(rows: list[dict[str, Any]]) -> dict[str, Any]:
    e2e = [r["end_to_end_ms"] for r in rows]
    parts = {p: stats([r["parts_ms"][p] for r in rows]) for p in CLIENT_PARTS}
    mean = float(np.mean(e2e))
    return {"n": len(rows), "end_to_end": stats(e2e), "parts": parts,
            "share": {p: parts[p]["mean_ms"] / mean for p in CLIENT_PARTS}, "requests": rows}


# -- report ---------------------------------------------------------------------------------------


def ratios(model: dict[str, dict[str, float]], browser: dict[str, Any], client: dict[str, Any]) -> dict[str, float]:
    """Each measured p50 over the model's p50 it is judged against."""
    out = {f"click_to_drawn, {s} / model {ref}": browser[s]["click_to_drawn"]["p50_ms"] / model[ref]["p50_ms"]
           for s, ref in SERIES.items()}
    out["gradio_client /segment / model set_image + predict"] = (
        client["end_to_end"]["p50_ms"] / model["set_image + predict"]["p50_ms"])
    floor = client["floor"]["end_to_end"]["p50_ms"]
    out["gradio_client floor / model set_image + predict"] = floor / model["set_image + predict"]["p50_ms"]
    out["gradio_client /segment / floor"] = client["end_to_end"]["p50_ms"] / floor
    return out


def print_table(r: dict[str, Any]) -> None:
    m, b, c = r["model_only"], r["browser"], r["gradio_client"]["segment"]
    pin = r["machine"]["pinned"]
    where = "" if not pin else f"; server on cores {pin['server_cpus']}, Chromium on {pin['browser_cpus']}"
    print(f"\nwhat a user waits, {r['checkpoint']} on {Path(r['image']).name} "
          f"({r['machine']['cores']} cores, {r['machine']['threads']} torch threads{where}, "
          f"Chromium {r['machine']['chromium']}):")
    print(f"  {'':46s} {'p50 ms':>8s} {'p90 ms':>8s} {'ratio':>7s}")
    rows = [(f"model only: {k}", m[k], None) for k in m]
    rows += [(f"browser, {s}: click to drawn", b[s]["click_to_drawn"], r["ratios"][f"click_to_drawn, {s} / model {ref}"])
             for s, ref in SERIES.items()]
    rows.append(("gradio_client /segment (defaults)", c["end_to_end"],
                 r["ratios"]["gradio_client /segment / model set_image + predict"]))
    rows.append(("gradio_client floor: same API, no work", c["floor"]["end_to_end"],
                 r["ratios"]["gradio_client floor / model set_image + predict"]))
    for name, st, ratio in rows:
        print(f"  {name:46s} {st['p50_ms']:8.1f} {st['p90_ms']:8.1f} {'' if ratio is None else f'{ratio:6.2f}x':>7s}")
    print("  ratios: new image / model set_image + predict; same image / model predict; "
          "gradio_client / model set_image + predict")
    print(f"  /segment through gradio_client = {r['ratios']['gradio_client /segment / floor']:.2f}x its floor "
          "(bench/client_floor.py: the same inputs and outputs answered by a handler that does nothing)")
    for s in SERIES:
        e = b[s]
        print(f"\nbrowser, {s} (n={e['n']}): where click-to-drawn goes (p50 ms, share of the mean)")
        for p in PARTS:
            print(f"  {p:40s} {e['parts'][p]['p50_ms']:8.1f} {100 * e['share'][p]:6.1f}%")
        pc = e["per_click"]
        imgs = ", ".join(f"{i['class'] or 'img'} {i['size']}" + (" inline" if i.get("inline") else "")
                         + ("" if i["kib"] is None else f" {i['kib']:.1f} KiB") for i in pc["overlay_images"])
        print(f"  overlay: {imgs}; the page fetched {pc['requests']} resources ({pc['requests_kib']:.0f} KiB) "
              f"from click to drawn; server encoded {len(pc['encoded'])} kinds of picture "
              f"({pc['encoded_kib']:.0f} KiB): {', '.join(pc['encoded'])}")
        if e["queue_join"]:
            print(f"  queue join POST: sent {e['queue_join']['sent_after_click']['p50_ms']:.1f} ms after the click, "
                  f"took {e['queue_join']['took']['p50_ms']:.1f} ms (p50)")
        if e["overlay_fetch"]:
            f = {k: v["p50_ms"] for k, v in e["overlay_fetch"].items()}
            print(f"  overlay pictures after the first new URL (p50): requests start {f['first_start_after_src']:.1f} ms, "
                  f"last ends {f['last_end_after_src']:.1f} ms; slowest time to first byte {f['max_time_to_first_byte']:.1f} ms")
        comps = ", ".join(f"{c} {st['p50_ms']:.1f}" for c, st in e["postprocess_by_component"].items())
        print(f"  postprocess by output (inclusive, p50 ms): {comps}")
        print(f"  clock mapping error (half a round trip): p50 {e['clock_error_ms']['p50_ms']:.2f} ms")
        if e["upload_to_preview"]:
            encoded = e["upload_to_encoded"]
            print(f"  before the click (Python's clock, p50): upload to preview drawn {e['upload_to_preview']['p50_ms']:.1f} ms"
                  + ("" if not encoded else f", to the image encoded {encoded['p50_ms']:.1f} ms"))
    print(f"\ngradio_client /segment, defaults (n={c['n']}): parts (p50 ms, share of the mean)")
    for p in CLIENT_PARTS:
        if c["parts"][p]["p50_ms"] or c["share"][p] > 0.005:
            print(f"  {p:40s} {c['parts'][p]['p50_ms']:8.1f} {100 * c['share'][p]:6.1f}%")
    for name, target in r["targets"].items():
        print(f"target {name}: {target['value']:.2f} (limit {target['limit']}) {'PASS' if target['pass'] else 'MISS'}")


# -- main -----------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkpoint", default=str(ROOT / "checkpoints" / "ssa-demo"))
    parser.add_argument("--image", default=str(DEFAULT_IMAGE))
    parser.add_argument("--n", type=int, default=20, help="timed clicks per series, requests, model calls (default 20)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed ones first (default 2)")
    parser.add_argument("--threads", type=int, default=0,
                        help="torch threads (default 0: torch's own); 1 where another job holds the cores")
    parser.add_argument("--pin", action="store_true",
                        help="Chromium on the last core, the server (and model) on the others, torch threads "
                             "as many as those unless --threads: as if the browser ran on another machine")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds one click may take (default 60)")
    parser.add_argument("--out", default=str(RESULTS), help="results file (section 'browser')")
    args = parser.parse_args(argv)
    if args.n < 1 or args.warmup < 0 or args.timeout <= 0:
        parser.error("--n must be >= 1, --warmup >= 0, --timeout > 0")
    if args.pin and len(os.sched_getaffinity(0)) < 2:
        parser.error("--pin needs at least 2 cores")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    from tests.test_browser import CHROMIUM

    if not Path(CHROMIUM).exists():
        print(f"bench/browser.py: {CHROMIUM} not installed (apt-get install -y chromium)", file=sys.stderr)
        return 2
    cores = sorted(os.sched_getaffinity(0))
    pinned = {"server_cpus": cores[:-1], "browser_cpus": cores[-1:]} if args.pin else None
    if pinned:  # every thread now; those made later (model, server, driver) inherit it
        pin_process(os.getpid(), set(pinned["server_cpus"]))
    try:
        return run(args, argv, pinned)
    finally:
        if pinned:
            pin_process(os.getpid(), set(cores))


def run(args: argparse.Namespace, argv: Sequence[str] | None, pinned: dict[str, list[int]] | None) -> int:
    import torch
    from playwright.sync_api import sync_playwright

    import ssa
    from ssa.analysis import prepare_image
    from ssa.model_thread import ModelThread
    from ssa.webui import app, content
    from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, open_tab

    # As ssa-demo: the model loaded and run on one thread; model-only runs there too.
    model_thread = ModelThread()
    threads = args.threads or (len(pinned["server_cpus"]) if pinned else 0)
    if threads:
        model_thread.run(torch.set_num_threads, threads)
    checkpoint, image = Path(args.checkpoint), Path(args.image)
    model = model_thread.run(ssa.load_model, checkpoint)
    pixels = prepare_image(image).image()
    print(f"model only: {args.warmup} + {args.n} calls ...", flush=True)
    results: dict[str, Any] = {"model_only": model_thread.run(model_only, model, pixels, args.n, args.warmup)}
    rec = Recorder()
    with tempfile.TemporaryDirectory(prefix="ssa-browser-") as tmp, gradio_folders(Path(tmp)):
        copies = fresh_copies(image, Path(tmp) / "images")
        demo = app.build_demo(model_thread.run(ssa.SSAPredictor, model), content.checkpoint_info(checkpoint, model),
                              ROOT / "examples", model_thread=model_thread)
        _, url, _ = app.launch(demo, "127.0.0.1", free_port(), prevent_thread_lock=True, quiet=True)
        try:
            instrument(rec)
            fresh = FreshPictures()
            fresh.install(rec)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                try:
                    chromium = browser.version
                    page = browser.new_page(viewport=VIEWPORT)
                    page.set_default_timeout(1000 * args.timeout)
                    page.goto(url)
                    page.wait_for_selector("#seg-run")
                    open_tab(page, "Segment")
                    clicker, series = Clicker(page, model, rec, fresh, args.timeout), {}
                    for name in SERIES:
                        if pinned:  # again: Chromium starts helper processes as it goes
                            pinned["chromium_processes"] = pin_chromium(set(pinned["browser_cpus"]))
                        print(f"browser, {name}: {args.warmup} + {args.n} clicks ...", flush=True)
                        rows = browser_series(clicker, name, image, copies if name == "new image" else None,
                                              args.n, args.warmup)
                        series[name] = summarize_browser(rows)
                finally:
                    browser.close()
            fresh.click = 0  # gradio_client downloads every file anyway: Gradio's own names
            print(f"gradio_client /segment: {args.warmup} + {args.n} requests ...", flush=True)
            rows, last = client_series(url, Path(tmp) / "downloads", copies, model, rec, args.n, args.warmup)
            client = summarize_client(rows)
        finally:
            rec.restore()
            demo.close()
        print(f"gradio_client, /segment's signature with no work behind it: {args.warmup} + {args.n} "
              "requests ...", flush=True)
        with client_floor.serving(client_floor.kept_result(last, Path(tmp) / "floor"), free_port()) as floor_url:
            client["floor"] = {"end_to_end": stats(client_floor.floor_series(
                floor_url, Path(tmp) / "floor-downloads", copies, PROMPTS, args.n, args.warmup))}
    results.update(browser=series, gradio_client={"segment": client})
    results["ratios"] = ratios(results["model_only"], series, client)
    click = results["ratios"]["click_to_drawn, new image / model set_image + predict"]
    via_client = results["ratios"]["gradio_client /segment / model set_image + predict"]
    results["targets"] = {
        "click_to_drawn_vs_model": {"limit": CLICK_VS_MODEL, "value": click, "pass": click <= CLICK_VS_MODEL},
        "gradio_client_segment_vs_model": {"limit": CLIENT_VS_MODEL, "value": via_client,
                                           "pass": via_client <= CLIENT_VS_MODEL},
    }
    results.update(
        checkpoint=str(checkpoint), image=str(image), prompts=list(PROMPTS), n=args.n, warmup=args.warmup,
        parts=list(PARTS), client_parts=list(CLIENT_PARTS),
        command=" ".join(["python", "bench/browser.py", *(argv if argv is not None else sys.argv[1:])]),
        machine={**machine(), "threads": model_thread.run(torch.get_num_threads), "chromium": chromium,
                 "playwright": importlib.metadata.version("playwright"), "pinned": pinned},
        date=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )
    model_thread.close()
    print_table(results)
    update_results("browser", results, Path(args.out))
    print(f"\nresults: section 'browser' of {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
