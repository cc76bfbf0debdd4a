"""Captions *derived* from a CT slice's lesion mask, in QaTa-COV19's template (nobody wrote them).

"Bilateral pulmonary infection, two infected areas, upper left lung and lower right lung.": each
lesion goes to the patient's side of the midline and to the upper / middle / lower third of that
side's lung rows (on an axial slice: anterior / middle / posterior) by its centroid; the count is
the number of (side, level) cells, as in QaTa-COV19.
"""

from __future__ import annotations

import numpy as np

from ssa.laterality import SIDES, check_convention, image_half

ZONES = ("upper", "middle", "lower")
NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six")
DERIVED_NOTE = "derived from the mask (QaTa-COV19 caption template), not written by a reader"
MIN_LESION_SHARE = 2e-5  # lesions smaller than this share of the slice (5 px at 512^2) are specks


def _side_extents(lungs: np.ndarray | None, lesion: np.ndarray, midline: float,
                  convention: str) -> dict[str, tuple[int, int]]:
    """Rows ``(top, bottom)`` spanned by each patient side's lung (with its lesions)."""
    height, width = lesion.shape
    region = lesion.copy() if lungs is None else (np.asarray(lungs, bool) | lesion)
    everything = np.nonzero(region.any(axis=1))[0]
    whole = (int(everything[0]), int(everything[-1])) if lungs is not None and everything.size else (0, height - 1)
    if lungs is None:
        return {side: whole for side in SIDES}
    columns = np.arange(width)
    extents = {}
    for side in SIDES:
        cols = columns > midline if image_half(side, convention) == "right" else columns <= midline
        rows = np.nonzero(region[:, cols].any(axis=1))[0]
        extents[side] = (int(rows[0]), int(rows[-1])) if rows.size else whole
    return extents


def derive_caption(
    mask: np.ndarray,
    lungs: np.ndarray | None = None,
    midline: float | None = None,
    *,
    convention: str = "radiological",
    finding: str = "infection",
    adjective: str = "infected",
    min_share: float = MIN_LESION_SHARE,
) -> str | None:
    """A QaTa-style caption *derived* from a slice's lesion mask; None for an empty mask.

    Each lesion (8-connected component; specks under ``min_share`` of the slice are ignored
    unless nothing else is left) is put on the patient's side of ``midline`` (a column
    coordinate; default the image centre) under ``convention``, and in the upper / middle /
    lower third of that side's lung rows by its centroid. Lung rows come from ``lungs`` (with
    the lesions); without ``lungs`` the whole image height is the lung extent. The count is the
    number of distinct (side, level) cells, as in QaTa-COV19: "Bilateral pulmonary infection,
    two infected areas, upper left lung and lower right lung."
    """
    from scipy import ndimage

    check_convention(convention)
    lesion = np.asarray(mask).astype(bool)
    if lesion.ndim != 2:
        raise ValueError(f"mask must be 2-D [H, W], got shape {lesion.shape}")
    if not lesion.any():
        return None
    height, width = lesion.shape
    mid = (width - 1) / 2.0 if midline is None else float(midline)
    labels, n = ndimage.label(lesion, structure=np.ones((3, 3), bool))
    index = np.arange(1, n + 1)
    areas = ndimage.sum(lesion, labels, index)
    centres = ndimage.center_of_mass(lesion, labels, index)
    keep = [i for i in range(n) if areas[i] >= min_share * height * width] or [int(np.argmax(areas))]
    extents = _side_extents(lungs, lesion, mid, convention)
    zones: dict[str, set[str]] = {side: set() for side in SIDES}
    for i in keep:
        cy, cx = centres[i]
        half = "right" if cx > mid else "left"
        side = next(s for s in SIDES if image_half(s, convention) == half)
        top, bottom = extents[side]
        share = (cy - top + 0.5) / max(bottom - top + 1, 1)
        zones[side].add(ZONES[min(2, max(0, int(share * 3)))])
    sides = [s for s in ("left", "right") if zones[s]]
    count = sum(len(z) for z in zones.values())
    places = " and ".join(" ".join(z for z in ZONES if z in zones[s]) + f" {s} lung" for s in sides)
    lateral = "Bilateral" if len(sides) == 2 else "Unilateral"
    return f"{lateral} pulmonary {finding}, {NUMBER_WORDS[count]} {adjective} area{'' if count == 1 else 's'}, {places}."


def empty_caption(finding: str = "infection") -> str:
    """The derived text of a slice without lesion pixels (kept only with ``include_empty``)."""
    return f"No pulmonary {finding}."

