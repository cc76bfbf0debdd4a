"""augment(): every augmented sample still says where its lesion is."""

from __future__ import annotations

import numpy as np

from ssa.data.augment import AugmentConfig, augment
from ssa.laterality import SIDES, half_columns, image_half
from ssa.metrics import named_side

TEXTS = {
    "left": "Unilateral pulmonary infection, one infected area, lower left lung.",
    "right": "Unilateral pulmonary infection, one infected area, upper right lung.",
}


def sample(side: str, size: int = 64) -> tuple[np.ndarray, np.ndarray, str]:
    """A bright lesion on the image half that shows the patient's ``side`` (radiological)."""
    mask = np.zeros((size, size), bool)
    cols = half_columns(image_half(side, "radiological"), size)
    mask[size // 3 : 2 * size // 3, cols][:, 6:-6] = True
    image = np.where(mask, 0.9, 0.2).astype(np.float32)
    return image, mask, TEXTS[side]


def heavier_half(mask: np.ndarray) -> str:
    left, right = (int(mask[:, half_columns(h, mask.shape[1])].sum()) for h in SIDES)
    return "left" if left > right else "right"


def test_text_mask_and_image_stay_consistent_through_augment() -> None:
    rng = np.random.default_rng(0)
    flipped = 0
    for i in range(60):
        side = SIDES[i % 2]
        image, mask, text = sample(side)
        image2, mask2, text2 = augment(image, mask, text, rng)
        new_side = named_side(text2)
        flipped += new_side != side
        # The side the new text names is the half the new mask is on.
        assert heavier_half(mask2) == image_half(new_side, "radiological"), (text2, i)
        # Image and mask moved together: the lesion is still the bright part.
        assert image2[mask2].mean() > image2[~mask2].mean() + 0.3
        assert image2.dtype == np.float32 and mask2.dtype == bool and image2.shape == mask2.shape
    assert 15 < flipped < 45  # flips happen about half the time (p = 0.5)


def test_no_flip_keeps_the_text() -> None:
    rng = np.random.default_rng(1)
    image, mask, text = sample("left")
    for _ in range(10):
        _, mask2, text2 = augment(image, mask, text, rng, AugmentConfig(flip=0.0))
        assert text2 == text and heavier_half(mask2) == heavier_half(mask)
