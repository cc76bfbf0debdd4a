"""Mask files -> bool arrays, whatever their depth, channels or value range.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def load_mask(path: Path) -> np.ndarray:
    """Read a mask file as a bool HxW array.

    Accepts 8/16-bit (and float) gray, RGB and RGBA files holding 0/255, 0/1 or 0/65535. A
    pixel is foreground if any colour channel is above half the value range, where the range
    is 1, 255 or 65535 depending on the largest value present (so a 0/1 mask works in any
    dtype and faint JPEG noise on an empty mask does not). Alpha is used only when the
    colour channels are flat (a mask drawn as transparency).

    Raises:
        FileNotFoundError: no such file.
        ValueError: the file is not a readable image.
    """
    import cv2

    # imdecode(fromfile) instead of imread: imread fails silently on non-ASCII paths on Windows.
    raw = np.fromfile(str(path), dtype=np.uint8)  # a missing file raises FileNotFoundError here
    try:
        arr = cv2.imdecode(raw, cv2.IMREAD_UNCHANGED) if raw.size else None
    except cv2.error:
        arr = None
    if arr is None:
        try:
            from PIL import Image

            with Image.open(path) as im:
                arr = np.asarray(im)
        except Exception as exc:
            raise ValueError(f"cannot read mask {path}: {exc}") from exc
    arr = np.asarray(arr)
    if arr.ndim == 3:
        channels = arr.shape[2]
        colour = arr[..., : 3 if channels >= 3 else 1]
        if channels in (2, 4):  # gray+alpha or colour+alpha
            alpha = arr[..., -1]
            if colour.min() == colour.max() and alpha.min() != alpha.max():
                colour = alpha[..., None]
        arr = colour
    peak = float(arr.max()) if arr.size else 0.0
    scale = 1.0 if peak <= 1 else 255.0 if peak <= 255 else 65535.0 if peak <= 65535 else peak
    fg = arr > scale / 2
    return fg.any(axis=2) if fg.ndim == 3 else fg
