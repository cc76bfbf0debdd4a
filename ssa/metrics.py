"""Evaluation metrics as pure numpy functions.

NaN rules: Dice and IoU of an empty prediction against an empty target are 1.0 (nothing
to find, nothing found). wrong_side is None for a text that does not name exactly one
side, and False for an empty prediction (it puts nothing on the other side).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from ssa.laterality import image_half, mirror_safe_columns, other_side
from ssa.spatial import parse_locations

WRONG_SIDE_THRESHOLD = 0.10  # share of the predicted pixels on the unnamed side
CLEAN_SHARE = 0.005  # a negative case is "clean" when less than this share of the image is painted where its text looks


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


def painted_where_named(pred: np.ndarray, text: str, convention: str = "radiological") -> float:
    """Share of the image ``[H, W]`` painted on the image halves of the sides ``text`` names
    (the whole image when it names none)."""
    pred = np.asarray(pred, bool)
    sides = {r.side for r in parse_locations(text)}
    if len(sides) != 1:
        return float(pred.mean())
    side = sides.pop()
    columns = mirror_safe_columns(image_half(side, convention), pred.shape[1])
    return float(pred[:, columns].sum() / pred.size)


def case_metrics(pred: np.ndarray, target: np.ndarray, text: str, convention: str = "radiological",
                 midline: float | None = None) -> dict:
    """Dice, IoU and wrong_side of one case, and the pixel counts pooled Dice sums
    (``intersection``, ``pred_pixels``, ``target_pixels``); for a derived referring case
    (``midline`` set) also ``wrong_side_at_midline``: the same rule at the column its mask was
    cut. A negative case (empty ``target``) also gets ``painted`` (share of the image painted
    where its text looks, :func:`painted_where_named`) and ``clean`` (painted < 0.5%)."""
    pred, target = np.asarray(pred, bool), np.asarray(target, bool)
    out = {
        "dice": dice_score(pred, target),
        "iou": iou_score(pred, target),
        "wrong_side": wrong_side(pred, text, convention),
        "intersection": int(np.logical_and(pred, target).sum()),
        "pred_pixels": int(pred.sum()),
        "target_pixels": int(target.sum()),
    }
    if midline is not None:
        out["wrong_side_at_midline"] = wrong_side(pred, text, convention, midline)
    if not target.any():
        out["painted"] = painted_where_named(pred, text, convention)
        out["clean"] = out["painted"] < CLEAN_SHARE
    return out


def threshold_swept_dice(probs: np.ndarray, target: np.ndarray, steps: int = 256) -> float:
    """Inf-Net's Dice (its ``EvaluationTool``: ``main.m`` and ``Fmeasure_calu.m``): the probability
    map ``[H, W]`` min-max normalised, thresholded at 1, 254/255, ..., 0, Dice at each (0 when
    nothing of the target is found), averaged over the thresholds. Per image; its paper's
    "Dice" is the mean of this over the test images."""
    p = np.asarray(probs, np.float64).ravel()
    t = np.asarray(target, bool).ravel()
    lo, hi = p.min(), p.max()
    p = (p - lo) / (hi - lo) if hi > lo else np.zeros_like(p)
    thresholds = np.linspace(1.0, 0.0, steps)
    predicted = len(p) - np.searchsorted(np.sort(p), thresholds, side="left")  # pixels >= threshold
    found = t.sum() - np.searchsorted(np.sort(p[t]), thresholds, side="left")
    dice = np.where(found == 0, 0.0, 2.0 * found / np.maximum(t.sum() + predicted, 1))
    return float(dice.mean())


def roc_auc(scores: Sequence[float], labels: Sequence[bool]) -> float:
    """Area under the ROC curve (ties count half); NaN without both classes."""
    s, y = np.asarray(scores, np.float64), np.asarray(labels, bool)
    pos, neg = s[y], s[~y]
    if not len(pos) or not len(neg):
        return float("nan")
    greater = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(greater / (len(pos) * len(neg)))


def pooled_dice(cases: Sequence[dict]) -> float:
    """Dice over all pixels of all cases at once (torchmetrics' micro Dice, as GuideDecoder,
    MMI-UNet, SGSeg and DD-CMD report): 2 * sum(intersection) / sum(pred + target)."""
    total = sum(c["pred_pixels"] + c["target_pixels"] for c in cases)
    return 2.0 * sum(c["intersection"] for c in cases) / total if total else 1.0


def aggregate(cases: Iterable[dict]) -> dict:
    """Dataset-level figures: dice, iou (per-image means over all cases), pooled_dice (Dice
    over all pixels, when the cases carry pixel counts), wrong_side_rate (over the cases whose
    text names exactly one side; NaN when there are none), n, n_one_side; with positive and
    negative (empty-target) cases also dice_positive, clean_rate and painted_median over the
    negatives, and presence_auc / rule_auc where the cases carry those scores."""
    cases = list(cases)
    one_side = [c["wrong_side"] for c in cases if c.get("wrong_side") is not None]
    out = {
        "dice": float(np.mean([c["dice"] for c in cases])) if cases else float("nan"),
        "iou": float(np.mean([c["iou"] for c in cases])) if cases else float("nan"),
        "wrong_side_rate": float(np.mean(one_side)) if one_side else float("nan"),
        "n": len(cases),
        "n_one_side": len(one_side),
    }
    if cases and all("pred_pixels" in c for c in cases):
        positives = [c for c in cases if c["target_pixels"] > 0]
        out["pooled_dice"] = pooled_dice(positives) if positives else float("nan")
        negatives = [c for c in cases if c["target_pixels"] == 0]
        out["n_positive"], out["n_negative"] = len(positives), len(negatives)
        if positives:
            out["dice_positive"] = float(np.mean([c["dice"] for c in positives]))
            swept = [c["dice_swept"] for c in positives if c.get("dice_swept") is not None]
            if swept:  # Inf-Net's metric (threshold_swept_dice)
                out["dice_swept"] = float(np.mean(swept))
        if negatives:
            out["clean_rate"] = float(np.mean([c["clean"] for c in negatives]))
            out["painted_median"] = float(np.median([c["painted"] for c in negatives]))
        for score in ("presence", "rule_score"):
            if all(c.get(score) is not None for c in cases):
                name = "presence_auc" if score == "presence" else "rule_auc"
                out[name] = roc_auc([c[score] for c in cases], [c["target_pixels"] > 0 for c in cases])
    if any(c.get("gated") for c in cases):
        out["gated_rate"] = float(np.mean([bool(c.get("gated")) for c in cases]))
    truth = [c["truth_wrong_side"] for c in cases if c.get("truth_wrong_side") is not None]
    if truth:  # the ground truth's own rate under the same rule (see ssa.evaluate)
        out["truth_wrong_side_rate"] = float(np.mean(truth))
    at_midline = [c["wrong_side_at_midline"] for c in cases if c.get("wrong_side_at_midline") is not None]
    if at_midline:  # derived referring cases: the side rule at the column the mask was cut
        out["wrong_side_rate_at_midline"] = float(np.mean(at_midline))
        out["n_at_midline"] = len(at_midline)
    return out
