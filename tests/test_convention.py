"""A model built for the viewer convention uses it everywhere: guidance, checkpoint, predictor.

Every other test builds radiological models, so a "radiological" hard-coded anywhere on the
way from the config to the mask would pass them; these tests would not.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ssa
from ssa.laterality import SIDES, half_columns, image_half

TEXT = "Unilateral pulmonary infection, one infected area, lower left lung."


def heavier_half(mask: np.ndarray) -> str:
    """The image half ("left" | "right") holding more of ``mask [H, W]``."""
    left, right = (float(mask[:, half_columns(h, mask.shape[1])].sum()) for h in SIDES)
    assert left != right
    return "left" if left > right else "right"


@pytest.fixture(scope="module", params=["radiological", "viewer"])
def model(request):
    torch.manual_seed(0)
    return ssa.create_model("tiny", convention=request.param).eval()


def test_the_model_guidance_follows_its_convention(model) -> None:
    with torch.no_grad():
        prompt = model.encode_prompts([TEXT])
    expected = image_half("left", model.config.convention)  # viewer: image left; radiological: right
    assert heavier_half(prompt.guidance[0, 0].numpy()) == expected
    assert heavier_half(prompt.region_guidance[0, -1].numpy()) == expected  # the locational expression


def test_the_checkpoint_keeps_the_convention(model, tmp_path) -> None:
    model.save_pretrained(tmp_path)
    loaded = ssa.load_model(tmp_path)
    assert loaded.config.convention == model.config.convention
    with torch.no_grad():
        a, b = model.encode_prompts([TEXT]).guidance, loaded.encode_prompts([TEXT]).guidance
    torch.testing.assert_close(a, b)


def test_the_predictor_guidance_follows_the_convention(model) -> None:
    predictor = ssa.SSAPredictor(model)
    image = np.random.default_rng(0).random((80, 100)).astype(np.float32)
    predictor.set_image(image)
    result = predictor.predict(TEXT)
    assert result.guidance.shape == (80, 100)
    assert heavier_half(result.guidance) == image_half("left", model.config.convention)
