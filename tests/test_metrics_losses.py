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
