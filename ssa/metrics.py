"""Evaluation metrics as pure numpy functions.

NaN rules: Dice and IoU of an empty prediction against an empty target are 1.0 (nothing
to find, nothing found). wrong_side is None for a text that does not name exactly one
side, and False for an empty prediction (it puts nothing on the other side).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ssa.laterality import image_half, mirror_safe_columns, other_side
from ssa.spatial import parse_locations

WRONG_SIDE_THRESHOLD = 0.10  # share of the predicted pixels on the unnamed side


def dice_score(pred: np.ndarray, target: np.ndarray) -> float:
    """Dice of two bool masks of the same shape ``[H, W]``."""
    pred, target = np.asarray(pred, bool), np.asarray(target, bool)
    if pred.shape != target.shape:
        raise ValueError(f"shape mismatch: prediction {pred.shape}, target {target.shape}")
    total = int(pred.sum()) + int(target.sum())
    if total == 0:
        return 1.0
    return 2.0 * int(np.logical_and(pred, target).sum()) / total


def iou_score(pred: np.ndarray, target: np.ndarray) -> float:
    """Intersection over union of two bool masks ``[H, W]``."""
    pred, target = np.asarray(pred, bool), np.asarray(target, bool)
    if pred.shape != target.shape:
        raise ValueError(f"shape mismatch: prediction {pred.shape}, target {target.shape}")
    union = int(np.logical_or(pred, target).sum())
    if union == 0:
        return 1.0
    return int(np.logical_and(pred, target).sum()) / union


def named_side(text: str) -> str | None:
    """The patient side named by ``text`` when it names exactly one, else None."""
    sides = {r.side for r in parse_locations(text)}
    return sides.pop() if len(sides) == 1 else None


def other_side_fraction(pred: np.ndarray, side: str, convention: str = "radiological",
                        midline: float | None = None) -> float:
    """Share of the predicted pixels on the image half that does NOT show ``side``.

    The halves split at the image's centre, or, with ``midline`` (a fraction of the width),
    at that column: where a derived referring case's mask was cut (``ssa.data.referring``).
    """
    pred = np.asarray(pred, bool)
    total = int(pred.sum())
    if total == 0:
        return 0.0
    shown_on = image_half(side, convention)
    if midline is not None:
        c = int(round(midline * pred.shape[1]))  # the column restrict_mask cuts at
        other = slice(c, None) if shown_on == "left" else slice(0, c)
    else:  # odd widths: the centre column counts for neither side (ssa.laterality)
        other = mirror_safe_columns(other_side(shown_on), pred.shape[1])
    return int(pred[:, other].sum()) / total


def wrong_side(pred: np.ndarray, text: str, convention: str = "radiological",
               midline: float | None = None) -> bool | None:
    """True when a one-side text's prediction puts >= 10% of its pixels on the other side
    (of the image centre, or of ``midline``)."""
    side = named_side(text)
    if side is None:
        return None
    return other_side_fraction(pred, side, convention, midline) >= WRONG_SIDE_THRESHOLD


def case_metrics(pred: np.ndarray, target: np.ndarray, text: str, convention: str = "radiological",
                 midline: float | None = None) -> dict:
    """Dice, IoU and wrong_side of one case; for a derived referring case (``midline`` set)
    also ``wrong_side_at_midline``: the same rule at the column its mask was cut."""
    out = {
        "dice": dice_score(pred, target),
        "iou": iou_score(pred, target),
        "wrong_side": wrong_side(pred, text, convention),
    }
    if midline is not None:
        out["wrong_side_at_midline"] = wrong_side(pred, text, convention, midline)
    return out


def aggregate(cases: Iterable[dict]) -> dict:
    """Dataset-level means: dice, iou (over all cases), wrong_side_rate (over the cases whose
    text names exactly one side; NaN when there are none), n, n_one_side."""
    cases = list(cases)
    one_side = [c["wrong_side"] for c in cases if c.get("wrong_side") is not None]
    out = {
        "dice": float(np.mean([c["dice"] for c in cases])) if cases else float("nan"),
        "iou": float(np.mean([c["iou"] for c in cases])) if cases else float("nan"),
        "wrong_side_rate": float(np.mean(one_side)) if one_side else float("nan"),
        "n": len(cases),
        "n_one_side": len(one_side),
    }
    truth = [c["truth_wrong_side"] for c in cases if c.get("truth_wrong_side") is not None]
    if truth:  # the ground truth's own rate under the same rule (see ssa.evaluate)
        out["truth_wrong_side_rate"] = float(np.mean(truth))
    at_midline = [c["wrong_side_at_midline"] for c in cases if c.get("wrong_side_at_midline") is not None]
    if at_midline:  # derived referring cases: the side rule at the column the mask was cut
        out["wrong_side_rate_at_midline"] = float(np.mean(at_midline))
        out["n_at_midline"] = len(at_midline)
    return out
