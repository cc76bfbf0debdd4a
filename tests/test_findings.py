"""ssa.findings: lesion area per lung side and zone, on the guidance grid (pure numpy)."""

import json

import numpy as np
import pytest

from ssa.findings import (
    WHOLE,
    dominant_side,
    findings_summary,
    lesion_findings,
    side_fractions,
    zone_boxes,
    zone_rows,
)
from ssa.spatial import Region, parse_locations


def _by_key(findings):
    return {(f.side, f.zone): f for f in findings}


@pytest.mark.parametrize("height", [1, 7, 64, 100, 513])
def test_zone_rows_tile_the_band(height):
    rows = zone_rows(height, (0.1, 0.9))
    covered = np.zeros(height, int)
    for r in rows.values():
        covered[r] += 1
    assert covered.max() <= 1  # no row in two zones
    assert rows["upper"].stop == rows["middle"].start and rows["middle"].stop == rows["lower"].start
    assert rows["upper"].start == round(0.1 * height) and rows["lower"].stop == round(0.9 * height)


def test_zone_boxes_radiological_left_is_image_right():
    boxes = zone_boxes((90, 101), "xray", "radiological")
    assert list(boxes)[:3] == [("right", "upper"), ("right", "middle"), ("right", "lower")]
    rows, cols = boxes[("left", "lower")]
    assert cols == slice(51, 101) and rows == zone_rows(90)["lower"]
    assert boxes[("right", "upper")][1] == slice(0, 51)
    viewer = zone_boxes((90, 100), "xray", "viewer")
    assert viewer[("left", "upper")][1] == slice(0, 50)


def test_zone_boxes_ct_has_one_region_per_side():
    boxes = zone_boxes((40, 60), "ct")
    assert set(boxes) == {("right", WHOLE), ("left", WHOLE)}
    assert boxes[("left", WHOLE)] == (slice(0, 40), slice(30, 60))


def test_lesion_in_left_lower_zone():
    mask = np.zeros((100, 100), bool)
    rows = zone_rows(100)["lower"]
    mask[rows.start : rows.start + 10, 60:80] = True  # image right = patient's left
    found = _by_key(lesion_findings(mask, regions=parse_locations("lower left lung")))
    lower = found[("left", "lower")]
    assert lower.lesion_pixels == 200 and lower.named
    assert lower.percent_of_zone == pytest.approx(100 * 200 / lower.zone_pixels)
    assert found[("left", WHOLE)].lesion_pixels == 200 and found[("left", WHOLE)].named
    assert found[("right", WHOLE)].lesion_pixels == 0 and not found[("right", "lower")].named
    assert sum(f.zone_pixels for f in found.values() if f.zone != WHOLE) == 100 * (rows.stop - 10)


def test_ct_findings_are_per_side_only():
    mask = np.zeros((50, 50), bool)
    mask[5:45, 2:10] = True  # image left = patient's right (radiological)
    found = lesion_findings(mask, modality="ct", regions=[Region("right", {"lower"})])
    assert [(f.side, f.zone) for f in found] == [("right", WHOLE), ("left", WHOLE)]
    assert found[0].lesion_pixels == 320 and found[0].named and found[1].lesion_pixels == 0


def test_side_fractions_and_dominant_side():
    mask = np.zeros((10, 10), bool)
    assert side_fractions(mask) == {"left": 0.0, "right": 0.0} and dominant_side(mask) == "none"
    mask[:, 7:] = True
    assert side_fractions(mask)["left"] == 1.0 and dominant_side(mask) == "left"
    assert dominant_side(mask, "viewer") == "right"
    mask[0, 0] = True
    assert dominant_side(mask, share=0.99) == "both"


def test_summary_is_json_ready():
    mask = np.zeros((64, 48), bool)
    mask[30:40, 30:40] = True
    summary = findings_summary(mask, regions=parse_locations("left mid lung"))
    text = json.dumps(summary)
    assert summary["image_size"] == [64, 48] and summary["dominant_side"] == "left"
    assert summary["lesion_pixels"] == 100 and "percent_of_lesion" in text
    shares = [z["percent_of_lesion"] for z in summary["zones"] if z["zone"] == WHOLE]
    assert sum(shares) == pytest.approx(100.0)


def test_empty_mask_gives_zeros_not_nans():
    summary = findings_summary(np.zeros((20, 20), bool))
    assert all(z["percent_of_zone"] == 0 and z["percent_of_lesion"] == 0 for z in summary["zones"])


@pytest.mark.parametrize(
    "call",
    [
        lambda: lesion_findings(np.zeros((4, 4, 3), bool)),
        lambda: zone_rows(10, (0.9, 0.1)),
        lambda: zone_boxes((0, 10)),
        lambda: zone_boxes((10, 10), modality="mri"),
        lambda: side_fractions(np.zeros(5, bool)),
    ],
)
def test_bad_arguments_raise_value_error(call):
    with pytest.raises(ValueError):
        call()
