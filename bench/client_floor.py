"""What gradio_client costs by itself: ``/segment``'s signature served by a handler that does nothing.

    python bench/client_floor.py [--n 20] [--warmup 3] [--out bench/results/results.json]

A Gradio app with one endpoint, ``/segment``, taking what the demo's ``/segment`` takes (an image
file, the prompt, modality, window, threshold) and answering what it answers (two PNG files and a
findings record), from files written once: no model, no image read. Called through
``gradio_client.Client`` with its defaults, exactly as ``bench/browser.py`` calls the demo, it
gives the time any server with this API would take at best from the same client on the same
machine: the upload, the queue's request and event stream, one download per file (gradio_client
opens a new HTTP client, with a new TLS context, for each of these) and its wait for the answer
(it looks for messages every 50 ms).

``bench/browser.py`` measures the floor beside the demo in every run, its client in the
server's process as its own is. Run on its own, this script measures it both ways: the client
in this process, and in a process of its own (the server's threads and the client's then share
no interpreter), uploading copies of the example X-ray ``bench/request.py`` sends; section
"client_floor" of ``--out``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def floor_demo(outputs: tuple[str, str, dict]):
    """A ``gr.Blocks`` whose ``/segment`` answers ``outputs`` (mask path, overlay path, record)."""
    import gradio as gr

    def segment(image: str | None, prompt: str, modality: str, window: str, threshold: float):
        return outputs

    with gr.Blocks() as demo:
        inputs = [gr.File(label="Image file"), gr.Textbox(label="Prompt"), gr.Textbox(label="Modality"),
                  gr.Textbox(label="CT window"), gr.Number(label="Mask threshold")]
        results = [gr.File(label="Mask"), gr.File(label="Overlay"), gr.JSON(label="Findings")]
        gr.on([], segment, inputs, results, api_name="segment")
    return demo.queue()


@contextlib.contextmanager
def serving(outputs: tuple[str, str, dict], port: int) -> Iterator[str]:
    """Serve :func:`floor_demo` in this process on ``port``; yields its URL."""
    demo = floor_demo(outputs)
    _, url, _ = demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True,
                            allowed_paths=[str(Path(outputs[0]).parent), str(Path(outputs[1]).parent)])
    try:
        yield url
    finally:
        demo.close()


def floor_series(url: str, downloads: Path, images: Iterator[Path], prompts: tuple[str, ...], n: int,
                 warmup: int) -> list[float]:
    """End-to-end ms of ``n`` calls (after ``warmup``) of the floor's ``/segment``, a new image
    file each, through a ``gradio_client.Client`` with its defaults."""
    from gradio_client import Client, handle_file

    client = Client(url, verbose=False, download_files=downloads)
    times = []
    try:
        for i in range(warmup + n):
            args = (handle_file(str(next(images))), prompts[i % len(prompts)], "auto", "lung", 0.5)
            t = time.perf_counter()
            result = client.predict(*args, api_name="/segment")
            e2e = time.perf_counter() - t
            if len(result) != 3 or not Path(result[0]).is_file():
                raise RuntimeError(f"the floor's /segment returned {result!r}")
            if i >= warmup:
                times.append(1000 * e2e)
    finally:
        client.close()
    return times


def kept_result(result: tuple[Any, ...], folder: Path) -> tuple[str, str, dict]:
    """A ``/segment`` result (mask path, overlay path, record) copied into ``folder``, for the
    floor to answer with the same bytes."""
    folder.mkdir(parents=True, exist_ok=True)
    mask, overlay, record = result
    paths = []
    for src, name in ((mask, "mask.png"), (overlay, "overlay.png")):
        dst = folder / name
        dst.write_bytes(Path(src).read_bytes())
        paths.append(str(dst))
    record = json.loads(Path(record).read_text()) if isinstance(record, str) and Path(record).is_file() else record
    return paths[0], paths[1], record


EXAMPLE = ROOT / "examples" / "qata_referring_left.png"  # the image bench/request.py sends
PROMPTS = ("a prompt", "another")


def copies(folder: Path, count: int) -> Iterator[Path]:
    """``count`` new uploads: copies of ``EXAMPLE`` with one pixel changed (``bench.request``)."""
    from bench.request import image_copies

    return image_copies(EXAMPLE, count, folder)


def _client_process(url: str, folder: Path, n: int, warmup: int) -> list[float]:
    """:func:`floor_series` run by a new Python process; its times (ms)."""
    code = ("import json, sys; from pathlib import Path; sys.path.insert(0, sys.argv[1]); "
            "from bench import client_floor as f; n, warmup, folder = int(sys.argv[4]), int(sys.argv[5]), Path(sys.argv[3]); "
            "print(json.dumps(f.floor_series(sys.argv[2], folder / 'downloads', f.copies(folder / 'images', n + warmup), "
            "f.PROMPTS, n, warmup)))")
    out = subprocess.run([sys.executable, "-c", code, str(ROOT), url, str(folder), str(n), str(warmup)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: Sequence[str] | None = None) -> int:
    import numpy as np
    from PIL import Image

    from bench.app_server import free_port
    from bench.offline import go_offline
    from bench.results import RESULTS, machine, update_results
    from bench.timing import stats

    go_offline()
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ssa-floor-") as tmp:
        folder = Path(tmp)
        mask = folder / "result" / "mask.png"  # mostly empty, as a mask is; the overlay: a picture
        mask.parent.mkdir()
        Image.fromarray(np.zeros((224, 224), np.uint8)).save(mask)
        with serving((str(mask), str(EXAMPLE), {"presence_score": 0.1}), free_port()) as url:
            print(f"gradio_client, /segment's signature with no work behind it: {args.warmup} + {args.n} "
                  "requests from this process, then from a process of its own ...", flush=True)
            here = floor_series(url, folder / "downloads", copies(folder / "images", args.n + args.warmup), PROMPTS,
                                args.n, args.warmup)
            apart = _client_process(url, folder / "apart", args.n, args.warmup)
    results = {"client in this process": stats(here), "client in its own process": stats(apart),
               "command": " ".join(["python", "bench/client_floor.py", *(argv if argv is not None else sys.argv[1:])]),
               "machine": machine(), "date": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    for name in ("client in this process", "client in its own process"):
        print(f"  {name:28s} p50 {results[name]['p50_ms']:6.1f} ms  p90 {results[name]['p90_ms']:6.1f} ms")
    update_results("client_floor", results, args.out)
    print(f"results: section 'client_floor' of {args.out}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
