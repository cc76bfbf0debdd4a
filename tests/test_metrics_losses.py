"""Metrics and losses: values on hand-made cases, NaN rules, wrong_side_rate as defined."""

import math

import numpy as np
import pytest
import torch

from ssa.losses import dice_loss, dilate, outside_loss, plan_loss
from ssa.metrics import (
    aggregate,
    case_metrics,
    dice_score,
    iou_score,
    other_side_fraction,
    wrong_side,
)


def test_dice_and_iou_values():
    a = np.zeros((4, 4), bool)
    b = np.zeros((4, 4), bool)
    a[:2] = True  # 8 px
    b[1:3] = True  # 8 px, 4 shared
    assert dice_score(a, b) == pytest.approx(0.5)
    assert iou_score(a, b) == pytest.approx(4 / 12)
    assert dice_score(a, a) == 1.0


def test_empty_rules():
    empty = np.zeros((3, 3), bool)
    assert dice_score(empty, empty) == 1.0 and iou_score(empty, empty) == 1.0
    full = np.ones((3, 3), bool)
    assert dice_score(empty, full) == 0.0
    with pytest.raises(ValueError, match="shape"):
        dice_score(empty, np.zeros((2, 2), bool))


def test_wrong_side_radiological_and_viewer():
    pred = np.zeros((10, 10), bool)
    pred[:, 7:] = True  # image right
    # Radiological: image right shows the patient's LEFT.
    assert wrong_side(pred, "lower left lung") is False
    assert wrong_side(pred, "lower right lung") is True
    assert wrong_side(pred, "lower left lung", convention="viewer") is True
    assert wrong_side(pred, "upper left lung and lower right lung") is None  # two sides
    assert wrong_side(np.zeros((10, 10), bool), "left lung") is False  # nothing predicted
    # The 10% threshold.
    pred2 = np.zeros((10, 10), bool)
    pred2[:, 5:] = True
    pred2[0, 0] = True  # 1 of 51 px on the other side: < 10%
    assert other_side_fraction(pred2, "left") == pytest.approx(1 / 51)
    assert wrong_side(pred2, "left lung") is False


def test_wrong_side_at_a_midline():
    """A derived referring case is cut at the patient's midline, not the image centre: a mask
    right of the centre but left of that midline is on the image-left side of it."""
    pred = np.zeros((10, 20), bool)
    pred[:, 10:13] = True  # image columns 10-12: right of the centre (10)
    # Radiological "right lung" = image left: at the centre this is all wrong side ...
    assert other_side_fraction(pred, "right") == 1.0
    # ... at a midline at column 13 (0.65 of the width) it is all on the named side.
    assert other_side_fraction(pred, "right", midline=0.65) == 0.0
    assert wrong_side(pred, "lower right lung", midline=0.65) is False
    assert wrong_side(pred, "lower left lung", midline=0.65) is True
    # The column is the one restrict_mask cuts at.
    from ssa.data.referring import restrict_mask

    full = np.ones((4, 20), bool)
    kept = restrict_mask(full, "left", 0.65)
    assert other_side_fraction(kept, "right", midline=0.65) == 0.0
    assert other_side_fraction(restrict_mask(full, "right", 0.65), "left", midline=0.65) == 0.0
    m = case_metrics(pred, pred, "lower right lung", midline=0.65)
    assert m["wrong_side"] is True and m["wrong_side_at_midline"] is False
    agg = aggregate([m, case_metrics(pred, pred, "lower right lung")])
    assert agg["wrong_side_rate"] == 1.0 and agg["wrong_side_rate_at_midline"] == 0.0 and agg["n_at_midline"] == 1


def test_aggregate():
    rows = [
        case_metrics(np.ones((2, 2), bool), np.ones((2, 2), bool), "left lung"),
        case_metrics(np.zeros((2, 2), bool), np.ones((2, 2), bool), "both lungs"),
    ]
    agg = aggregate(rows)
    assert agg["dice"] == pytest.approx(0.5) and agg["n"] == 2 and agg["n_one_side"] == 1
    assert math.isnan(aggregate([])["dice"])
    assert "truth_wrong_side_rate" not in agg  # only when the rows carry the ground truth's flag
    rows[0]["truth_wrong_side"], rows[1]["truth_wrong_side"] = True, None
    rows.append({**rows[0], "truth_wrong_side": False})
    assert aggregate(rows)["truth_wrong_side_rate"] == pytest.approx(0.5)


def test_dice_loss_and_outside_loss():
    target = torch.zeros(1, 1, 8, 8)
    target[..., :4, :] = 1
    good = (target * 20 - 10)
    assert dice_loss(good, target) < 0.01
    assert dice_loss(-good, target) > 0.9
    region = torch.zeros(1, 1, 8, 8)
    region[..., :4, :] = 1
    assert outside_loss(good, region) < 0.01
    assert outside_loss(-good, region) > 0.8
    assert outside_loss(good, torch.ones_like(region)) == 0  # no location: no penalty
    assert dilate(region, 1)[0, 0, 4].sum() == 8  # one more row


def test_dilate_equals_a_square_max_pool():
    torch.manual_seed(0)
    mask = (torch.rand(2, 1, 37, 29) > 0.97).float()
    for radius in (1, 4, 13):
        square = torch.nn.functional.max_pool2d(mask, 2 * radius + 1, stride=1, padding=radius)
        assert torch.equal(dilate(mask, radius), square)


def test_plan_loss_prefers_the_right_plan():
    # 4 pixels, 1 expression + background; pixels 0-1 are lesion.
    target = torch.tensor([[[[1.0, 1.0], [0.0, 0.0]]]])
    guidance = torch.ones(1, 1, 2, 2)
    mask = torch.tensor([[True]])
    good = torch.tensor([[[0.25, 0.0], [0.25, 0.0], [0.0, 0.25], [0.0, 0.25]]])
    bad = good.flip(-1)
    assert plan_loss(good, (2, 2), target, guidance, mask) < plan_loss(bad, (2, 2), target, guidance, mask)


def test_pooled_dice_sums_pixels_over_cases_while_per_image_dice_averages():
    from ssa.metrics import aggregate, case_metrics

    small_miss = np.zeros((10, 10), bool)
    small_miss[0, 0] = True  # a 1-pixel lesion, missed
    big_hit = np.zeros((10, 10), bool)
    big_hit[2:8, 2:8] = True  # a 36-pixel lesion, found
    rows = [case_metrics(np.zeros((10, 10), bool), small_miss, "x"), case_metrics(big_hit, big_hit, "x")]
    out = aggregate(rows)
    assert out["dice"] == pytest.approx(0.5)  # (0 + 1) / 2: LViT's per-image mean
    assert out["pooled_dice"] == pytest.approx(2 * 36 / (36 + 37))  # torchmetrics' micro Dice
    assert out["n_positive"] == 2 and out["n_negative"] == 0


def test_negative_cases_count_as_clean_when_nothing_is_painted_where_the_text_looks():
    from ssa.metrics import CLEAN_SHARE, aggregate, case_metrics

    empty = np.zeros((100, 100), bool)
    stray = np.zeros((100, 100), bool)
    stray[50:60, 10:20] = True  # 1% of the image, on the image's left = the patient's right
    clean = case_metrics(stray, empty, "lower left lung")  # the text looks at the image's right half
    painted = case_metrics(stray, empty, "lower right lung")
    assert clean["clean"] and clean["painted"] == 0.0
    assert not painted["clean"] and painted["painted"] == pytest.approx(0.01) and 0.01 > CLEAN_SHARE
    out = aggregate([clean, painted])
    assert out["clean_rate"] == 0.5 and out["n_negative"] == 2


def test_roc_auc():
    from ssa.metrics import roc_auc

    assert roc_auc([0.9, 0.8, 0.1, 0.2], [True, True, False, False]) == 1.0
    assert roc_auc([0.1, 0.9], [True, False]) == 0.0
    assert roc_auc([0.5, 0.5], [True, False]) == 0.5
    assert np.isnan(roc_auc([0.5], [True]))


def test_threshold_swept_dice_follows_infnets_evaluation_tool():
    from ssa.metrics import threshold_swept_dice

    target = np.zeros((8, 8), bool)
    target[2:6, 2:6] = True
    perfect = target.astype(float)  # normalised 0/1: Dice 1 at every threshold above 0
    assert threshold_swept_dice(perfect, target) == pytest.approx(255 / 256 + (2 * 16 / (16 + 64)) / 256)
    # A brute-force loop over Inf-Net's thresholds (1:-1/255:0) on a random map.
    rng = np.random.default_rng(0)
    probs = rng.random((8, 8)) * 0.6 + 0.2
    norm = (probs - probs.min()) / (probs.max() - probs.min())
    want = []
    for th in np.linspace(1, 0, 256):
        pred = norm >= th
        tp = (pred & target).sum()
        want.append(0.0 if tp == 0 else 2 * tp / (target.sum() + pred.sum()))
    assert threshold_swept_dice(probs, target) == pytest.approx(np.mean(want))
