"""Where a predicted mask lies: lesion area per lung side and zone (pure numpy).

The zones are the same fixed grid that turns location words into guidance masks
(:mod:`ssa.spatial`), so "the prompt said left lower lung" and "the mask is in the left
lower lung" are measured with one ruler:

* **sides** are image halves, mapped to the PATIENT's side by ``convention``
  ("radiological": the patient's left is the image's right, columns >= W/2);
* **zones** (X-ray only) are thirds of the lung band rows (default rows 10%-90% of H),
  with hard edges. Rows above or below the band belong to no zone;
* on an axial CT slice "upper / lower" name the slice level, not a place in the slice, so
  there is one "whole side" region per side.

These are image-grid regions, not segmented lungs: "% of zone" is the lesion's share of the
zone's box, a coarse extent measure for a research demo, not a clinical score.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from ssa.laterality import SIDES, side_columns
from ssa.spatial import ZONES, Region

WHOLE = "whole"  # the zone name of a CT side, or of a side's total on an X-ray


@dataclass(frozen=True)
class ZoneFinding:
    """Lesion pixels in one (side, zone) box of the grid.

    side: the patient's side, "left" | "right"; zone: "upper" | "middle" | "lower" |
    "whole"; named: whether the prompt's parsed locations include this box.
    """

    side: str
    zone: str
    zone_pixels: int
    lesion_pixels: int
    named: bool = False

    @property
    def percent_of_zone(self) -> float:
        """Lesion area as a percentage of the zone's area (0 for an empty zone)."""
        return 100.0 * self.lesion_pixels / self.zone_pixels if self.zone_pixels else 0.0

    def to_dict(self, total_lesion: int) -> dict:
        """JSON-ready dict with the two percentages rounded to 0.01."""
        share = 100.0 * self.lesion_pixels / total_lesion if total_lesion else 0.0
        return {
            **asdict(self),
            "percent_of_zone": round(self.percent_of_zone, 2),
            "percent_of_lesion": round(share, 2),
        }


def zone_rows(height: int, lung_band: tuple[float, float] = (0.1, 0.9)) -> dict[str, slice]:
    """Rows of the upper / middle / lower thirds of the lung band, hard edges.

    ``lung_band`` = (top, bottom) as fractions of ``height``. The thirds tile the band
    exactly (no row in two zones); with a tiny ``height`` a zone may be empty.
    """
    top, bottom = float(lung_band[0]), float(lung_band[1])
    if not 0.0 <= top < bottom <= 1.0:
        raise ValueError(f"lung_band must satisfy 0 <= top < bottom <= 1, got {lung_band!r}")
    edges = np.rint(np.linspace(top * height, bottom * height, 4)).astype(int)
    return {zone: slice(int(edges[i]), int(edges[i + 1])) for i, zone in enumerate(ZONES)}


def zone_boxes(
    size: tuple[int, int],
    modality: str = "xray",
    convention: str = "radiological",
    lung_band: tuple[float, float] = (0.1, 0.9),
) -> dict[tuple[str, str], tuple[slice, slice]]:
    """(side, zone) -> (rows, cols) of the grid for an image of ``size`` = (H, W).

    X-ray: 2 sides x 3 zones. CT: 2 sides x "whole" (all rows of the side's half).
    Sides are listed right first, as a radiologist reads a report (right, then left).
    """
    if modality not in ("xray", "ct"):
        raise ValueError(f"modality must be 'xray' or 'ct', got {modality!r}")
    height, width = (int(v) for v in size)
    if height <= 0 or width <= 0:
        raise ValueError(f"size must be two positive ints (H, W), got {size!r}")
    boxes: dict[tuple[str, str], tuple[slice, slice]] = {}
    for side in reversed(SIDES):  # ("right", "left")
        cols = side_columns(side, width, convention)
        if modality == "ct":
            boxes[(side, WHOLE)] = (slice(0, height), cols)
        else:
            for zone, rows in zone_rows(height, lung_band).items():
                boxes[(side, zone)] = (rows, cols)
    return boxes


def _named(regions: list[Region] | None, side: str, zone: str) -> bool:
    if not regions:
        return False
    return any(r.side == side and (zone == WHOLE or zone in r.zones) for r in regions)


def lesion_findings(
    mask: np.ndarray,
    modality: str = "xray",
    convention: str = "radiological",
    lung_band: tuple[float, float] = (0.1, 0.9),
    regions: list[Region] | None = None,
) -> list[ZoneFinding]:
    """Lesion pixels of ``mask`` (bool ``[H, W]``) in every box of :func:`zone_boxes`.

    X-ray: six rows (right upper, middle, lower, then left) followed by one "whole" row per
    side that totals the side's half of the image (all rows, inside the band or not).
    CT: one "whole" row per side. ``regions`` (from :func:`ssa.spatial.parse_locations`)
    only sets each row's ``named`` flag.
    """
    m = np.asarray(mask)
    if m.ndim != 2:
        raise ValueError(f"mask must be 2-D [H, W], got shape {m.shape}")
    m = m.astype(bool, copy=False)
    rows = [
        ZoneFinding(side, zone, int((r.stop - r.start) * (c.stop - c.start)), int(m[r, c].sum()),
                    _named(regions, side, zone))
        for (side, zone), (r, c) in zone_boxes(m.shape, modality, convention, lung_band).items()
    ]
    if modality == "xray":
        height, width = m.shape
        for side in reversed(SIDES):
            cols = side_columns(side, width, convention)
            zone_pixels = height * (cols.stop - cols.start)
            rows.append(ZoneFinding(side, WHOLE, zone_pixels, int(m[:, cols].sum()),
                                    _named(regions, side, WHOLE)))
    return rows


def side_fractions(mask: np.ndarray, convention: str = "radiological") -> dict[str, float]:
    """Share of the mask's pixels on the patient's left and right (both 0 for an empty mask)."""
    m = np.asarray(mask).astype(bool, copy=False)
    if m.ndim != 2:
        raise ValueError(f"mask must be 2-D [H, W], got shape {m.shape}")
    total = int(m.sum())
    width = m.shape[1]
    return {
        side: (int(m[:, side_columns(side, width, convention)].sum()) / total if total else 0.0)
        for side in SIDES
    }


def dominant_side(mask: np.ndarray, convention: str = "radiological", share: float = 0.9) -> str:
    """"left" / "right" when at least ``share`` of the mask is on that side, "both" when
    neither side reaches it, "none" for an empty mask."""
    fractions = side_fractions(mask, convention)
    if not any(fractions.values()):
        return "none"
    for side, value in fractions.items():
        if value >= share:
            return side
    return "both"


def findings_summary(
    mask: np.ndarray,
    modality: str = "xray",
    convention: str = "radiological",
    lung_band: tuple[float, float] = (0.1, 0.9),
    regions: list[Region] | None = None,
) -> dict:
    """Everything above as one JSON-ready dict (what ``python -m ssa.predict`` writes)."""
    m = np.asarray(mask).astype(bool, copy=False)
    total = int(m.sum())
    zones = lesion_findings(m, modality, convention, lung_band, regions)
    return {
        "image_size": [int(m.shape[0]), int(m.shape[1])],
        "modality": modality,
        "convention": convention,
        "lung_band": [float(v) for v in lung_band],
        "lesion_pixels": total,
        "lesion_percent_of_image": round(100.0 * total / m.size, 3) if m.size else 0.0,
        "side_fractions": {k: round(v, 4) for k, v in side_fractions(m, convention).items()},
        "dominant_side": dominant_side(m, convention),
        "zones": [z.to_dict(total) for z in zones],
    }
