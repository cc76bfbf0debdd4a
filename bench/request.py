"""Where the time of one demo request goes: ``/segment`` and ``/compare`` end to end, in parts.

    python bench/request.py [--checkpoint checkpoints/ssa-demo] [--image examples/qata_referring_left.png]
                            [--n 30] [--warmup 3] [--profile-n 10] [--quick]
                            [--out bench/results/results.json] [--plot bench/results/request.png]

The demo is built and served IN THIS PROCESS on a free loopback port (as ``tests/demo_server.py``
does), and a ``gradio_client.Client`` in this process calls it, one request at a time. Functions
on the request's path are wrapped with timers (module attributes and methods, patched for the
run and put back afterwards), so each request splits into:

* client side: upload (``Endpoint._upload_file``: POST /upload), queue + transport (``send_data``
  + the SSE wait, minus the server's ``process_api``), download (``Endpoint._download_file``, once
  per result file);
* Gradio: preprocessing (``Blocks.preprocess_data``), postprocessing (``Blocks.postprocess_data``),
  in it the encoding of each returned picture (``gradio_fixes.encode_image``), the
  rest of ``save_pil_to_cache`` (hash, folder, write) and file copies (``save_file_to_cache``);
  what ``process_api`` does around the three;
* the handler (``Blocks.call_function``): reading the image (``handlers.acquire`` ->
  ``prepare_image``), the model (``Analyzer.run``; in it ``SSAPredictor.set_image`` and
  ``predict_many``), each picture / table the handler makes (``views.annotated``,
  ``guidance_image``, ``alignment_gallery``, ``findings_table``, ``compare_table``), the mask
  file (``write_mask_file``);
* other = end-to-end minus all the parts (client job thread, result traversal, ...).

Each endpoint runs twice, side by side: through ``gradio_client.Client`` as it comes, and through
one that shares a single TLS context across its calls (``ssl_verify=`` an ``ssl.SSLContext``;
see :func:`client_options`): gradio_client builds a new httpx client, and so a new TLS context,
for the upload, the request and every result file. Both wait for the answer by polling their
message queue every 50 ms (``gradio_client.utils.stream_sse_v1plus``), which "queue +
transport" includes; a browser does neither.

Every request pays everything a new user pays: a fresh copy of the image (one pixel changed,
so neither the session nor the analyzer's embedding cache holds it) and a prompt never seen
(its number differs, and the model's text caches are cleared first). Model-only is the same
work without the page: ``set_image`` + ``predict`` on a predictor in this process, on the
thread the demo runs its model on (``ssa.model_thread``), same image, a new prompt each call. Then the same requests run once more under ``cProfile`` (server side:
``process_api`` on the event loop and everything Gradio runs in worker threads), and the top
functions by cumulative time are saved. Targets of the issue (reported, not enforced), per
client: ``/segment`` p50 <= 4x model-only; ``/compare`` (4 prompts) p50 <= 2x ``/segment``.
Results: section "request" of ``--out``. ``--quick``: 3 requests per endpoint after 1 warm-up,
2 profiled. Server and client share this process (and its GIL), as the timers need.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import functools
import inspect
import os
import pstats
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.offline import go_offline  # noqa: E402

go_offline()

import numpy as np  # noqa: E402

from bench.app_server import free_port, shared_tls_context  # noqa: E402
from bench.results import RESULTS, machine, update_results  # noqa: E402
from bench.timing import stats  # noqa: E402

DEFAULT_IMAGE = ROOT / "examples" / "qata_referring_left.png"
SEGMENT_VS_MODEL = 4.0  # target: /segment p50 <= 4x model-only p50
COMPARE_VS_SEGMENT = 2.0  # target: /compare (4 prompts) p50 <= 2x /segment p50
RESULT_LENGTH = {"segment": 3, "compare": 3}  # (mask, overlay, findings); (masks, overlays, findings)
PROFILE_TOP = 30

# The exclusive parts of a request, in the order it meets them; they add up to end-to-end.
PARTS = (
    "upload", "queue + transport", "gradio preprocess", "read image",
    "model: set_image", "model: predict_many", "model: analyzer rest",
    "view: overlay", "view: guidance", "view: alignment gallery", "view: findings table",
    "view: compare table", "mask file write", "handler other",
    "gradio postprocess: image encode", "gradio postprocess: image cache write",
    "gradio postprocess: file to cache", "gradio postprocess other", "gradio process_api other",
    "download", "other",
)
VIEWS = {"annotated": "view: overlay", "guidance_image": "view: guidance",
         "alignment_gallery": "view: alignment gallery", "findings_table": "view: findings table",
         "compare_table": "view: compare table"}
COMPONENTS = ("AnnotatedImage", "Image", "Gallery", "Dataframe", "DownloadButton", "File", "Markdown")


# -- timers ---------------------------------------------------------------------------------------


Spans = dict[str, list[tuple[float, float]]]


class Recorder:
    """When wrapped functions ran during one request: (start, end) per call, per name.

    Requests run one at a time (one client, one model slot), so a single open record is
    enough; a lock makes the adds from the server's threads safe. ``phase`` is the Gradio
    stage running now: a function called in both (file copies) is counted per stage.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._undo: list[Callable[[], None]] = []
        self.spans: Spans = {}
        self.notes: dict[str, list] = {}
        self.phase = ""

    def add(self, name: str, start: float, end: float) -> None:
        with self._lock:
            self.spans.setdefault(name, []).append((start, end))

    def note(self, key: str, value: Any) -> None:
        with self._lock:
            self.notes.setdefault(key, []).append(value)

    def take(self) -> tuple[Spans, dict[str, list]]:
        with self._lock:
            spans, notes, self.spans, self.notes = self.spans, self.notes, {}, {}
        return spans, notes

    def patch(self, owner: Any, attr: str, make: Callable[[Callable], Callable]) -> None:
        """Replace ``owner.attr`` by ``make(original)`` until :meth:`restore`."""
        original, own = getattr(owner, attr), attr in vars(owner)
        setattr(owner, attr, functools.wraps(original)(make(original)))
        # An inherited method is deleted again rather than pinned on the subclass.
        self._undo.append(lambda: setattr(owner, attr, original) if own else delattr(owner, attr))

    def time(self, owner: Any, attr: str, name: str, phase: str | None = None,
             on_result: Callable[[Any], None] | None = None) -> None:
        """Time ``owner.attr`` (sync or async) as ``name``. ``phase``: the wrapped coroutine is
        a Gradio stage ("pre", "handler", "post"). A ``name`` starting with "~" is kept per
        stage ("post:~file to cache"); ``on_result(result)`` runs after the span is closed."""
        def key() -> str:
            return f"{self.phase}:{name}" if name.startswith("~") else name

        def make(fn: Callable) -> Callable:
            if inspect.iscoroutinefunction(fn):
                async def timed_async(*args, **kwargs):
                    saved, t = self.phase, time.perf_counter()
                    self.phase = phase or saved
                    try:
                        return await fn(*args, **kwargs)
                    finally:
                        self.add(key(), t, time.perf_counter())
                        self.phase = saved
                return timed_async

            def timed(*args, **kwargs):
                k, t = key(), time.perf_counter()
                try:
                    result = fn(*args, **kwargs)
                finally:
                    self.add(k, t, time.perf_counter())
                if on_result is not None:  # outside the timed span: notes must not cost the part
                    on_result(result)
                return result
            return timed

        self.patch(owner, attr, make)

    def restore(self) -> None:
        while self._undo:
            self._undo.pop()()


def instrument(rec: Recorder) -> None:
    """Wrap every function whose time is a part. Call after ``build_demo``: it installs its own
    ``save_pil_to_cache`` (``gradio_fixes``), which is the one to time."""
    import gradio as gr
    import gradio.processing_utils as pu
    import httpx._transports.default as httpx_transport
    from gradio.blocks import Blocks
    from gradio_client.client import Client, Endpoint

    import ssa.webui.gradio_fixes as gradio_fixes
    import ssa.webui.handlers as handlers
    import ssa.webui.overlay_image as overlay_image
    import ssa.webui.views as views
    from ssa.analysis import Analyzer
    from ssa.predictor import SSAPredictor

    rec.time(Endpoint, "_upload_file", "upload")
    rec.time(Client, "send_data", "send")
    rec.time(Endpoint, "_sse_fn_v1plus", "wait")
    rec.time(Endpoint, "_download_file", "download",
             on_result=lambda path: rec.note("downloaded_bytes", os.path.getsize(path)))
    rec.time(Blocks, "process_api", "process_api")
    rec.time(Blocks, "preprocess_data", "preprocess", phase="pre")
    rec.time(Blocks, "call_function", "handler", phase="handler")
    rec.time(Blocks, "postprocess_data", "postprocess", phase="post")
    rec.time(handlers, "acquire", "read image")
    rec.time(handlers, "write_mask_file", "mask file write")
    rec.time(Analyzer, "run", "analyzer")
    rec.time(SSAPredictor, "set_image", "model: set_image")
    rec.time(SSAPredictor, "predict_many", "model: predict_many")
    for fn, part in VIEWS.items():
        rec.time(views, fn, part)
    rec.time(gradio_fixes, "encode_image", "encode",
             on_result=lambda data: rec.note("encoded_bytes", len(data)))
    rec.time(pu, "save_pil_to_cache", "save image", on_result=lambda path: rec.note("image_files", path))
    rec.time(pu, "save_file_to_cache", "~file to cache")
    if hasattr(httpx_transport, "create_ssl_context"):  # a detail inside upload / download:
        # gradio_client opens a new httpx client per file, and each loads the CA bundle, even
        # for http:// on loopback (httpx 0.28).
        rec.time(httpx_transport, "create_ssl_context", "client tls setup")
    rec.time(overlay_image, "encode_png", "encode", on_result=lambda data: rec.note("encoded_bytes", len(data)))
    for name in COMPONENTS:  # inclusive, a detail: which output's postprocess costs what
        rec.time(getattr(gr, name), "postprocess", f"{name}.postprocess")
    rec.time(overlay_image.OverlayImage, "postprocess", "OverlayImage.postprocess")

    def note_size(fn: Callable) -> Callable:  # what gets encoded: size, mode, format
        def encode(img, *args, **kwargs):
            fmt = args[0] if args else kwargs.get("format", "png")
            rec.note("encoded", f"{img.width}x{img.height} {img.mode} {fmt}")
            return fn(img, *args, **kwargs)
        return encode
    rec.patch(gradio_fixes, "encode_image", note_size)

    def note_layer(fn: Callable) -> Callable:  # the overlay's layers: uint8 RGBA arrays
        def encode(rgba):
            rec.note("encoded", f"{rgba.shape[1]}x{rgba.shape[0]} RGBA png")
            return fn(rgba)
        return encode
    rec.patch(overlay_image, "encode_png", note_layer)


def busy(spans: Spans, *names: str) -> float:
    """Seconds in which at least one call of ``names`` ran: the union of their intervals.
    A union, not a sum: ``gr.Gallery`` encodes its pictures in a thread pool, in parallel."""
    total, end = 0.0, -np.inf
    for a, b in sorted(iv for name in names for iv in spans.get(name, ())):
        if b > end:
            total += b - max(a, end)
            end = b
    return total


def split(spans: Spans, e2e: float) -> dict[str, float]:
    """Spans of one request -> its exclusive parts, in ms (they sum to ``e2e``). Each part
    is a span minus the spans known to run inside it."""
    s = functools.partial(busy, spans)
    model = s("model: set_image", "model: predict_many")
    handler_parts = s("read image", "analyzer", *VIEWS.values(), "mask file write")
    post_parts = s("save image", "encode", "post:~file to cache")
    parts = {
        "upload": s("upload"),
        "queue + transport": s("send", "wait") - s("process_api"),
        "gradio preprocess": s("preprocess"),
        "read image": s("read image"),
        "model: set_image": s("model: set_image"),
        "model: predict_many": s("model: predict_many"),
        "model: analyzer rest": s("analyzer") - model,
        **{p: s(p) for p in VIEWS.values()},
        "mask file write": s("mask file write"),
        "handler other": s("handler") - handler_parts,
        "gradio postprocess: image encode": s("encode"),
        "gradio postprocess: image cache write": s("save image", "encode") - s("encode"),
        "gradio postprocess: file to cache": s("post:~file to cache"),
        "gradio postprocess other": s("postprocess") - post_parts,
        "gradio process_api other": s("process_api") - s("preprocess") - s("handler") - s("postprocess"),
        "download": s("download"),
    }
    parts["other"] = e2e - sum(parts.values())
    # Below a microsecond is timer rounding between nested spans (it could read -0.0001 ms).
    return {p: 1000 * v if abs(v) > 1e-6 else 0.0 for p, v in parts.items()}


# -- requests -------------------------------------------------------------------------------------

ZONES = ("upper", "middle", "lower", "upper middle", "middle lower", "all")
_prompt_count = iter(range(1, 10**9))


def new_prompt(side: str = "left") -> str:
    """A prompt not seen before in this run: its count and zone word change every call."""
    i = next(_prompt_count)
    return f"Unilateral pulmonary infection, {i} infected areas, {ZONES[i % len(ZONES)]} {side} lung."


def clear_text_caches(model) -> None:
    """As bench/speed.py "cold": the next prompt pays for its text as a new one does."""
    if model.text_encoder is not None:
        model.text_encoder.clear_cache()
    model._guidance_cache.clear()


def image_copies(image: Path, n: int, folder: Path) -> Iterator[Path]:
    """``n`` copies of ``image`` under its own name, each with one pixel changed: a new upload
    (the session does not hold it) and a new embedding (the analyzer does not either)."""
    import cv2

    pixels = cv2.imread(str(image), cv2.IMREAD_UNCHANGED)
    for i in range(n):
        copy = pixels.copy()
        copy.flat[0] = (int(copy.flat[0]) + 1 + i) % 256
        path = folder / f"img{i}" / image.name
        path.parent.mkdir(parents=True)
        cv2.imwrite(str(path), copy)
        yield path


def request_args(endpoint: str, image: Path) -> tuple:
    from gradio_client import handle_file

    if endpoint == "segment":
        return handle_file(str(image)), new_prompt(), "xray", "lung", 0.5
    prompts = [new_prompt(side) for side in ("left", "right", "left", "right")]
    return handle_file(str(image)), *prompts, "xray", "lung", 0.5


def run_requests(client, endpoint: str, images: Iterator[Path], model, rec: Recorder, count: int,
                 warmup: int = 0) -> list[dict[str, Any]]:
    """``warmup`` + ``count`` requests to ``/endpoint``; one row per counted request."""
    rows = []
    for i in range(warmup + count):
        clear_text_caches(model)
        args = request_args(endpoint, next(images))
        rec.take()
        t = time.perf_counter()
        result = client.predict(*args, api_name=f"/{endpoint}")
        e2e = time.perf_counter() - t
        spans, notes = rec.take()
        if not isinstance(result, tuple | list) or len(result) != RESULT_LENGTH[endpoint]:
            raise RuntimeError(f"/{endpoint} returned {result!r}")
        if i >= warmup:
            rows.append({"end_to_end_ms": 1000 * e2e, "parts_ms": split(spans, e2e),
                         "postprocess_by_component_ms": {k.split(".")[0]: 1000 * busy(spans, k) for k in spans
                                                         if k.endswith(".postprocess")},
                         "images_encoded": len(notes.get("encoded", [])),
                         "encoded": sorted(set(notes.get("encoded", []))),
                         "distinct_image_files": len(set(notes.get("image_files", []))),
                         "encoded_kib": sum(notes.get("encoded_bytes", [])) / 1024,
                         "client_tls_setups": len(spans.get("client tls setup", [])),
                         "client_tls_setup_ms": 1000 * busy(spans, "client tls setup"),
                         "files_downloaded": len(notes.get("downloaded_bytes", [])),
                         "downloaded_kib": sum(notes.get("downloaded_bytes", [])) / 1024})
    return rows


def summarize(rows: list[dict[str, Any]], prompts: int) -> dict[str, Any]:
    e2e = [r["end_to_end_ms"] for r in rows]
    mean = float(np.mean(e2e))
    parts = {p: stats([r["parts_ms"][p] for r in rows]) for p in PARTS}
    components = sorted({c for r in rows for c in r["postprocess_by_component_ms"]})
    first = rows[0]
    return {
        "n": len(rows), "prompts": prompts, "end_to_end": stats(e2e), "parts": parts,
        # Of the mean end-to-end: means add up to it, medians do not.
        "share": {p: parts[p]["mean_ms"] / mean for p in PARTS},
        "postprocess_by_component": {c: stats([r["postprocess_by_component_ms"].get(c, 0.0) for r in rows])
                                     for c in components},
        "per_request": {k: first[k] for k in ("images_encoded", "distinct_image_files", "encoded",
                                              "encoded_kib", "files_downloaded", "downloaded_kib",
                                              "client_tls_setups")},
        "client_tls_setup": stats([r["client_tls_setup_ms"] for r in rows]),
        "requests": rows,
    }


# -- model only and profile -----------------------------------------------------------------------


def model_only(model, pixels: np.ndarray, n: int, warmup: int) -> dict[str, float]:
    """``set_image`` + ``predict`` directly on a predictor: the floor a request cannot beat.
    Called on the demo's model thread."""
    import ssa

    predictor, times = ssa.SSAPredictor(model), []
    for i in range(warmup + n):
        clear_text_caches(model)
        text = new_prompt()
        t = time.perf_counter()
        predictor.set_image(pixels, modality="xray")
        predictor.predict(text)
        if i >= warmup:
            times.append(1000 * (time.perf_counter() - t))
    return stats(times)


@contextlib.contextmanager
def server_profile(rec: Recorder) -> Iterator[list[cProfile.Profile]]:
    """cProfile on the server side: each ``process_api`` on the event loop, and each call
    Gradio / Starlette hand to a worker thread. cProfile sees one thread per profiler (Python
    3.11), hence one per call; ``pstats`` merges them."""
    import anyio.to_thread
    from gradio.blocks import Blocks

    from ssa.model_thread import ModelThread

    profiles: list[cProfile.Profile] = []
    lock = threading.Lock()

    def profiled(fn: Callable) -> Callable:
        def call(*args, **kwargs):
            prof = cProfile.Profile()
            prof.enable()
            try:
                return fn(*args, **kwargs)
            finally:
                prof.disable()
                with lock:
                    profiles.append(prof)
        return call

    def on_loop(fn: Callable) -> Callable:
        async def process_api(*args, **kwargs):
            prof = cProfile.Profile()
            prof.enable()
            try:
                return await fn(*args, **kwargs)
            finally:
                prof.disable()
                with lock:
                    profiles.append(prof)
        return process_api

    def in_worker(fn: Callable) -> Callable:
        async def run_sync(func, *args, **kwargs):
            return await fn(profiled(func), *args, **kwargs)
        return run_sync

    rec.patch(Blocks, "process_api", on_loop)
    rec.patch(anyio.to_thread, "run_sync", in_worker)
    rec.patch(ModelThread, "_call", profiled)  # the model's own thread
    try:
        yield profiles
    finally:
        rec.restore()


def _where(func: tuple[str, int, str]) -> str:
    file, line, name = func
    for prefix in ("site-packages/", str(ROOT) + "/"):
        if prefix in file:
            file = file.split(prefix, 1)[1]
    return f"{file}:{line}({name})" if line else name


def top_functions(profiles: list[cProfile.Profile], requests: int) -> list[dict[str, Any]]:
    """The top functions by cumulative time, per request. Left out: event-loop and thread
    plumbing (asyncio, selectors, threading, lock waits), whose cumulative time is mostly
    waiting, and this file's own profiling wrappers (they hold everything)."""
    if not profiles:
        return []
    st = pstats.Stats(*profiles)
    rows = []
    for func, (_, ncalls, tottime, cumtime, _) in sorted(st.stats.items(), key=lambda kv: -kv[1][3]):
        file, name = func[0], func[2]
        if (any(part in file for part in ("/asyncio/", "selectors.py", "threading.py", __file__))
                or any(word in name for word in ("poll", "'acquire' of '_thread", "'select'"))):
            continue
        where = _where(func)
        rows.append({"function": where, "calls_per_request": ncalls / requests,
                     "cumulative_ms": 1000 * cumtime / requests, "own_ms": 1000 * tottime / requests})
        if len(rows) == PROFILE_TOP:
            break
    return rows


# -- report ---------------------------------------------------------------------------------------


def print_table(results: dict[str, Any]) -> None:
    model = results["model_only"]["p50_ms"]
    print(f"\nmodel only (set_image + predict, new prompt): p50 {model:.1f} ms")
    for name, e in results["endpoints"].items():
        e2e = e["end_to_end"]["p50_ms"]
        print(f"\n/{name} ({e['prompts']} prompt{'s' if e['prompts'] > 1 else ''}, n={e['n']}): "
              f"end-to-end p50 {e2e:.1f} ms = {e2e / model:.1f}x model-only")
        print(f"  {'part':40s} {'p50 ms':>9s} {'share':>7s}")
        for part in PARTS:
            p50, share = e["parts"][part]["p50_ms"], e["share"][part]
            if p50 or share:
                print(f"  {part:40s} {p50:9.1f} {100 * share:6.1f}%")
        pr = e["per_request"]
        print(f"  per request: {pr['images_encoded']} images encoded ({pr['distinct_image_files']} distinct "
              f"files, {pr['encoded_kib']:.0f} KiB: {', '.join(pr['encoded'])}); "
              f"{pr['files_downloaded']} files downloaded ({pr['downloaded_kib']:.0f} KiB)")
        print(f"  client: {pr['client_tls_setups']} new httpx clients (upload, send, downloads), their TLS "
              f"setup alone p50 {e['client_tls_setup']['p50_ms']:.1f} ms (inside upload / transport / download)")
        comps = ", ".join(f"{c} {s['p50_ms']:.1f}" for c, s in e["postprocess_by_component"].items())
        print(f"  postprocess by output (inclusive, p50 ms): {comps}")
    for name, target in results["targets"].items():
        print(f"target {name}: {target['value']:.2f} (limit {target['limit']}) "
              f"{'PASS' if target['pass'] else 'MISS'}")
    for name, prof in results["profile"].items():
        print(f"\nprofile /{name}, top by cumulative ms per request ({prof['requests']} requests):")
        for row in prof["top"][:12]:
            print(f"  {row['cumulative_ms']:8.1f}  {row['function']}")


def plot(results: dict[str, Any], path: Path) -> None:
    """One horizontal bar per endpoint, stacked by part (means: they add up to the bar)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(results["endpoints"])
    fig, ax = plt.subplots(figsize=(13, 1.6 + 0.9 * len(names)))
    colors = [*plt.get_cmap("tab20").colors, "#333333"][: len(PARTS)]  # 21 parts: "other" dark
    for part, color in zip(PARTS, colors):
        left = [sum(results["endpoints"][n]["parts"][p]["mean_ms"] for p in PARTS[:PARTS.index(part)])
                for n in names]
        width = [results["endpoints"][n]["parts"][part]["mean_ms"] for n in names]
        ax.barh([f"/{n}" for n in names], width, left=left, color=color, label=part)
    ax.axvline(results["model_only"]["p50_ms"], color="k", ls="--", lw=1, label="model only (p50)")
    ax.set_xlabel("ms (mean per request)")
    ax.legend(fontsize=7, ncol=2, loc="center left", bbox_to_anchor=(1.01, 0.5))
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)


# -- main -----------------------------------------------------------------------------------------

DEFAULT_CLIENT = "default client"


def client_options() -> dict[str, dict[str, Any]]:
    """The two ways the run calls the demo, side by side: ``gradio_client.Client`` as it comes
    (a new TLS context per file), and the same with one TLS context for all its calls
    (``bench.app_server.shared_tls_context``, the README's snippet)."""
    return {DEFAULT_CLIENT: {}, "shared TLS context": {"ssl_verify": shared_tls_context()}}


def endpoint_key(endpoint: str, client: str) -> str:
    """Results key: "segment" for the default client, "segment, shared TLS context" else."""
    return endpoint if client == DEFAULT_CLIENT else f"{endpoint}, {client}"



@contextlib.contextmanager
def gradio_folders(root: Path) -> Iterator[None]:
    """Gradio's upload / result cache and example cache in ``root``, not the shared /tmp/gradio."""
    keys = ("GRADIO_TEMP_DIR", "GRADIO_EXAMPLES_CACHE")
    saved = {k: os.environ.get(k) for k in keys}
    os.environ.update(GRADIO_TEMP_DIR=str(root / "gradio"), GRADIO_EXAMPLES_CACHE=str(root / "examples-cache"))
    try:
        yield
    finally:
        for k, v in saved.items():
            os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkpoint", default=str(ROOT / "checkpoints" / "ssa-demo"))
    parser.add_argument("--image", default=str(DEFAULT_IMAGE))
    parser.add_argument("--n", type=int, help="timed requests per endpoint (default 30; --quick 3)")
    parser.add_argument("--warmup", type=int, help="untimed requests first (default 3; --quick 1)")
    parser.add_argument("--profile-n", type=int, help="profiled requests per endpoint (default 10; --quick 2)")
    parser.add_argument("--threads", type=int, default=0,
                        help="torch threads (default 0: torch's own); 1 where another job holds the cores")
    parser.add_argument("--quick", action="store_true", help="tiny counts: a smoke run")
    parser.add_argument("--out", default=str(RESULTS))
    parser.add_argument("--plot", default=str(RESULTS.parent / "request.png"), help="'' for no chart")
    args = parser.parse_args(argv)
    for name, full, quick in (("n", 30, 3), ("warmup", 3, 1), ("profile_n", 10, 2)):
        if getattr(args, name) is None:
            setattr(args, name, quick if args.quick else full)
    if args.n < 1 or args.warmup < 0 or args.profile_n < 0:
        parser.error("--n must be >= 1, --warmup and --profile-n >= 0")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    import torch
    from gradio_client import Client

    import ssa
    from ssa.analysis import prepare_image
    from ssa.model_thread import ModelThread
    from ssa.webui import app, content

    # As ssa-demo does: the model is loaded and run on one thread (ssa/model_thread.py), and
    # model-only runs there too, so both sides of the ratio run the model the same way.
    model_thread = ModelThread()
    if args.threads:
        # Two torch threads on two cores someone else also uses can run 50x slower (threads
        # spin waiting for each other): on a shared machine, one thread measures the work.
        model_thread.run(torch.set_num_threads, args.threads)

    checkpoint, image = Path(args.checkpoint), Path(args.image)
    model = model_thread.run(ssa.load_model, checkpoint)
    pixels = prepare_image(image).image()
    per_endpoint = len(client_options()) * (args.warmup + args.n) + args.profile_n
    rec = Recorder()
    print(f"model only: {args.warmup} + {args.n} calls ...", flush=True)
    results: dict[str, Any] = {"model_only": model_thread.run(model_only, model, pixels, args.n, args.warmup)}
    with tempfile.TemporaryDirectory(prefix="ssa-request-") as tmp, gradio_folders(Path(tmp)):
        images = image_copies(image, 2 * per_endpoint, Path(tmp) / "images")
        demo = app.build_demo(model_thread.run(ssa.SSAPredictor, model), content.checkpoint_info(checkpoint, model),
                              ROOT / "examples", model_thread=model_thread)
        _, url, _ = app.launch(demo, "127.0.0.1", free_port(), prevent_thread_lock=True, quiet=True)
        try:
            endpoints, profile = {}, {}
            for client_name, options in client_options().items():
                client = Client(url, verbose=False, download_files=Path(tmp) / "downloads", **options)
                try:
                    instrument(rec)
                    for name, prompts in (("segment", 1), ("compare", 4)):
                        key = endpoint_key(name, client_name)
                        print(f"{key}: {args.warmup} + {args.n} requests ...", flush=True)
                        rows = run_requests(client, name, images, model, rec, args.n, args.warmup)
                        endpoints[key] = {"endpoint": name, "client": client_name, **summarize(rows, prompts)}
                finally:
                    rec.restore()  # the profile runs on Gradio's own code, not through the timers
                if not profile:  # the server's profile does not depend on the client: once
                    for name in ("segment", "compare"):
                        print(f"/{name}: {args.profile_n} profiled requests ...", flush=True)
                        with server_profile(rec) as profiles:
                            run_requests(client, name, images, model, rec, args.profile_n)
                        profile[name] = {"requests": args.profile_n,
                                         "top": top_functions(profiles, max(1, args.profile_n))}
        finally:
            demo.close()
    model_p50 = results["model_only"]["p50_ms"]
    targets = {}
    for client_name in client_options():
        seg_key, cmp_key = endpoint_key("segment", client_name), endpoint_key("compare", client_name)
        seg, cmp_ = endpoints[seg_key]["end_to_end"]["p50_ms"], endpoints[cmp_key]["end_to_end"]["p50_ms"]
        endpoints[seg_key]["ratio_to_model_only"] = seg / model_p50
        endpoints[cmp_key]["ratio_to_model_only"] = cmp_ / model_p50
        endpoints[cmp_key]["ratio_to_segment"] = cmp_ / seg
        suffix = "" if client_name == DEFAULT_CLIENT else f", {client_name}"
        targets[f"segment_vs_model_only{suffix}"] = {"limit": SEGMENT_VS_MODEL, "value": seg / model_p50,
                                                     "pass": seg / model_p50 <= SEGMENT_VS_MODEL}
        targets[f"compare_vs_segment{suffix}"] = {"limit": COMPARE_VS_SEGMENT, "value": cmp_ / seg,
                                                  "pass": cmp_ / seg <= COMPARE_VS_SEGMENT}
    results.update(
        endpoints=endpoints,
        targets=targets,
        profile=profile,
        checkpoint=str(checkpoint), image=str(image), parts=list(PARTS),
        command=" ".join(["python", "bench/request.py", *(argv if argv is not None else sys.argv[1:])]),
        machine=machine(), date=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )
    print_table(results)
    update_results("request", results, Path(args.out))
    print(f"\nresults: section 'request' of {args.out}")
    if args.plot:
        try:
            plot(results, Path(args.plot))
            print(f"chart: {args.plot}")
        except ImportError:
            print("no matplotlib: no chart")
    return 0


if __name__ == "__main__":
    sys.exit(main())
