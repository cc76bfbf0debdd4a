"""The shipped checkpoint's masks on the demo's examples, against the masks recorded for it.

A refactoring must not change what the demo shows: each example's mask (its own text, and
each of its Compare prompts) through the demo's analysis path is compared with
``tests/data/example_masks/``. Those are recorded from the checkpoint that ships; a new
checkpoint records them again: ``SSA_UPDATE_REFERENCE_MASKS=1 pytest tests/test_example_masks.py``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import cv2
import numpy as np
import pytest

import ssa
from ssa.analysis import Analyzer, prepare_image
from ssa.webui.content import load_examples

ROOT = Path(__file__).resolve().parents[1]
CHECKPOINT = ROOT / "checkpoints" / "ssa-demo"
REFERENCE = Path(__file__).resolve().parent / "data" / "example_masks"
UPDATE = os.environ.get("SSA_UPDATE_REFERENCE_MASKS") == "1"


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer(ssa.SSAPredictor(ssa.load_model(CHECKPOINT)))


def cases() -> list[tuple[str, dict, str]]:
    out = []
    for example in load_examples(ROOT / "examples"):
        prompts = dict.fromkeys([example["text"], *example["compare"]])
        out += [(f"{Path(example['key']).stem}-{i}", example, p) for i, p in enumerate(prompts)]
    return out


@pytest.mark.parametrize("name,example,prompt", cases(), ids=[c[0] for c in cases()])
def test_example_mask_is_unchanged(analyzer: Analyzer, name: str, example: dict, prompt: str) -> None:
    image = prepare_image(example["image"])
    result = analyzer.run(image, [prompt], example["modality"])[0]
    file = REFERENCE / f"{name}.png"
    if UPDATE:
        REFERENCE.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(file), result.mask.astype(np.uint8) * 255)
        (REFERENCE / f"{name}.txt").write_text(json.dumps({"image": example["key"], "prompt": prompt}) + "\n")
    recorded = cv2.imread(str(file), cv2.IMREAD_UNCHANGED)
    assert recorded is not None, f"{file} missing: record it with SSA_UPDATE_REFERENCE_MASKS=1"
    assert recorded.shape == result.mask.shape
    # Equal up to a handful of pixels on the mask's edge (float summation order may differ
    # between machines); a change of behaviour moves far more.
    differ = int(((recorded > 0) != result.mask).sum())
    assert differ <= max(3, result.mask.size // 5000), f"{differ} pixels differ from {file.name}"
