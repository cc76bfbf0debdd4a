"""Writing result files: atomically (a crash never leaves half a file) and without torch.

Every checkpoint, evaluation JSON, training log, figure and mask PNG the package writes goes
through :func:`atomic_write_bytes`: the bytes go to a temporary file in the same folder, are
fsync-ed (except throwaway cache files: ``durable=False``), then renamed over the target, so a
reader sees the old file or the new one.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np


def atomic_write_bytes(path: str | os.PathLike, data: bytes, durable: bool = True) -> Path:
    """Write ``data`` to a temporary file beside ``path``, fsync, rename over ``path``.

    durable=False skips the fsync: the rename still shows readers the whole old file or the
    whole new one, but a power cut may lose the file. For throwaway files (the demo's image
    cache), where the fsync is about half of the write's time."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file the usual permissions
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            if durable:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """UTF-8 text, atomically."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | os.PathLike, data: Any) -> Path:
    """``data`` as indented JSON with a final newline, atomically."""
    return atomic_write_text(path, json.dumps(data, indent=2) + "\n")


def write_png(path: str | os.PathLike, image: np.ndarray, durable: bool = True) -> Path:
    """Write a gray [H, W] or RGB [H, W, 3] uint8 image as PNG, atomically (OpenCV wants BGR).
    durable: as for :func:`atomic_write_bytes`."""
    import cv2  # here, so that importing this module stays cheap for JSON-only writers

    path = Path(path)
    a = np.asarray(image)
    if a.ndim == 3:
        a = a[..., ::-1]
    ok, buf = cv2.imencode(".png", np.ascontiguousarray(a))
    if not ok:
        raise OSError(f"{path}: could not encode PNG")
    return atomic_write_bytes(path, buf.tobytes(), durable)
