"""Negative cases (ssa.data.negatives): wrong-side, empty-zone and healthy cases with empty
targets, derived from generated fixtures; and the evaluation's negatives mode end to end."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from ssa.data.dataset import SampleSource
from ssa.data.negatives import (
    EMPTY_SHARE,
    HEALTHY_EVAL_TEXTS,
    derive_empty_zones,
    derive_wrong_side,
    healthy_cases,
    qata_caption,
    random_text,
)
from ssa.data.samples import Sample
from ssa.spatial import Region, parse_locations

SIZE = 64
BAND = (0.1, 0.9)


def _png(path: Path, array: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), array)
    return path


def _case(tmp_path: Path, name: str, text: str, blocks: list[tuple[slice, slice]]) -> Sample:
    """An image + mask pair with lesion ``blocks`` (rows, cols); text in the radiological
    convention (the patient's left is the image's right)."""
    mask = np.zeros((SIZE, SIZE), np.uint8)
    for rows, cols in blocks:
        mask[rows, cols] = 255
    image = np.full((SIZE, SIZE), 90, np.uint8)
    image[mask > 0] = 220
    return Sample(image=_png(tmp_path / f"{name}.png", image), mask=_png(tmp_path / f"mask_{name}.png", mask),
                  text=text, modality="xray", key=name)


LOWER_ROWS = slice(44, 54)  # inside the lower third of the band (rows 6-57)
# Radiological: the patient's left lung is the image's RIGHT half.
PATIENT_LEFT = slice(40, 54)
PATIENT_RIGHT = slice(10, 24)


def test_unilateral_case_gives_a_wrong_side_case_with_an_empty_mask(tmp_path):
    left = _case(tmp_path, "left", "Unilateral pulmonary infection, one infected area, lower left lung.",
                 [(LOWER_ROWS, PATIENT_LEFT)])
    (neg,) = derive_wrong_side([left], "radiological")
    assert neg.mask is None and neg.key == "left#wrong_side"
    assert [r.side for r in parse_locations(neg.text)] == ["right"]
    assert parse_locations(neg.text)[0].zones == {"lower"}  # the same zones, the other side
    case = SampleSource([neg])[0]
    assert case.mask.shape == (SIZE, SIZE) and not case.mask.any()
    assert case.image.shape == (SIZE, SIZE) and case.image.max() > 0.8  # the real image, lesion and all


def test_wrong_side_is_decided_from_the_mask_not_the_text(tmp_path):
    # The caption says left only, but the mask has lesion on both sides: no reliable negative.
    both = _case(tmp_path, "both", "Unilateral pulmonary infection, one infected area, lower left lung.",
                 [(LOWER_ROWS, PATIENT_LEFT), (LOWER_ROWS, PATIENT_RIGHT)])
    # A caption naming the wrong side (the lesion lies on the side it does not name): none either.
    wrong = _case(tmp_path, "wrong", "Unilateral pulmonary infection, one infected area, lower left lung.",
                  [(LOWER_ROWS, PATIENT_RIGHT)])
    bilateral = _case(tmp_path, "bi", "Bilateral pulmonary infection, lower left lung and lower right lung.",
                      [(LOWER_ROWS, PATIENT_LEFT), (LOWER_ROWS, PATIENT_RIGHT)])
    assert derive_wrong_side([both, wrong, bilateral], "radiological") == []


def test_a_few_stray_pixels_still_count_as_empty(tmp_path):
    stray = max(1, int(EMPTY_SHARE * SIZE * SIZE))
    case = _case(tmp_path, "stray", "Unilateral pulmonary infection, one infected area, lower left lung.",
                 [(LOWER_ROWS, PATIENT_LEFT), (slice(30, 30 + stray), slice(12, 13))])
    assert len(derive_wrong_side([case], "radiological")) == 1


def test_wrong_side_texts_vary_in_training_and_stay_qata_in_evaluation(tmp_path):
    cases = [_case(tmp_path, f"c{i}", "Unilateral pulmonary infection, one infected area, lower left lung.",
                   [(LOWER_ROWS, PATIENT_LEFT)]) for i in range(12)]
    evaluation = {n.text for n in derive_wrong_side(cases, "radiological")}
    assert evaluation == {"Unilateral pulmonary infection, one infected area, lower right lung."}
    training = derive_wrong_side(cases, "radiological", vary_text=True, seed=1)
    assert len({n.text for n in training}) > 1
    assert all({r.side for r in parse_locations(n.text)} == {"right"} for n in training)


def test_bilateral_case_gives_an_empty_zone_case(tmp_path):
    # Lesions in both lower zones only: the upper and middle zones (with their safety margin) are empty.
    bi = _case(tmp_path, "bi", "Bilateral pulmonary infection, two infected areas, lower left lung and lower right lung.",
               [(slice(44, 56), PATIENT_LEFT), (slice(44, 56), PATIENT_RIGHT)])
    (neg,) = derive_empty_zones([bi], "radiological", BAND)
    (region,) = parse_locations(neg.text)
    assert region.zones == {"upper"}  # the middle zone ends 1/3 of a zone lower, inside the lesion
    assert neg.mask is None and neg.key == "bi#empty_zone"


def test_no_empty_zone_where_the_lesion_reaches(tmp_path):
    tall = _case(tmp_path, "tall", "Unilateral pulmonary infection, one infected area, lower left lung.",
                 [(slice(8, 56), PATIENT_LEFT)])
    assert derive_empty_zones([tall], "radiological", BAND) == []


def test_normal_images_give_cases_with_empty_masks(tmp_path):
    images = [_png(tmp_path / f"normal_{i}.png", np.full((40, 50), 100 + i, np.uint8)) for i in range(3)]
    evaluation = healthy_cases(images, texts=HEALTHY_EVAL_TEXTS)
    assert len(evaluation) == 3 * len(HEALTHY_EVAL_TEXTS)
    assert {c.text for c in evaluation} == set(HEALTHY_EVAL_TEXTS)
    training = healthy_cases(images, texts_per_image=2, seed=0)
    assert len(training) == 6 and len({c.key for c in training}) == 6
    for case in SampleSource(training):
        assert case.mask.shape == (40, 50) and not case.mask.any()


def test_qata_caption_reads_back_to_its_regions():
    regions = [Region("left", frozenset({"upper"})), Region("right", frozenset({"middle", "lower"}))]
    text = qata_caption(regions)
    assert text == "Bilateral pulmonary infection, three infected areas, upper left lung and middle lower right lung."
    assert set(parse_locations(text)) == set(regions)
    rng = np.random.default_rng(0)
    assert len({random_text(rng) for _ in range(40)}) > 10


# -- evaluation's negatives mode, end to end on the SGSeg fixture ---------------------------------------


def test_evaluate_negatives_mode(tmp_path, tiny_model):
    from ssa.evaluate import main
    from tests.sgseg_fixture import make_sgseg

    root = make_sgseg(tmp_path / "QaTa")
    normals = tmp_path / "normals"
    for i in range(10):
        _png(normals / "NORMAL" / f"IM-{i:04d}-0001.png", np.full((48, 48), 80 + i, np.uint8))
    tiny_model.save_pretrained(tmp_path / "ckpt")
    out = tmp_path / "neg.json"
    argv = ["--checkpoint", str(tmp_path / "ckpt"), "--dataset", "qata", "--data-root", str(root),
            "--split", "test", "--mode", "negatives", "--n", "0", "--out", str(out)]
    pytest.importorskip("ssa.data.normals")
    from ssa.data.normals import read_normal_xrays

    try:
        held_out = read_normal_xrays(normals, "test")
    except ValueError:
        held_out = []
    assert main(argv + (["--normals-root", str(normals)] if held_out else [])) == 0
    result = json.loads(out.read_text())
    kinds = result["by_kind"]
    assert kinds["wrong_side"]["n"] == 4  # the 4 one-side test captions, each asked about the other side
    assert result["n_negative"] == result["n"] and result["n_positive"] == 0
    assert 0.0 <= result["clean_rate"] <= 1.0
    if held_out:
        assert kinds["healthy"]["n"] == len(held_out) * len(HEALTHY_EVAL_TEXTS)
    rows = (tmp_path / "neg_cases.csv").read_text().splitlines()
    assert rows[0].startswith("key,") and len(rows) == result["n"] + 1


def test_unseen_phrasings_parse_to_their_region_and_are_never_trained_on():
    from ssa.data.negatives import GENERIC_TEXTS
    from ssa.data.referring import TEMPLATES, UNSEEN_TEMPLATES, referring_text

    assert not set(UNSEEN_TEMPLATES) & set(TEMPLATES)
    for zones in ({"lower"}, {"middle", "lower"}, {"upper", "middle", "lower"}):
        for side in ("left", "right"):
            region = Region(side, frozenset(zones))
            for k in range(len(UNSEEN_TEMPLATES)):
                text = referring_text(region, k, UNSEEN_TEMPLATES)
                assert parse_locations(text) == [region], text
                assert text not in GENERIC_TEXTS


# -- training with negatives and a real CT set beside the X-rays -----------------------------------------


def test_training_mixes_negatives_and_real_ct(tmp_path, monkeypatch):
    """--negative-share draws wrong-side, empty-zone and healthy cases; --ct-data adds a real CT
    set (COVID-SemiSeg's layout); validation asks negatives too and logs their clean rate."""
    from ssa.training import main as train_main
    from tests.sgseg_fixture import make_sgseg
    from tests.test_ct_sets import make_semiseg

    monkeypatch.setenv("SSA_CT_CACHE", str(tmp_path / "ct-cache"))
    qata = make_sgseg(tmp_path / "QaTa")
    normals = tmp_path / "normals"
    for i in range(30):
        _png(normals / "Normal" / f"Normal-{i}.png", np.full((40, 40), 60 + i, np.uint8))
    semiseg = make_semiseg(tmp_path / "semiseg")
    out = tmp_path / "run"
    train_main(["--preset", "tiny", "--batch-size", "4", "--warmup", "1", "--no-progress", "--log-every", "1",
                "--threads", "1", "--eval-every", "2", "--steps", "2", "--val-size", "0", "--dataset", "qata",
                "--data-root", str(qata), "--mode", "mixed", "--negative-share", "0.3", "--normals-root",
                str(normals), "--ct-data", f"covid_semiseg={semiseg}", "--ct-share", "0.2", "--out", str(out)])
    data = json.loads((out / "data.json").read_text())
    negatives = data["negative_cases"]
    assert negatives["wrong_side"] == 6 and negatives["healthy"] > 0  # the 6 one-side train captions of 9
    assert data["shares"]["negative"] == pytest.approx(0.3) and data["shares"]["ct"] == pytest.approx(0.2)
    assert data["ct_cases"]["covid_semiseg"]["report"] == 9  # 10 train slices, a seeded tenth held out
    assert data["val_cases"]["negative"] > 0 and data["val_cases"]["ct"] == 1
    rows = list(csv.DictReader(open(out / "log.csv")))
    assert rows[-1]["val_clean_rate"] != "" and rows[-1]["presence"] == ""  # tiny has no presence head


def test_an_epoch_draws_every_kind_of_negative(tmp_path):
    """Each negative kind is its own part of the epoch: a nested mix served only its first kind
    (wrong side) and never a healthy X-ray."""
    import argparse

    from ssa.training_data import build_data
    from tests.sgseg_fixture import make_sgseg

    qata = make_sgseg(tmp_path / "QaTa", counts={"train": 30, "valid": 6, "test": 3})
    normals = tmp_path / "normals"
    for i in range(200):
        _png(normals / "Normal" / f"Normal-{3000 + i}.png", np.full((32, 32), 60, np.uint8))
    args = argparse.Namespace(dataset="qata", data_root=str(qata), mode="mixed", text_convention="auto",
                              referring_share=0.3, synthetic_share=0.0, negative_share=0.4, normals_root=str(normals),
                              ct_data=[], ct_share=0.0, seed=0, val_size=0, augment=False, modality="xray",
                              train_size=10)
    train, _, info = build_data(args, 32, "radiological", verbose=False)
    keys = [train.source[i].key for i in range(len(train.source))]
    kinds = {k.rpartition("#")[2].rstrip("0123456789") for k in keys if "#" in k}
    assert {"wrong_side", "healthy"} <= kinds, kinds
    healthy = sum(k.split("#")[-1].startswith("healthy") for k in keys)
    assert healthy == pytest.approx(0.4 * 0.4 / (0.5 + 0.4 + 0.1 * ("empty_zone" in kinds)) * len(keys), abs=2)


def test_healthy_training_texts_come_mostly_from_the_positive_captions(tmp_path):
    images = [_png(tmp_path / f"n{i}.png", np.full((20, 20), 90, np.uint8)) for i in range(100)]
    captions = ["Bilateral pulmonary infection, six infected areas, upper middle lower left lung and "
                "upper middle lower right lung."]
    texts = [c.text for c in healthy_cases(images, texts_per_image=3, seed=0, captions=captions)]
    share = texts.count(captions[0]) / len(texts)
    assert 0.5 < share < 0.75  # CAPTION_SHARE of them, the rest random texts
    assert len(set(texts)) > 20
