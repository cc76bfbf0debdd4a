"""The shipped examples (``examples/examples.json``): files, sides, credits, and the scripts that
make them, run on fake data sets: ``examples/add_qata_examples.py`` (real QaTa-COV19 X-rays) and
``examples/add_more_examples.py`` (a wrong-side prompt, a healthy X-ray, real CT slices).

Sides are the patient's, radiological convention: the patient's left is the image's RIGHT half.
Negative examples (``wrongside_*``, ``normal_*``) have an empty reference mask: their text names
a finding where the image has none.
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

from ssa.data.ct_sets import derive_caption
from ssa.data.normals import patient_id, split_of
from ssa.data.samples import Sample
from ssa.findings import side_fractions
from ssa.spatial import parse_locations, swap_sides
from tests.demo_server import EXAMPLES

ENTRIES = json.loads((EXAMPLES / "examples.json").read_text())
REAL = [e for e in ENTRIES if e["image"].startswith("qata_")]
NEGATIVE = [e for e in ENTRIES if e["image"].startswith(("wrongside_", "normal_"))]
POSITIVE = [e for e in ENTRIES if e not in NEGATIVE]
REAL_CT = [e for e in ENTRIES if e["image"].startswith("realct_")]
# examples.json order: real X-rays, wrong-side prompts, healthy X-rays, real CT, synthetic CT
ORDER = ("qata_", "wrongside_", "normal_", "realct_", "ct_")
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


def _load_script(name: str = "add_qata_examples"):
    path = EXAMPLES / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
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
    # binary, and not empty, except for the negative examples: nothing to find there
    assert set(np.unique(gt)) == ({0} if entry in NEGATIVE else {0, 255})
    assert {"text", "modality", "title", "compare", "source", "credit"} <= set(entry)
    assert entry["source"].strip() and entry["credit"].strip()


@pytest.mark.parametrize("entry", POSITIVE, ids=[e["image"] for e in POSITIVE])
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


def test_real_xrays_come_first_then_negatives_real_ct_and_synthetic_ct():
    kinds = [next(i for i, prefix in enumerate(ORDER) if e["image"].startswith(prefix)) for e in ENTRIES]
    assert kinds == sorted(kinds) and kinds.count(0) == 6
    assert all(kinds.count(i) >= 1 for i in range(len(ORDER))) and kinds.count(3) >= 2
    assert all(e["modality"] == "xray" and e["title"].startswith("Real X-ray (QaTa-COV19 test) · ")
               for e in REAL)
    synthetic = [e for e in ENTRIES if e["image"].startswith("ct_")]
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
    assert "non-commercial use only" in credits and "Chowdhury" in credits
    for e in ENTRIES:
        if not e["image"].startswith("ct_"):
            assert f"`{e['image']}`" in credits and f"`{e['mask']}`" in credits
    # each script's section: the QaTa rows before the marked section of add_more_examples.py
    begin, end = "<!-- begin add_more_examples.py -->", "<!-- end add_more_examples.py -->"
    assert credits.index("`qata_bilateral_2.png`") < credits.index(begin) < credits.index(end)
    assert credits.index(end) < credits.index("## Synthetic CT slices")


# -- negative examples and real CT slices ----------------------------------------------------------


def test_negative_examples_name_a_side_without_lesion():
    """A wrong-side prompt is a copy of a real X-ray whose lesion lies on the side the text does
    NOT name; a healthy X-ray has none. Their reference mask is empty."""
    wrong = [e for e in NEGATIVE if e["image"].startswith("wrongside_")]
    normal = [e for e in NEGATIVE if e["image"].startswith("normal_")]
    assert wrong and normal
    by_name = {e["image"]: e for e in ENTRIES}
    for e in NEGATIVE:
        assert not _mask(e).any() and e["modality"] == "xray" and _named_sides(e["text"])
        assert "reference mask is empty" in e["source"]
    for e in wrong:
        source = by_name[e["derived_from"]]
        assert source["image"].startswith("qata_") and e["credit"] == source["credit"]
        assert (EXAMPLES / e["image"]).read_bytes() == (EXAMPLES / source["image"]).read_bytes()
        (named,) = _named_sides(e["text"])
        lesion = _mask(source)
        assert side_fractions(lesion, "radiological")[OPPOSITE[named]] >= 0.98  # the lesion: other side
        assert _heavier_image_half(lesion) == named  # radiological: the patient's left is the image right
        assert e["compare"] == [e["text"], swap_sides(e["text"])]
        assert f"lesion is on the {OPPOSITE[named]}" in e["title"] and f"patient's {named}" in e["title"]
    for e in normal:
        assert _named_sides(e["text"]) == {"left", "right"}
        assert e["title"].startswith("Healthy X-ray (COVID-19 Radiography Database, normal) · ")
        assert "Normal/Normal-" in e["source"] and "test split" in e["source"]
        assert any("?" in t for t in e["compare"])
        for words in ("COVID-19 Radiography Database", "Chowdhury", "IEEE Access 8:132665, 2020", "Rahman",
                      "arXiv:2012.02238", "Qatar University", "University of Dhaka", "RSNA Pneumonia",
                      "ChestX-ray14", "rtchanon/Machine-Learning-for-COVID-19-detection-from-chest-X-RAYS",
                      "licence not stated"):
            assert words in e["credit"], words


def test_real_ct_slices_one_side_and_bilateral_with_credit():
    assert len(REAL_CT) >= 2
    one_side = [e for e in REAL_CT if len(_named_sides(e["text"])) == 1]
    bilateral = [e for e in REAL_CT if _named_sides(e["text"]) == {"left", "right"}]
    assert one_side and bilateral
    for e in REAL_CT:
        mask = _mask(e)
        assert e["modality"] == "ct" and mask.any() and max(mask.shape) <= 320
        assert 0.02 <= mask.mean() <= 0.20
        assert e["title"].startswith("Real CT (COVID-19 CT segmentation, Inf-Net test) · ")
        assert "derived from the mask" in e["source"] and "test split" in e["source"]
        for words in ("COVID-19 CT segmentation dataset", "medicalsegmentation.com",
                      "Italian Society of Medical and Interventional Radiology", "Inf-Net", "Fan et al.",
                      "IEEE TMI 2020", "DengPingFan/Inf-Net", "non-commercial use only", "radiological",
                      "derived from the masks"):
            assert words in e["credit"], words
    for e in one_side:  # Compare: the text, then the same text naming the other side
        assert e["compare"] == [e["text"], swap_sides(e["text"])]
        (side,) = _named_sides(e["text"])
        assert side_fractions(_mask(e), "radiological")[side] >= 0.95


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
    (out / "examples.json").write_text(json.dumps([{"image": "wrongside_x.png", "text": "w"},
                                                   {"image": "ct_report.png", "text": "x"},
                                                   {"image": "qata_old.png", "text": "stale"}]))
    other = "<!-- begin add_more_examples.py -->\n## Other\n\n| `wrongside_x.png` |\n<!-- end add_more_examples.py -->"
    (out / "CREDITS.md").write_text(f"# Credits\n\n## stale\n\n{other}\n\n## Synthetic CT slices\n")
    assert script.main(["--data-root", str(tmp_path / "qata"), "--out", str(out)]) == 0
    entries = json.loads((out / "examples.json").read_text())
    keys = [e["source"].split(", ")[1].split(".png")[0] for e in entries[:6]]
    assert keys == ["sub-s00001_a", "sub-s00002_a", "sub-s00003_a", "sub-s00004_a", "sub-s00006_a",
                    "sub-s00007_a"]
    # the stale qata entry is replaced; the others are kept, in their order
    assert [e["image"] for e in entries[6:]] == ["wrongside_x.png", "ct_report.png"]
    by_name = {e["image"]: e for e in entries}
    # viewer's "right lung" (mask on the image's right) is the patient's left
    assert by_name["qata_unilateral_left.png"]["text"] == \
        "Unilateral pulmonary infection, one infected area, lower left lung."
    assert by_name["qata_referring_right.png"]["text"].endswith("lower right lung.")
    referring = cv2.imread(str(out / "masks" / "qata_referring_left.png"), cv2.IMREAD_UNCHANGED) > 0
    source = cv2.imread(str(tmp_path / "qata/images/test/masks/mask_sub-s00001_a.png"), 0) > 0
    assert referring[:, 112:].sum() == source[:, 112:].sum() and not referring[:, :112].any()
    credits = (out / "CREDITS.md").read_text()
    assert "qata_bilateral_2.png" in credits and "## stale" not in credits
    # another script's section is kept as it was, after the QaTa rows, before the synthetic CT
    assert credits.index("qata_bilateral_2.png") < credits.index(other) < credits.index("## Synthetic CT")


@pytest.mark.skipif(not os.environ.get("SSA_QATA_ROOT"), reason="set SSA_QATA_ROOT to SGSeg's data/QaTa")
def test_add_qata_examples_reproduces_the_shipped_files(tmp_path):
    """With the real data set at hand, the script rewrites exactly what is shipped (CREDITS.md:
    its own part, around the sections other scripts own, which it keeps)."""
    out = tmp_path / "examples"
    (out / "masks").mkdir(parents=True)
    shipped = (EXAMPLES / "CREDITS.md").read_text()
    foreign = [m.group(0) for m in _load_script().FOREIGN_SECTION.finditer(shipped)]
    assert foreign  # add_more_examples.py's
    (out / "CREDITS.md").write_text("\n\n".join(foreign))
    assert _load_script().main(["--data-root", os.environ["SSA_QATA_ROOT"], "--out", str(out)]) == 0
    assert json.loads((out / "examples.json").read_text()) == REAL
    for e in REAL:
        for name in (e["image"], e["mask"]):
            assert (out / name).read_bytes() == (EXAMPLES / name).read_bytes(), name
    assert (out / "CREDITS.md").read_text() == (EXAMPLES / "CREDITS.md").read_text()


# -- add_more_examples.py, on fake data sets ------------------------------------------------------


def _fake_normals(root: Path) -> Path:
    """COVID-19 Radiography layout (``Normal/Normal-N.png``, RGB). In the test split: first a
    dark image, then a mid-grey flat one (no contrast), then the one the rule picks; every
    other image is dark. Returns the expected pick."""
    folder = root / "COVID-19_Radiography_Dataset" / "Normal"
    folder.mkdir(parents=True)
    paths = sorted(folder / f"Normal-{i}.png" for i in range(1, 80))
    test = [p for p in paths if split_of(patient_id(p)) == "test"]
    assert len(test) >= 3
    dark = np.full((64, 64), 40, np.uint8)
    flat = np.full((64, 64), 125, np.uint8)
    lungs = np.tile(np.where(np.arange(64) % 32 < 16, 60, 190).astype(np.uint8), (64, 1))  # mean 125, std 65
    for p in paths:
        gray = flat if p == test[1] else lungs if p in (test[2], test[-1]) else dark
        assert cv2.imwrite(str(p), cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR))
    train = next(p for p in paths if split_of(patient_id(p)) == "train")
    assert cv2.imwrite(str(train), cv2.cvtColor(lungs, cv2.COLOR_GRAY2BGR))  # mid-range, not test
    return test[2]


def _fake_ct(folder: Path) -> list[Sample]:
    """Slices 400 x 480 (resized to 240 x 288) with masks on the patient's sides, radiological:
    a: one side, too small; b: patient's right (image left), picked; c: both sides but 85/15;
    d: both sides, balanced, picked; e: patient's left, a second one-side slice."""
    folder.mkdir(parents=True)
    h, w = 400, 480
    image = np.tile(np.linspace(20, 230, w).astype(np.uint8), (h, 1))  # smooth: a small PNG
    image_left, image_right = slice(60, 200), slice(280, 420)
    blobs = {
        "ct_a": [(slice(100, 110), image_left)],
        "ct_b": [(slice(120, 260), image_left)],
        "ct_c": [(slice(100, 300), slice(60, 150)), (slice(100, 130), image_right)],
        "ct_d": [(slice(100, 200), image_left), (slice(220, 320), image_right)],
        "ct_e": [(slice(120, 260), image_right)],
    }
    samples = []
    for key, parts in blobs.items():
        mask = np.zeros((h, w), np.uint8)
        for rows, cols in parts:
            mask[rows, cols] = 255
        assert cv2.imwrite(str(folder / f"{key}.png"), image)
        assert cv2.imwrite(str(folder / f"mask_{key}.png"), mask)
        samples.append(Sample(image=folder / f"{key}.png", mask=folder / f"mask_{key}.png",
                              text=derive_caption(mask > 0), modality="ct", key=key))
    return samples[::-1]  # the script sorts them by key


def _fake_examples(out: Path) -> None:
    """A QaTa example with its lesion on the patient's left (image right), a synthetic CT entry,
    and a stale entry of the script's own whose files must go."""
    (out / "masks").mkdir(parents=True)
    gray = np.tile(np.linspace(0, 255, 64).astype(np.uint8), (64, 1))
    mask = np.zeros((64, 64), np.uint8)
    mask[30:50, 40:56] = 255
    for name in ("qata_unilateral_left.png", "realct_old.png"):
        assert cv2.imwrite(str(out / name), gray) and cv2.imwrite(str(out / "masks" / name), mask)
    qata = {"image": "qata_unilateral_left.png", "text": "Unilateral pulmonary infection, one infected area, "
            "middle left lung.", "modality": "xray", "title": "Real X-ray (QaTa-COV19 test) · one side",
            "compare": [], "mask": "masks/qata_unilateral_left.png", "source": "QaTa-COV19 test split, sub-s1.png",
            "credit": "QaTa-COV19 credit"}
    entries = [qata, {"image": "realct_old.png", "mask": "masks/realct_old.png", "text": "stale"},
               {"image": "ct_report.png", "text": "x"}]
    (out / "examples.json").write_text(json.dumps(entries))
    (out / "CREDITS.md").write_text("# Credits\n\n## Real chest X-rays\n\n| `qata_unilateral_left.png` |\n\n"
                                    "## Synthetic CT slices (`ct_*.png`)\n\nRendered.\n")


def test_add_more_examples_picks_by_rule_and_keeps_the_other_entries(tmp_path, monkeypatch):
    script = _load_script("add_more_examples")
    expected_normal = _fake_normals(tmp_path / "normals")
    samples = _fake_ct(tmp_path / "ct")
    monkeypatch.setattr(script, "read_ct_set", lambda name, root, split: (
        samples if (name, Path(root), split) == ("covid_semiseg", tmp_path / "ct-root", "test") else []))
    out = tmp_path / "examples"
    _fake_examples(out)
    args = ["--normals-root", str(tmp_path / "normals"), "--ct-root", str(tmp_path / "ct-root"), "--out", str(out)]
    assert script.main(args) == 0
    entries = json.loads((out / "examples.json").read_text())
    assert [e["image"] for e in entries] == ["qata_unilateral_left.png", "wrongside_left_lesion.png",
                                             "normal_adult.png", "realct_unilateral.png",
                                             "realct_bilateral.png", "ct_report.png"]
    assert not (out / "realct_old.png").exists() and not (out / "masks" / "realct_old.png").exists()
    by_name = {e["image"]: e for e in entries}

    wrong = by_name["wrongside_left_lesion.png"]
    assert wrong["text"] == "Unilateral pulmonary infection, one infected area, lower right lung."
    assert wrong["compare"] == [wrong["text"], "Unilateral pulmonary infection, one infected area, lower left lung."]
    assert wrong["credit"] == "QaTa-COV19 credit" and wrong["derived_from"] == "qata_unilateral_left.png"
    assert (out / "wrongside_left_lesion.png").read_bytes() == (out / "qata_unilateral_left.png").read_bytes()

    normal = by_name["normal_adult.png"]
    assert expected_normal.name in normal["source"] and "Chowdhury" in normal["credit"]
    picked = cv2.imread(str(out / "normal_adult.png"), cv2.IMREAD_UNCHANGED)
    assert picked.ndim == 2 and np.array_equal(picked, cv2.imread(str(expected_normal), cv2.IMREAD_GRAYSCALE))

    for name in ("wrongside_left_lesion.png", "normal_adult.png"):
        mask = cv2.imread(str(out / "masks" / name), cv2.IMREAD_UNCHANGED)
        assert mask.shape == (64, 64) and not mask.any()

    one, both = by_name["realct_unilateral.png"], by_name["realct_bilateral.png"]
    assert "(ct_b)" in one["source"] and "(ct_d)" in both["source"]
    assert one["modality"] == both["modality"] == "ct" and "Inf-Net" in one["credit"]
    assert _named_sides(one["text"]) == {"right"} and one["compare"] == [one["text"], swap_sides(one["text"])]
    assert "patient's right" in one["title"] and both["compare"] == []
    for e in (one, both):
        image = cv2.imread(str(out / e["image"]), cv2.IMREAD_UNCHANGED)
        mask = cv2.imread(str(out / e["mask"]), cv2.IMREAD_UNCHANGED)
        assert image.shape == mask.shape == (240, 288) and set(np.unique(mask)) == {0, 255}
    assert _heavier_image_half(cv2.imread(str(out / one["mask"]), 0) > 0) == "left"  # the patient's right

    credits = (out / "CREDITS.md").read_text()
    begin, end = "<!-- begin add_more_examples.py -->", "<!-- end add_more_examples.py -->"
    assert credits.index("`qata_unilateral_left.png`") < credits.index(begin) < credits.index(end) \
        < credits.index("## Synthetic CT slices")
    for e in entries[1:5]:
        assert f"`{e['image']}`, `{e['mask']}`" in credits
    assert "realct_old" not in credits and "non-commercial use only" in credits

    # Run again: the same files; then add_qata_examples.py's rewrite keeps this section as it is.
    assert script.main(args) == 0
    assert (out / "CREDITS.md").read_text() == credits
    assert json.loads((out / "examples.json").read_text()) == entries
    section = credits[credits.index(begin):credits.index(end) + len(end)]
    assert section in _load_script().credits_markdown(entries, credits)


@pytest.mark.skipif(not (os.environ.get("SSA_NORMALS_ROOT") and os.environ.get("SSA_CT_ROOT")),
                    reason="set SSA_NORMALS_ROOT and SSA_CT_ROOT (Inf-Net's COVID-SemiSeg)")
def test_add_more_examples_reproduces_the_shipped_files(tmp_path):
    """With the real data sets at hand, the script rewrites exactly what is shipped."""
    out = tmp_path / "examples"
    (out / "masks").mkdir(parents=True)
    for name in ("examples.json", "CREDITS.md"):
        (out / name).write_bytes((EXAMPLES / name).read_bytes())
    for e in REAL:
        for name in (e["image"], e["mask"]):
            (out / name).write_bytes((EXAMPLES / name).read_bytes())
    args = ["--normals-root", os.environ["SSA_NORMALS_ROOT"], "--ct-root", os.environ["SSA_CT_ROOT"],
            "--out", str(out)]
    assert _load_script("add_more_examples").main(args) == 0
    assert json.loads((out / "examples.json").read_text()) == ENTRIES
    for e in NEGATIVE + REAL_CT:
        for name in (e["image"], e["mask"]):
            assert (out / name).read_bytes() == (EXAMPLES / name).read_bytes(), name
    assert (out / "CREDITS.md").read_text() == (EXAMPLES / "CREDITS.md").read_text()
