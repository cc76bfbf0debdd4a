"""Changes to Gradio 6.31, applied when the demo is built: two to its image cache, one to its queue.

``gradio.processing_utils.save_pil_to_cache`` names each output image after its content
(``<cache>/<sha256>/image.<format>``) and writes the bytes straight onto that path.

* **Atomic writes.** Two requests that produce the same image (same example, same prompt)
  write the same path: the second write truncated the file while the server was still
  streaming it to the first client, who got a connection error or an empty image
  (``bench/load.py`` hit this now and then with concurrent identical clients). Gradio's own
  ``save_file_to_cache`` already writes to a temporary file and renames it; this does the same
  for images, so a reader sees the whole old file or the whole new one, never a short one.
  Without an fsync: the cache is thrown away within minutes, and the rename alone gives
  readers whole files.
* **JPEG quality.** The demo sends its display pictures as JPEG: a 448-px picture of an X-ray
  takes 0.4 ms and 18 KiB, against 20 ms and 73 KiB as PNG and 13 ms as WebP (one run on 2
  cores). Gradio saves JPEG at PIL's default quality 75; these are saved at ``JPEG_QUALITY``
  (90), as fast, for the thin lines of the zone grid and the side markers. PNG (the overlay
  layers, which need alpha) and other formats are encoded as Gradio does.
"""

from __future__ import annotations

import io
from pathlib import Path

import gradio.processing_utils as processing_utils
from PIL import Image

from ssa.files import atomic_write_bytes

JPEG_QUALITY = 90


def encode_image(img: Image.Image, format: str) -> bytes:  # noqa: A002
    """The file bytes of ``img`` in ``format`` ("jpeg" at ``JPEG_QUALITY``, else Gradio's encoder)."""
    if format.lower() in ("jpeg", "jpg"):
        if img.mode not in ("L", "RGB"):  # JPEG has no alpha or palette
            img = img.convert("RGB")
        with io.BytesIO() as out:
            img.save(out, "JPEG", quality=JPEG_QUALITY)
            return out.getvalue()
    return processing_utils.encode_pil_to_bytes(img, format)


def _save_pil_to_cache_atomically(img, cache_dir: str, name: str = "image", format: str = "webp") -> str:  # noqa: A002
    """Same contract as Gradio's ``save_pil_to_cache``: returns the cached file's path."""
    data = encode_image(img, format)
    target = (Path(cache_dir) / processing_utils.hash_bytes(data) / f"{name}.{format}").resolve()
    atomic_write_bytes(target, data, durable=False)
    return str(target)


def apply() -> None:
    """Install the atomic writer (idempotent). Callers look it up on the module each time."""
    processing_utils.save_pil_to_cache = _save_pil_to_cache_atomically


# Gradio's queue loop wakes every 1 ms (its ``sleep_when_free``; 50 ms on Windows) to look for
# work, also while the server is idle or the model is running. Each wake takes the GIL and a
# core from the model's two threads: set_image + predict on the demo checkpoint, 2 cores, took
# 54 ms beside an idle server against 43 ms without one, and 45 ms with 5 ms between wakes
# (a new request then waits up to 5 ms longer to be picked up).
QUEUE_POLL_S = 0.005


def calm_queue(demo) -> None:
    """Let ``demo``'s queue (``demo.queue()`` first) look for work every ``QUEUE_POLL_S``."""
    demo._queue.sleep_when_free = QUEUE_POLL_S
