"""The shipped examples (``examples/examples.json``): files, sides, credits, and the script that
copies the real QaTa-COV19 X-rays in (``examples/add_qata_examples.py``), run on a fake data set.

Sides are the patient's, radiological convention: the patient's left is the image's RIGHT half.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from ssa.findings import side_fractions
from ssa.spatial import parse_locations
from tests.demo_server import EXAMPLES

ENTRIES = json.loads((EXAMPLES / "examples.json").read_text())
REAL = [e for e in ENTRIES if e["image"].startswith("qata_")]
OPPOSITE = {"left": "right", "right": "left"}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _mask(entry: dict) -> np.ndarray:
    """The entry's ground truth, bool [H, W]."""
    return cv2.imread(str(EXAMPLES / entry["mask"]), cv2.IMREAD_UNCHANGED) > 127


def _heavier_image_half(mask: np.ndarray) -> str:
    w = mask.shape[1]
    return "left" if mask[:, : w // 2].sum() > mask[:, (w + 1) // 2 :].sum() else "right"


def _named_sides(text: str) -> set[str]:
    return {r.side for r in parse_locations(text)}


def _load_script():
    path = EXAMPLES / "add_qata_examples.py"
    spec = importlib.util.spec_from_file_location("add_qata_examples", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["image"] for e in ENTRIES])
def test_entry_files_are_small_grayscale_pngs_with_a_mask_and_credit(entry):
    image, mask = EXAMPLES / entry["image"], EXAMPLES / entry["mask"]
    for path in (image, mask):
        assert path.read_bytes()[:8] == PNG_SIGNATURE and path.stat().st_size <= 60_000, path
    pixels = cv2.imread(str(image), cv2.IMREAD_UNCHANGED)
    gt = cv2.imread(str(mask), cv2.IMREAD_UNCHANGED)
    assert pixels.ndim == 2 and pixels.dtype == np.uint8 and gt.shape == pixels.shape
    assert set(np.unique(gt)) == {0, 255}  # binary, and not empty
    assert {"text", "modality", "title", "compare", "source", "credit"} <= set(entry)
    assert entry["source"].strip() and entry["credit"].strip()


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["image"] for e in ENTRIES])
def test_text_names_the_sides_its_mask_lies_on(entry):
    """Radiological: a one-side text's mask lies on that side of the patient, i.e. mostly on
    the OPPOSITE image half; a two-side text's mask has a real share on each side."""
    sides, mask = _named_sides(entry["text"]), _mask(entry)
    fractions = side_fractions(mask, "radiological")
    if len(sides) == 1:
        (side,) = sides
        assert fractions[side] >= 0.9, fractions
        assert _heavier_image_half(mask) == OPPOSITE[side]
    else:
        assert sides == {"left", "right"} and min(fractions.values()) >= 0.2, fractions


def test_real_xrays_come_first_then_synthetic_ct():
    kinds = ["real" if e["image"].startswith("qata_") else "synthetic" for e in ENTRIES]
    assert kinds == sorted(kinds) and kinds.count("real") == 6  # "real" < "synthetic"
    assert all(e["modality"] == "xray" and e["title"].startswith("Real X-ray (QaTa-COV19 test) · ")
               for e in REAL)
    synthetic = [e for e in ENTRIES if e not in REAL]
    assert synthetic and all(e["modality"] == "ct" and e["title"].startswith("Synthetic CT") for e in synthetic)
    for e in REAL:
        for words in ("QaTa-COV19", "Degerli", "Health Inf Sci Syst 9:15, 2021", "Qatar University",
                      "Tampere University", "aysendegerli/qatacov19-dataset", "LViT", "IEEE TMI 2023",
                      "SGSeg", "MIT", "patient's"):
            assert words in e["credit"], words


def test_real_xrays_cover_one_side_bilateral_and_referring():
    one_side = [e for e in REAL if e["text"].startswith("Unilateral") and not e["compare"]]
    bilateral = [e for e in REAL if len(_named_sides(e["text"])) == 2]
    referring = [e for e in REAL if e["compare"]]
    assert sorted(_named_sides(e["text"]).pop() for e in one_side) == ["left", "right"]
    assert len(bilateral) == 2
    assert sorted(_named_sides(e["text"]).pop() for e in referring) == ["left", "right"]
    for e in referring:  # the mask is the ground truth on the named side of the patient only
        side = _named_sides(e["text"]).pop()
        assert side_fractions(_mask(e), "radiological")[side] == 1.0
        assert [_named_sides(t) for t in e["compare"]] == [{"left"}, {"right"}]
        assert e["text"] in e["compare"]
    assert len({e["source"].split(",")[1].split("_")[0] for e in REAL}) == 6  # six patients


def test_credits_file_names_every_real_file_and_the_dataset_terms():
    credits = (EXAMPLES / "CREDITS.md").read_text()
    assert "dataset's own terms of use apply" in credits and "QaTa-COV19" in credits
    for e in REAL:
        assert f"`{e['image']}`" in credits and f"`{e['mask']}`" in credits


# -- the script, on a fake SGSeg-layout data set --------------------------------------------------


def _blob(mask: np.ndarray, rows: slice, cols: slice) -> None:
    mask[rows, cols] = 255


def _fake_qata(root: Path) -> None:
    """Eight test cases: two referring sources, two unilateral (one per side), two bilateral
    reports, and two that no rule may pick (too small; a patient already used). Captions in
    the viewer's sides, as published: a mask on the image's right is "right lung" there."""
    images, masks = root / "images" / "test" / "images", root / "images" / "test" / "masks"
    images.mkdir(parents=True)
    masks.mkdir(parents=True)
    lower = "bilateral pulmonary infection, two infected areas, lower left lung and lower right lung."
    upper = "bilateral pulmonary infection, two infected areas, upper left lung and upper right lung."
    rows, low, up = [], slice(150, 190), slice(30, 70)
    image_left, image_right = slice(30, 80), slice(144, 194)
    cases = [  # (key, caption, infection, blobs)
        ("sub-s00001_a", lower, 2, [(low, image_left), (low, image_right)]),
        ("sub-s00001_b", lower, 2, [(low, image_left), (low, image_right)]),  # patient used
        ("sub-s00002_a", lower, 2, [(low, image_left), (low, image_right)]),
        ("sub-s00003_a", "unilateral pulmonary infection, one infected area, lower right lung.", 1,
         [(slice(140, 200), image_right)]),
        ("sub-s00004_a", "unilateral pulmonary infection, one infected area, lower left lung.", 1,
         [(slice(140, 200), image_left)]),
        ("sub-s00005_a", upper, 2, [(slice(60, 65), image_left), (slice(60, 65), image_right)]),  # tiny
        ("sub-s00006_a", upper, 2, [(up, image_left), (up, image_right)]),
        ("sub-s00007_a", upper, 2, [(up, image_left), (up, image_right)]),
    ]
    rng = np.random.default_rng(0)
    for key, caption, infection, blobs in cases:
        mask = np.zeros((224, 224), np.uint8)
        for r, c in blobs:
            _blob(mask, r, c)
        name = key.upper() if key.endswith("_b") else key  # an upper-case twin only: found anyway
        assert cv2.imwrite(str(images / f"{name}.png"), rng.integers(0, 255, (224, 224), dtype=np.uint8))
        assert cv2.imwrite(str(masks / f"mask_{key}.png"), mask)
        rows.append({"image_path": f"mask_{key}.png", "caption": caption, "pulmonary_infection": infection})
    (root / "prompts").mkdir()
    (root / "prompts" / "annotation.json").write_text(json.dumps({"test": rows[::-1]}))  # order: by key


def test_add_qata_examples_picks_by_rule_and_keeps_the_ct_entries(tmp_path):
    script = _load_script()
    _fake_qata(tmp_path / "qata")
    out = tmp_path / "examples"
    out.mkdir()
    (out / "examples.json").write_text(json.dumps([{"image": "ct_report.png", "text": "x"},
                                                   {"image": "qata_old.png", "text": "stale"}]))
    assert script.main(["--data-root", str(tmp_path / "qata"), "--out", str(out)]) == 0
    entries = json.loads((out / "examples.json").read_text())
    keys = [e["source"].split(", ")[1].split(".png")[0] for e in entries[:6]]
    assert keys == ["sub-s00001_a", "sub-s00002_a", "sub-s00003_a", "sub-s00004_a", "sub-s00006_a",
                    "sub-s00007_a"]
    assert [e["image"] for e in entries[6:]] == ["ct_report.png"]  # the stale qata entry is replaced
    by_name = {e["image"]: e for e in entries}
    # viewer's "right lung" (mask on the image's right) is the patient's left
    assert by_name["qata_unilateral_left.png"]["text"] == \
        "Unilateral pulmonary infection, one infected area, lower left lung."
    assert by_name["qata_referring_right.png"]["text"].endswith("lower right lung.")
    referring = cv2.imread(str(out / "masks" / "qata_referring_left.png"), cv2.IMREAD_UNCHANGED) > 0
    source = cv2.imread(str(tmp_path / "qata/images/test/masks/mask_sub-s00001_a.png"), 0) > 0
    assert referring[:, 112:].sum() == source[:, 112:].sum() and not referring[:, :112].any()
    assert "qata_bilateral_2.png" in (out / "CREDITS.md").read_text()


@pytest.mark.skipif(not os.environ.get("SSA_QATA_ROOT"), reason="set SSA_QATA_ROOT to SGSeg's data/QaTa")
def test_add_qata_examples_reproduces_the_shipped_files(tmp_path):
    """With the real data set at hand, the script rewrites exactly what is shipped."""
    out = tmp_path / "examples"
    (out / "masks").mkdir(parents=True)
    assert _load_script().main(["--data-root", os.environ["SSA_QATA_ROOT"], "--out", str(out)]) == 0
    assert json.loads((out / "examples.json").read_text()) == REAL
    for e in REAL:
        for name in (e["image"], e["mask"]):
            assert (out / name).read_bytes() == (EXAMPLES / name).read_bytes(), name
    assert (out / "CREDITS.md").read_text() == (EXAMPLES / "CREDITS.md").read_text()
