"""What gradio_client costs by itself: ``/segment``'s signature served by a handler that does nothing.

A Gradio app with one endpoint, ``/segment``, taking what the demo's ``/segment`` takes (an image
file, the prompt, modality, window, threshold) and answering what it answers (two PNG files and a
findings record), from files written once: no model, no image read. Called through
``gradio_client.Client`` with its defaults, exactly as ``bench/browser.py`` calls the demo, it
gives the time any server with this API would take at best from the same client on the same
machine: the upload, the queue's request and event stream, one download per file (gradio_client
opens a new HTTP client, with a new TLS context, for each of these) and its wait for the answer
(it looks for messages every 50 ms).
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any


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
