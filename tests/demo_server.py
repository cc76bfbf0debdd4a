"""Helpers for the demo tests: a tiny checkpoint, private Gradio folders, a loopback server."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import torch

import ssa
from bench.app_server import free_port

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
DEMO_CHECKPOINT = ROOT / "checkpoints" / "ssa-demo"


def save_tiny_checkpoint(directory: Path) -> Path:
    """A seeded random ``tiny`` model saved as a checkpoint, with a model card."""
    torch.manual_seed(0)
    ssa.create_model("tiny").save_pretrained(directory)
    (directory / "README.md").write_text(
        "---\nlicense: apache-2.0\n---\n# ssa-tiny\n\nA random tiny model for tests.\n\n"
        "It segments nothing in particular.\n\n## Details\n\nmore\n"
    )
    return directory


@contextlib.contextmanager
def gradio_folders(root: Path) -> Iterator[Path]:
    """Point Gradio's upload cache and example cache at ``root`` (restored afterwards)."""
    saved = {k: os.environ.get(k) for k in ("GRADIO_TEMP_DIR", "GRADIO_EXAMPLES_CACHE")}
    os.environ["GRADIO_TEMP_DIR"] = str(root / "gradio")
    os.environ["GRADIO_EXAMPLES_CACHE"] = str(root / "examples-cache")
    try:
        yield root / "gradio"
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextlib.contextmanager
def running_demo(checkpoint: Path) -> Iterator[tuple[object, str]]:
    """Build the app from ``checkpoint`` and serve it on a free loopback port: (demo, url)."""
    import app
    from ssa.model_thread import ModelThread
    from ssa.webui.content import checkpoint_info

    model_thread = ModelThread()  # as ssa-demo: the model built and run on one thread
    predictor = model_thread.run(lambda: ssa.SSAPredictor(ssa.load_model(checkpoint)))
    demo = app.build_demo(predictor, checkpoint_info(checkpoint, predictor.model), EXAMPLES,
                          model_thread=model_thread)
    _, url, _ = app.launch(demo, "127.0.0.1", free_port(), prevent_thread_lock=True, quiet=True)
    try:
        yield demo, url
    finally:
        demo.close()


def as_upload(handlers, path: Path) -> str:
    """Mark ``path`` as a Gradio upload for the ``handlers`` fixture's janitor; returns it."""
    handlers.janitor.blocks.upload_file_set.add(str(path))
    return str(path)
