"""A fix for Gradio 6.31's image cache, applied once when the demo is built.

``gradio.processing_utils.save_pil_to_cache`` names each output image after its content
(``<cache>/<sha256>/image.webp``) and writes the bytes straight onto that path. Two requests
that produce the same image (same example, same prompt) write the same path: the second
write truncates the file while the server is still streaming it to the first client, who
gets a connection error or an empty image. ``bench/load.py`` hit this now and then with
concurrent identical clients. Gradio's own ``save_file_to_cache`` already
writes to a temporary file and renames it; this does the same for images, so a reader sees
the whole old file or the whole new one, never a short one.
"""

from __future__ import annotations

from pathlib import Path

import gradio.processing_utils as processing_utils

from ssa.files import atomic_write_bytes


def _save_pil_to_cache_atomically(img, cache_dir: str, name: str = "image", format: str = "webp") -> str:  # noqa: A002
    """Same contract as Gradio's ``save_pil_to_cache``: returns the cached file's path."""
    data = processing_utils.encode_pil_to_bytes(img, format)
    target = (Path(cache_dir) / processing_utils.hash_bytes(data) / f"{name}.{format}").resolve()
    atomic_write_bytes(target, data)
    return str(target)


def apply() -> None:
    """Install the atomic writer (idempotent). Callers look it up on the module each time."""
    processing_utils.save_pil_to_cache = _save_pil_to_cache_atomically
