"""QaTa-COV19 in the SGSeg layout: detection, splits, case twins, every problem at once."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ssa.data.readers import DatasetError, read_dataset, read_qata
from ssa.data.sgseg import index_case_insensitive
from tests.sgseg_fixture import BOTH, make_sgseg, write_png


def test_reads_each_split_with_val_as_valid(tmp_path):
    root = make_sgseg(tmp_path / "QaTa")
    sizes = {split: len(read_qata(root, split)) for split in ("train", "val", "test")}
    assert sizes == {"train": 9, "val": 6, "test": 6}
    samples = read_dataset("qata", root, "train")
    assert all(s.modality == "xray" and s.image.is_file() and s.mask.is_file() for s in samples)
    assert len({s.key for s in samples}) == 9
    assert {s.text for s in samples} >= {BOTH}


def test_case_twins_are_resolved_once_to_the_lower_case_file(tmp_path):
    root = make_sgseg(tmp_path / "QaTa")
    images = list((root / "images" / "train" / "images").iterdir())
    assert len(images) > 9  # the fixture really has upper/lower-case twins
    samples = read_qata(root, "train")
    assert len(samples) == 9
    twins = [s for s in samples if s.key.startswith("sub-")]
    assert twins and all(s.image.name == s.image.name.lower() for s in twins)
    assert all(s.mask.name == s.mask.name.lower() for s in twins)


def test_twins_with_different_bytes_are_reported_not_guessed(tmp_path):
    folder = tmp_path / "f"
    write_png(folder / "sub-S1_x.png", np.zeros((4, 4), np.uint8))
    write_png(folder / "sub-s1_x.png", np.full((4, 4), 9, np.uint8))
    write_png(folder / "covid_2.png", np.zeros((4, 4), np.uint8))
    problems: list[str] = []
    found = index_case_insensitive(folder, problems)
    assert list(found) == ["covid_2"]
    assert len(problems) == 1 and "sub-S1_x.png" in problems[0] and "sub-s1_x.png" in problems[0]


def test_every_problem_is_reported_at_once(tmp_path):
    root = make_sgseg(tmp_path / "QaTa")
    test_dir = root / "images" / "test"
    first_mask = sorted((test_dir / "masks").glob("mask_covid_*.png"))[0]
    first_mask.unlink()
    write_png(test_dir / "images" / "stray.png", np.zeros((4, 4), np.uint8))
    data = json.loads((root / "prompts" / "annotation.json").read_text())
    data["test"][1]["caption"] = ""
    (root / "prompts" / "annotation.json").write_text(json.dumps(data))
    with pytest.raises(DatasetError) as err:
        read_qata(root, "test")
    text = "\n".join(err.value.problems)
    assert "missing mask" in text and first_mask.name in text
    assert "empty caption" in text
    assert "image without an annotation row" in text and "stray.png" in text
    assert "SGSeg layout" in str(err.value) and "test split" in str(err.value)


def test_a_missing_annotation_file_is_named(tmp_path):
    root = make_sgseg(tmp_path / "QaTa")
    (root / "prompts" / "annotation.json").unlink()
    with pytest.raises(DatasetError, match="annotation.json"):
        read_qata(root, "train")
