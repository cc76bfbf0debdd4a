"""ssa.laterality: the one module that says which image columns show which side."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

from ssa.laterality import (
    CONVENTIONS,
    SIDES,
    half_columns,
    image_half,
    mirror_safe_columns,
    other_side,
    side_columns,
)
from ssa.metrics import other_side_fraction

ROOT = Path(__file__).resolve().parents[1]
WIDTHS = (1, 2, 7, 8, 224, 225)


def column_set(cols: slice, width: int) -> np.ndarray:
    out = np.zeros(width, bool)
    out[cols] = True
    return out


def test_image_half_per_convention() -> None:
    assert image_half("left", "radiological") == "right" and image_half("right", "radiological") == "left"
    assert image_half("left", "viewer") == "left" and image_half("right", "viewer") == "right"
    with pytest.raises(ValueError, match="convention"):
        image_half("left", "neurological")
    with pytest.raises(ValueError, match="side"):
        image_half("middle", "viewer")
    assert other_side("left") == "right" and other_side("right") == "left"


@pytest.mark.parametrize("width", WIDTHS)
def test_halves_partition_the_width_and_mirror_at_even_widths(width: int) -> None:
    left, right = (column_set(half_columns(h, width), width) for h in SIDES)
    assert np.all(left ^ right)  # every column in exactly one half
    assert left.sum() == (width + 1) // 2  # odd width: the centre column is image-left
    if width % 2 == 0:
        np.testing.assert_array_equal(left[::-1], right)


@pytest.mark.parametrize("width", WIDTHS)
def test_mirror_safe_columns_land_in_the_other_half_when_flipped(width: int) -> None:
    for half in SIDES:
        safe = column_set(mirror_safe_columns(half, width), width)
        assert not np.any(safe & ~column_set(half_columns(half, width), width))  # a subset of the half
        flipped = safe[::-1]
        assert not np.any(flipped & ~column_set(half_columns(other_side(half), width), width))
        assert safe.sum() == width // 2  # only the centre column of an odd width is left out


@pytest.mark.parametrize("convention", CONVENTIONS)
def test_side_columns_follow_image_half(convention: str) -> None:
    for side in SIDES:
        assert side_columns(side, 10, convention) == half_columns(image_half(side, convention), 10)


def test_other_side_fraction_leaves_the_centre_column_out() -> None:
    pred = np.zeros((4, 5), bool)
    pred[:, 2] = True  # only the centre column of an odd width
    for side in SIDES:
        assert other_side_fraction(pred, side) == 0.0


def test_the_vocabulary_is_defined_once() -> None:
    """SIDES, CONVENTIONS and MODALITIES are assigned only in ssa/laterality.py."""
    names = {"SIDES", "CONVENTIONS", "MODALITIES"}
    found = []
    for file in sorted((ROOT / "ssa").rglob("*.py")):
        if file.name == "laterality.py":
            continue
        for node in ast.parse(file.read_text()).body:
            targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
            found += [f"{file.relative_to(ROOT)}:{node.lineno} {t.id}" for t in targets
                      if isinstance(t, ast.Name) and t.id in names]
    assert not found, "defined outside ssa.laterality: " + ", ".join(found)
