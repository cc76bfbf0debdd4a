"""Real referring cases: one-side cases derived from real cases whose text names both sides.

A report caption names every lesion ("... upper left lung and lower right lung."), so a model
trained on captions alone never learns to leave a lesion out: asked about one side, it still
outlines both. From each real two-sided case this module derives one case per side:

* the text names only that side's zones ("Unilateral pulmonary infection, one infected
  area, lower right lung."), with the zones the original text gave that side;
* the mask keeps only the lesion pixels on that side of the patient's midline.

**Where the midline is.** In the column profile of the mask, inside the central band of the
image (35%-65% of the width), at the column with the least lesion (smoothed over 5% of the
width), ties broken towards the image centre. The lesions lie in the lungs and the
mediastinum between them holds none, so this valley separates the two lungs' lesions even
when the patient is off-centre; a fixed centre column would cut the lesions of a shifted
patient in two. The mask is what is split, so the mask is what the split is read from.

Texts must already be in the model's convention (:mod:`ssa.data.text_convention`): the patient
side a text names is mapped to an image half with that convention.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from ssa.data.masks import load_mask
from ssa.data.samples import Sample
from ssa.laterality import image_half
from ssa.spatial import ZONES, Region, parse_locations

MIDLINE_BAND = (0.35, 0.65)  # where the midline is searched, fraction of the width
MIN_SIDE_SHARE = 0.002  # a side with less lesion than this share of the image is not a case

_COUNT = {1: "one", 2: "two", 3: "three"}

# Phrasings for training (one picked per case by a seed); every one parses to the same region
# (tested). Evaluation always uses the first, QaTa's own template.
TEMPLATES = (
    "Unilateral pulmonary infection, {count} infected area{plural}, {zones} {side} lung.",
    "Opacity in the {zones} {side} lung.",
    "Infection in the {side} {zones} zone{plural}.",
    "Infected area{plural} in the {zones} part of the {side} lung only.",
)

# Phrasings no training run uses (nor ssa.data.negatives): evaluation's test of whether the
# model reads the side and zone words or the sentences it was trained on
# (``python -m ssa.evaluate --mode referring --phrasing unseen``). Each parses to its region (tested).
UNSEEN_TEMPLATES = (
    "{zones} {side} lung infection.",
    "infection, {zones} {side} lung",
    "There is an opacity projecting over the {side} {zones} zone{plural}.",
)
PHRASINGS = {"qata": TEMPLATES[:1], "training": TEMPLATES, "unseen": UNSEEN_TEMPLATES}


def find_midline(mask: np.ndarray, band: tuple[float, float] = MIDLINE_BAND) -> int:
    """Column ``c`` that splits a bool mask ``[H, W]`` into halves ``[:, :c]`` and ``[:, c:]``.

    The least-lesion column (smoothed profile) inside ``band``; ties go to the one nearest the
    image centre. An empty mask gives the centre column ``W // 2``.
    """
    mask = np.asarray(mask, bool)
    w = mask.shape[1]
    profile = mask.sum(axis=0).astype(np.float64)
    if profile.sum() == 0:
        return w // 2
    k = max(1, round(0.05 * w))
    smooth = np.convolve(profile, np.ones(k) / k, mode="same")
    lo, hi = max(1, int(band[0] * w)), min(w - 1, int(np.ceil(band[1] * w)))
    cols = np.arange(lo, hi + 1)
    best = smooth[lo : hi + 1].min()
    ties = cols[smooth[lo : hi + 1] <= best + 1e-9]
    return int(ties[np.argmin(np.abs(ties - w / 2))])


def restrict_mask(mask: np.ndarray, keep_half: str, midline: float) -> np.ndarray:
    """Copy of bool ``[H, W]`` ``mask`` with only the image half ``keep_half`` kept.

    ``midline`` is the split column as a fraction of the width, so it holds at any size.
    """
    if keep_half not in ("left", "right"):
        raise ValueError(f"keep_half must be 'left' or 'right', got {keep_half!r}")
    out = np.array(mask, bool, copy=True)
    c = int(round(midline * out.shape[1]))
    if keep_half == "left":
        out[:, c:] = False
    else:
        out[:, :c] = False
    return out


def referring_text(region: Region, template: int = 0, templates: Sequence[str] = TEMPLATES) -> str:
    """A text naming only ``region`` (one side, its zones), in phrasing ``templates[template]``."""
    zones = " ".join(z for z in ZONES if z in region.zones)
    n = len(region.zones)
    text = templates[template].format(
        count=_COUNT[n], plural="" if n == 1 else "s", zones=zones, side=region.side
    )
    return text


def derive_referring(
    samples: Sequence[Sample], convention: str, vary_text: bool = False, seed: int = 0, progress: bool = False,
    templates: Sequence[str] = TEMPLATES,
) -> list[Sample]:
    """One-side cases from the ``samples`` whose text names both sides.

    Args:
        samples: real cases, texts in ``convention``.
        convention: the model's convention ("radiological" | "viewer").
        vary_text: pick one of ``templates`` per case (training); else the first (QaTa's).
        seed: seeds the phrasing choice.
        templates: the phrasings (:data:`TEMPLATES`; evaluation may ask :data:`UNSEEN_TEMPLATES`).

    Returns:
        Samples keyed ``<key>#left`` / ``<key>#right`` with ``keep_half`` and ``midline`` set;
        a side whose share of lesion is below :data:`MIN_SIDE_SHARE` gives no case.
    """
    from tqdm import tqdm

    rng = np.random.default_rng(seed)
    derived: list[Sample] = []
    for s in tqdm(samples, desc="referring cases", unit="mask", disable=not progress):
        regions = parse_locations(s.text)
        if {r.side for r in regions} != {"left", "right"}:
            continue
        mask = load_mask(s.mask)
        mid = find_midline(mask)
        for region in regions:
            half = image_half(region.side, convention)
            part = mask[:, :mid] if half == "left" else mask[:, mid:]
            choice = int(rng.integers(len(templates))) if vary_text else 0
            if part.sum() < MIN_SIDE_SHARE * mask.size:
                continue
            derived.append(dataclasses.replace(
                s, text=referring_text(region, choice, templates), key=f"{s.key}#{region.side}",
                keep_half=half, midline=mid / mask.shape[1],
            ))
    return derived
