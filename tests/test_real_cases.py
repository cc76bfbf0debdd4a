"""Real data made ready for a model: side conventions, derived referring cases, mixed training
sets, and training / evaluation on them (a tiny SGSeg-layout fixture; never the real data)."""

from __future__ import annotations

import csv
import itertools
import json
import shlex

import numpy as np
import pytest

from ssa.data.dataset import MixedSource, SampleSource
from ssa.data.masks import load_mask
from ssa.data.prepare import prepare_real_cases
from ssa.data.readers import read_qata
from ssa.data.referring import (
    TEMPLATES,
    derive_referring,
    find_midline,
    referring_text,
    restrict_mask,
)
from ssa.data.text_convention import apply_convention, decide_convention
from ssa.laterality import image_half
from ssa.spatial import ZONES, Region, parse_locations
from tests.sgseg_fixture import BOTH, make_sgseg


@pytest.fixture(scope="module")
def qata(tmp_path_factory):
    return make_sgseg(tmp_path_factory.mktemp("sgseg") / "QaTa")


# --------------------------------------------------------------------------- conventions


def test_auto_measures_viewer_captions_and_converts_them(qata):
    samples = read_qata(qata, "train")
    decision = decide_convention(samples, "auto", "radiological")
    assert decision.texts == "viewer" and decision.converted
    assert decision.agreement["viewer"] == 1.0 and decision.n_compared == 6
    converted = apply_convention(samples, decision)
    for before, after in zip(samples, converted):
        assert after.text.replace("right", "LEFT").replace("left", "right").replace("LEFT", "left") == before.text
    # After conversion a one-side text names the patient's side: its mask lies on the image
    # half the radiological convention puts that side on.
    for s in converted:
        regions = parse_locations(s.text)
        if len(regions) == 1:
            mask = load_mask(s.mask)
            half = image_half(regions[0].side, "radiological")
            cols = slice(0, 16) if half == "left" else slice(16, 32)
            assert mask[:, cols].sum() == mask.sum()


def test_auto_keeps_texts_already_in_the_models_convention(qata):
    samples = read_qata(qata, "train")
    decision = decide_convention(samples, "auto", "viewer")
    assert decision.texts == "viewer" and not decision.converted
    assert apply_convention(samples, decision) == samples


def test_a_stated_convention_is_used_without_measuring(qata):
    samples = read_qata(qata, "train")
    decision = decide_convention(samples, "radiological", "radiological")
    assert not decision.converted and decision.agreement is None
    assert "stated" in decision.describe()
    flipped = decide_convention(samples, "viewer", "radiological")
    assert flipped.converted


def test_no_evidence_assumes_the_models_convention(qata):
    samples = [s for s in read_qata(qata, "train") if s.text == BOTH]
    decision = decide_convention(samples, "auto", "radiological")
    assert not decision.converted and "no evidence" in decision.note


# --------------------------------------------------------------------------- referring cases


def test_referring_texts_parse_to_exactly_their_region():
    for side, n in itertools.product(("left", "right"), (1, 2, 3)):
        for zones in itertools.combinations(ZONES, n):
            region = Region(side, frozenset(zones))
            for t in range(len(TEMPLATES)):
                assert parse_locations(referring_text(region, t)) == [region], referring_text(region, t)


def test_midline_follows_the_gap_between_the_lungs_not_the_image_centre():
    mask = np.zeros((40, 100), bool)
    mask[10:30, 20:52] = True  # patient shifted right: one lung's lesion crosses the centre
    mask[10:30, 62:80] = True
    mid = find_midline(mask)
    assert 52 <= mid <= 62
    assert find_midline(np.zeros((8, 10), bool)) == 5
    kept = restrict_mask(mask, "left", mid / 100)
    assert kept.sum() == mask[:, :52].sum() and not kept[:, mid:].any()


def test_two_sided_cases_give_one_case_per_side_on_the_right_half(qata):
    cases = prepare_real_cases("qata", qata, "train", "mixed", "auto", "radiological")
    bilateral = [s for s in cases.report if len(parse_locations(s.text)) == 2]
    assert len(cases.referring) == 2 * len(bilateral) == 6
    source = SampleSource(cases.referring)
    for i, s in enumerate(cases.referring):
        (region,) = parse_locations(s.text)
        assert s.key.endswith("#" + region.side)
        mask = source[i].mask
        full = load_mask(s.mask)
        assert 0 < mask.sum() < full.sum()
        half = image_half(region.side, "radiological")
        cols = slice(0, 16) if half == "left" else slice(16, 32)
        assert mask[:, cols].sum() == mask.sum()  # nothing left on the other side


def test_report_mode_derives_nothing(qata):
    cases = prepare_real_cases("qata", qata, "test", "report", "auto", "radiological")
    assert cases.referring == [] and cases.for_mode("report") == cases.report


def test_a_side_without_lesion_gives_no_case(qata, tmp_path):
    samples = [s for s in read_qata(qata, "train") if s.text == BOTH][:1]
    empty = tmp_path / "mask_empty.png"
    import cv2

    cv2.imwrite(str(empty), np.where(np.arange(32) < 16, 255, 0).astype(np.uint8)[None].repeat(32, 0))
    import dataclasses

    one_sided = [dataclasses.replace(samples[0], mask=empty)]
    derived = derive_referring(one_sided, "viewer")
    assert [s.key.split("#")[1] for s in derived] == ["left"]


# --------------------------------------------------------------------------- mixing


def test_mixed_source_gives_each_part_its_share():
    a, b = list(range(10)), ["x", "y"]
    mixed = MixedSource([(a, 0.75), (b, 0.25)], 40)
    items = [mixed[i] for i in range(len(mixed))]
    assert len(items) == 40
    assert sum(isinstance(v, int) for v in items) == 30
    assert items.count("x") == items.count("y") == 5  # the small part cycles
    with pytest.raises(IndexError):
        mixed[40]


# --------------------------------------------------------------------------- train / evaluate


TINY = ["--preset", "tiny", "--batch-size", "2", "--warmup", "1", "--no-progress", "--log-every", "1",
        "--threads", "1", "--eval-every", "2"]


def test_training_on_sgseg_mixes_real_referring_and_synthetic_cases(qata, tmp_path):
    from ssa.training import main as train_main

    out = tmp_path / "run"
    train_main([*TINY, "--dataset", "qata", "--data-root", str(qata), "--mode", "mixed", "--referring-share", "0.3",
                "--synthetic-share", "0.2", "--modality", "ct", "--val-size", "0", "--steps", "2", "--out", str(out)])
    data = json.loads((out / "data.json").read_text())
    assert data["text_convention"]["texts"] == "viewer" and data["text_convention"]["converted"]
    assert data["train_cases"]["report"] == 9 and data["train_cases"]["referring"] == 6
    assert data["shares"] == pytest.approx({"report": 0.56, "referring": 0.24, "synthetic": 0.2, "negative": 0.0, "ct": 0.0})
    assert data["val_split"] == "val" and data["val_cases"]["report"] == 6 and data["val_cases"]["referring"] == 4
    assert data["epoch_length"] == round(9 / 0.56)
    rows = list(csv.DictReader(open(out / "log.csv")))
    assert rows[-1]["val_dice"] != ""


def test_init_starts_from_another_checkpoint_and_rejects_a_mismatch(qata, tmp_path):
    from safetensors.torch import load_file

    from ssa.checkpoint import CheckpointError
    from ssa.training import main as train_main

    first = tmp_path / "first"
    base = [*TINY, "--dataset", "qata", "--data-root", str(qata), "--mode", "report", "--val-size", "2"]
    train_main([*base, "--steps", "2", "--out", str(first)])
    second = tmp_path / "second"
    train_main([*base, "--steps", "1", "--lr", "0", "--out", str(second),
                "--init", str(first / "last")])
    a, b = load_file(str(first / "last" / "model.safetensors")), load_file(str(second / "last" / "model.safetensors"))
    for k in a:  # lr 0: the weights are exactly the ones --init loaded
        np.testing.assert_array_equal(a[k].numpy(), b[k].numpy(), err_msg=k)
    with pytest.raises(CheckpointError, match="shape"):
        train_main([*base, "--steps", "1", "--out", str(tmp_path / "third"), "--init", str(first / "last"),
                    "--set", "dim=48"])


def test_evaluate_real_referring_cases(qata, tmp_path, tiny_model):
    from ssa.evaluate import main as evaluate_main

    tiny_model.save_pretrained(tmp_path / "ckpt")
    out = tmp_path / "ref.json"
    assert evaluate_main(["--checkpoint", str(tmp_path / "ckpt"), "--dataset", "qata", "--data-root", str(qata),
                          "--split", "test", "--mode", "referring", "--n", "0", "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["n"] == 4 and result["n_one_side"] == 4  # 2 two-sided test cases x 2 sides
    assert result["mode"] == "referring" and result["text_convention"]["converted"]
    assert result["truth_wrong_side_rate"] == 0.0  # the fixture's lesions sit well inside their halves
    rows = list(csv.DictReader(open(out.with_name("ref_cases.csv"))))
    assert {r["key"].split("#")[1] for r in rows} == {"left", "right"}
    assert float(np.mean([float(r["dice"]) for r in rows])) == pytest.approx(result["dice"])
    # The side rule at the column each derived mask was cut: every case has it.
    assert result["n_at_midline"] == 4 and 0.0 <= result["wrong_side_rate_at_midline"] <= 1.0
    assert {r["wrong_side_at_midline"] for r in rows} <= {"0", "1"}


def test_the_gpu_recipe_parses(tmp_path):
    """The documented GPU command (docs/training.md) is accepted as it is written there."""
    from pathlib import Path

    from ssa.training import parse_args

    doc = (Path(__file__).resolve().parents[1] / "docs" / "training.md").read_text()
    block = doc.split("<!-- gpu-recipe -->")[1].split("```")[1]
    argv = shlex.split(block.split("train.py", 1)[1].replace("\\\n", " "))
    args = parse_args(argv)
    assert args.device == "cuda" and args.dataset == "qata" and args.text_convention == "auto"
    assert args.set == ["outside_region=sides", "lung_band=[0.05,0.8]"]
