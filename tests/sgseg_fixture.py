"""A tiny QaTa-COV19 in the SGSeg layout, written for real (PNGs + annotation.json).

Captions name sides as the *viewer* sees them, as SGSeg's do: a "left lung" lesion is drawn
in the image's left half. Some images exist twice, under an upper-case and a lower-case name
with the same bytes, as in the published copy.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

SIZE = 32
LEFT = "unilateral pulmonary infection, one infected area, lower left lung."
RIGHT = "unilateral pulmonary infection, one infected area, upper right lung."
BOTH = "bilateral pulmonary infection, two infected areas, lower left lung and upper right lung."
KINDS = (LEFT, RIGHT, BOTH)


def lesion_mask(caption: str, size: int = SIZE, shift: int = 0) -> np.ndarray:
    """uint8 0/255 ``[size, size]``: blocks on the image half the caption names (viewer sides)."""
    mask = np.zeros((size, size), np.uint8)
    q = size // 4
    if "left lung" in caption:  # viewer: the image's left half, lower rows
        mask[2 * q : 3 * q + 2, q // 2 + shift : q + 4 + shift] = 255
    if "right lung" in caption:  # the image's right half, upper rows
        mask[q - 2 : 2 * q - 2, 3 * q - 4 + shift : size - q // 2 + shift] = 255
    return mask


def write_png(path: Path, array: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), array)


def make_sgseg(root: Path, counts: dict[str, int] | None = None, twins: bool = True) -> Path:
    """Write ``root/images/{train,valid,test}/{images,masks}`` and ``root/prompts/annotation.json``.

    Case ``i`` of a split has caption ``KINDS[i % 3]``; every other case is named
    ``sub-S<n>_ses-E<n>.png`` (upper case) and, with ``twins``, also exists in lower case.
    """
    counts = counts or {"train": 9, "valid": 6, "test": 6}
    rng = np.random.default_rng(0)
    annotation: dict[str, list[dict]] = {}
    n = 0
    for split, count in counts.items():
        rows = []
        for i in range(count):
            n += 1
            name = f"sub-S{n:05d}_ses-E{n:05d}.png" if i % 2 else f"covid_{n}.png"
            caption = KINDS[i % 3]
            image = (rng.random((SIZE, SIZE)) * 120 + 60).astype(np.uint8)
            mask = lesion_mask(caption)
            image[mask > 0] = 230
            folder = root / "images" / split
            names = [name] + ([name.lower()] if twins and name != name.lower() else [])
            for nm in names:
                write_png(folder / "images" / nm, image)
                write_png(folder / "masks" / f"mask_{nm}", mask)
            rows.append({"image_path": f"mask_{name.lower()}", "caption": caption,
                         "pulmonary_infection": 2 if caption == BOTH else 1, "infected_area": 1,
                         "pseudo_label": [0, 0, 1, 0, 0, 0]})
        annotation[split] = rows
    (root / "prompts").mkdir(parents=True, exist_ok=True)
    (root / "prompts" / "annotation.json").write_text(json.dumps(annotation))
    return root
