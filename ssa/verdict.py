"""What a result says in words: found or not, and whether the outline agrees with the text.

A mask alone cannot say "nothing there" or "the lesion is on the other side". This module reads
one result — the mask, the text's regions, the presence score — and returns sentences a
clinician can check at a glance (the demo's status, ``python -m ssa.predict``'s findings JSON):

* "No lesion found where the text says (score 0.04)." — the presence score fell below the
  model's threshold and the mask was emptied;
* "The text names the left lower lung; the lesions found lie on the right." — less than half of
  the outline lies on the sides the text names (or, on an X-ray, in the zones it names);
* "Named but empty: left upper zone." — a zone the text names holds (almost) none of the outline.

Measured on the same grid as :mod:`ssa.findings` (image halves, thirds of the lung band).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ssa.findings import WHOLE, ZoneFinding, lesion_findings, side_fractions
from ssa.spatial import ZONES, Region

OFF_SHARE = 0.5  # less than this share of the outline where the text looks: "lies elsewhere"
EMPTY_ZONE_SHARE = 0.002  # a named zone with less lesion than this share of its box "holds nothing"


@dataclass
class Verdict:
    """headline: one sentence; notes: further sentences; empty_named: (side, zone) boxes the
    text names that hold nothing; agrees: False when the outline contradicts the text."""

    headline: str
    notes: list[str] = field(default_factory=list)
    empty_named: list[tuple[str, str]] = field(default_factory=list)
    found: bool = True
    agrees: bool = True

    def sentences(self) -> list[str]:
        return [self.headline, *self.notes]


def describe(regions: Sequence[Region]) -> str:
    """"the left lower lung", "the right upper and middle lung and the left lung"."""
    parts = []
    for r in regions:
        zones = [z for z in ZONES if z in r.zones]
        parts.append(f"the {r.side} {' and '.join(zones) + ' ' if len(zones) < 3 else ''}lung")
    return " and ".join(parts)


def _where(fractions: dict[str, float]) -> str:
    sides = [s for s in ("left", "right") if fractions[s] >= 0.1]
    return "on both sides" if len(sides) == 2 else f"on the {sides[0]}" if sides else "nowhere"


def judge(
    mask: np.ndarray,
    regions: Sequence[Region],
    score: float,
    present: bool = True,
    modality: str = "xray",
    convention: str = "radiological",
    lung_band: tuple[float, float] = (0.1, 0.9),
    findings: Sequence[ZoneFinding] | None = None,
) -> Verdict:
    """The verdict on one result: ``mask`` bool ``[H, W]`` (after the presence gate),
    ``regions`` the text located, ``score`` the presence probability, ``present`` the gate's
    decision; ``findings``: :func:`ssa.findings.lesion_findings` of the same mask and regions,
    when the caller already has them (else measured here)."""
    m = np.asarray(mask, bool)
    named = describe(regions) if regions else ""
    if not regions:
        boxes: Sequence[ZoneFinding] = []
    else:
        boxes = findings if findings is not None else lesion_findings(m, modality, convention, lung_band, list(regions))
    # Every named box (zone, or a side's whole half) that holds (almost) nothing.
    empty_named = [(b.side, b.zone) for b in boxes
                   if b.named and b.lesion_pixels < EMPTY_ZONE_SHARE * max(b.zone_pixels, 1)]
    if not present:
        where = f": {named}" if named else ""
        return Verdict(f"No lesion found where the text says (score {score:.2f}){where}.",
                       empty_named=empty_named, found=False)
    total = int(m.sum())
    if total == 0:
        return Verdict(f"Nothing outlined at this threshold (presence score {score:.2f}).",
                       empty_named=empty_named, found=False)
    headline = f"Lesion found (presence score {score:.2f})."
    if not regions:
        return Verdict(headline)
    fractions = side_fractions(m, convention)
    on_named_sides = sum(fractions[s] for s in {r.side for r in regions})
    verdict = Verdict(headline, empty_named=empty_named)
    if on_named_sides < OFF_SHARE:
        verdict.agrees = False
        verdict.notes.append(f"The text names {named}; the lesions found lie {_where(fractions)}.")
    in_named = sum(b.lesion_pixels for b in boxes if b.named and b.zone != WHOLE) if modality == "xray" else None
    if in_named is not None and verdict.agrees and in_named < OFF_SHARE * total:
        verdict.agrees = False
        verdict.notes.append(f"The text names {named}; most of the outline lies outside those zones.")
    # Zones on an X-ray (a side's whole half only on CT, where it is the one box).
    listed = [(side, zone) for side, zone in empty_named if zone != WHOLE or modality == "ct"]
    if listed:
        names = ", ".join(f"{side} {zone} zone" if zone != WHOLE else f"{side} lung" for side, zone in listed)
        verdict.notes.append(f"Named but empty: {names}.")
    return verdict
