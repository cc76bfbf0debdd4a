"""The presence decision: the head's logit, its loss, the predictor's gate and what the demo says.

A tiny model is rigged so that its mask paints everything (decoder bias +8) while its presence
head says "absent" (bias -8) or "present" (+8): the gate alone decides whether the mask is empty.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

import ssa
from ssa.losses import presence_loss, ssa_loss
from ssa.presence import rule_score
from ssa.verdict import judge

TEXT = "Unilateral pulmonary infection, one infected area, lower left lung."


def rigged_model(presence_bias: float, mask_bias: float = 8.0) -> ssa.SSA:
    torch.manual_seed(0)
    model = ssa.create_model("tiny", presence_head=True).eval()
    with torch.no_grad():
        last = model.presence.mlp[-1]
        last.weight.zero_()
        last.bias.fill_(presence_bias)
        model.decoder.head.weight.zero_()
        model.decoder.head.bias.fill_(mask_bias)
    return model


def _image(seed: int = 0) -> np.ndarray:
    return (np.random.default_rng(seed).random((64, 64)) * 255).astype(np.uint8)


def test_head_gives_one_logit_per_prompt_and_learns_from_empty_targets():
    model = ssa.create_model("tiny", presence_head=True)
    out = model(torch.rand(3, 1, 64, 64), [TEXT, "Is there any infection?", ""])
    assert out.presence.shape == (3,)
    target = torch.zeros(3, 1, 64, 64)
    target[0, :, 40:50, 40:50] = 1  # only the first case has a lesion
    terms = ssa_loss(out, target, model.config)
    assert "presence" in terms and terms["presence"] > 0
    terms["loss"].backward()
    assert model.presence.mlp[0].weight.grad.abs().sum() > 0
    # The label is "the target is not empty".
    sure = torch.tensor([20.0, -20.0, -20.0])
    assert presence_loss(sure, target) < 1e-6 and presence_loss(-sure, target) > 10


def test_checkpoints_without_a_head_still_load_and_score_by_rule(tmp_path):
    old = ssa.create_model("tiny").eval()
    assert old.presence is None and not old.config.presence_head
    old.save_pretrained(tmp_path)
    pred = ssa.SSAPredictor(ssa.load_model(tmp_path))
    pred.set_image(_image())
    res = pred.predict(TEXT)
    assert res.present and res.score_source == "mask probabilities" and 0.0 <= res.score <= 1.0
    probs = torch.full((1, 1, 8, 8), 0.3)
    assert rule_score(probs, torch.ones(1, 1, 2, 2)).item() == pytest.approx(0.3)


def test_below_the_threshold_the_mask_is_empty_and_the_prediction_says_so():
    pred = ssa.SSAPredictor(rigged_model(presence_bias=-8.0))
    pred.set_image(_image())
    res = pred.predict(TEXT)
    assert res.probs.min() > 0.9, "the rigged mask paints everything; only the gate can empty it"
    assert not res.present and res.score < 0.01 and res.score_source == "presence head"
    assert not res.mask.any()
    verdict = judge(res.mask, res.regions, res.score, res.present)
    assert verdict.headline.startswith("No lesion found where the text says")
    assert "(score 0.00)" in verdict.headline and not verdict.found


def test_above_the_threshold_the_mask_is_kept():
    pred = ssa.SSAPredictor(rigged_model(presence_bias=8.0))
    pred.set_image(_image())
    res = pred.predict(TEXT)
    assert res.present and res.score > 0.99 and res.mask.all()


def test_threshold_travels_in_the_checkpoint(tmp_path):
    model = rigged_model(presence_bias=0.0)  # score 0.5
    model.config.presence_threshold = 0.6
    model.save_pretrained(tmp_path)
    assert json.loads((tmp_path / "config.json").read_text())["presence_threshold"] == 0.6
    pred = ssa.SSAPredictor(ssa.load_model(tmp_path))
    pred.set_image(_image())
    assert not pred.predict(TEXT).present


def test_evaluation_applies_the_gate_and_reports_both_scores(tmp_path):
    from ssa.data.dataset import SegmentationDataset
    from ssa.evaluate import evaluate_model

    class Two:
        def __len__(self):
            return 2

        def __getitem__(self, i):
            from ssa.data.dataset import Case

            mask = np.zeros((64, 64), bool)
            if i == 0:
                mask[40:50, 40:50] = True
            return Case(_image(i).astype(np.float32) / 255, mask, TEXT, "xray", f"case{i}")

    gated, rows = evaluate_model(rigged_model(-8.0), SegmentationDataset(Two(), 64), progress=False)
    assert all(r["gated"] and r["pred_pixels"] == 0 for r in rows)
    assert gated["clean_rate"] == 1.0 and gated["dice_positive"] == 0.0
    kept, rows = evaluate_model(rigged_model(-8.0), SegmentationDataset(Two(), 64), progress=False, gate=False)
    assert not any(r["gated"] for r in rows) and kept["clean_rate"] == 0.0
    assert {"presence_auc", "rule_auc", "pooled_dice"} <= set(kept)


# -- the demo says what it found, through the API ------------------------------------------------------


@pytest.fixture(scope="module")
def absent_server(tmp_path_factory, folders):
    from tests.demo_server import running_demo

    ckpt = tmp_path_factory.mktemp("absent") / "ssa-absent"
    rigged_model(presence_bias=-8.0).save_pretrained(ckpt)
    with running_demo(ckpt) as (demo, url):
        yield url


def _upload(tmp_path: Path) -> str:
    import cv2
    from gradio_client import handle_file

    path = tmp_path / "probe.png"
    cv2.imwrite(str(path), _image(3))
    return handle_file(str(path))


def test_segment_endpoint_says_no_lesion_found(absent_server, tmp_path):
    import cv2
    from gradio_client import Client

    client = Client(absent_server, verbose=False)
    mask_path, _overlay, findings = client.predict(_upload(tmp_path), TEXT, "xray", "lung", 0.5,
                                                   api_name="/segment")
    assert findings["presence"]["present"] is False and findings["presence"]["score"] < 0.005
    assert findings["verdict"][0].startswith("No lesion found where the text says (score 0.00)")
    assert findings["model_ms"] > 0
    assert not cv2.imread(mask_path, cv2.IMREAD_UNCHANGED).any()
    named = [z for z in findings["zones"] if z["named"]]
    assert named and all(z["lesion_pixels"] == 0 for z in named), "the zones the text names hold nothing"


def test_compare_endpoint_says_it_per_prompt(absent_server, tmp_path):
    import cv2
    from gradio_client import Client

    client = Client(absent_server, verbose=False)
    masks, _overlays, records = client.predict(_upload(tmp_path), "lower left lung", "lower right lung", "", "",
                                               "xray", "lung", 0.5, api_name="/compare")
    assert [r["presence"]["present"] for r in records] == [False, False]
    assert all(r["verdict"][0].startswith("No lesion found where the text says") for r in records)
    assert not any(cv2.imread(m, cv2.IMREAD_UNCHANGED).any() for m in masks)


def test_verdict_names_the_other_side():
    mask = np.zeros((64, 64), bool)
    mask[40:50, 8:20] = True  # image left = the patient's right (radiological)
    v = judge(mask, ssa.spatial.parse_locations("lower left lung"), 0.9)
    assert not v.agrees
    assert "The text names the left lower lung; the lesions found lie on the right." in v.notes
    assert ("left", "lower") in v.empty_named


def test_dice_term_counts_only_cases_with_a_lesion():
    """Soft Dice of an empty target punishes any faint mass; negatives are taught by BCE and the
    presence term instead, so adding them to a batch leaves the positives' Dice term as it was."""
    model = ssa.create_model("tiny", presence_head=True)
    out = model(torch.rand(2, 1, 64, 64), [TEXT, TEXT])
    positive = torch.zeros(1, 1, 64, 64)
    positive[0, :, 40:50, 40:50] = 1
    both = ssa_loss(out, torch.cat([positive, torch.zeros(1, 1, 64, 64)]), model.config)
    from ssa.losses import dice_loss

    assert both["dice"].item() == pytest.approx(dice_loss(out.logits[:1], positive).item())
    none = ssa_loss(out, torch.zeros(2, 1, 64, 64), model.config)
    assert none["dice"].item() == 0.0 and none["bce"].item() > 0
