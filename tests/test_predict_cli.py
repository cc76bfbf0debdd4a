"""python -m ssa.predict: mask, overlay and findings per image; bad files skipped, exit 1."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from ssa.predict import main, unique_stems
from tests.demo_server import save_tiny_checkpoint

TEXT = "Unilateral pulmonary infection, one infected area, lower left lung."


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    return save_tiny_checkpoint(tmp_path_factory.mktemp("ckpt") / "tiny")


def _image(path, shape):
    cv2.imwrite(str(path), np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8))
    return path


def test_writes_three_files_per_image_and_skips_bad_ones(checkpoint, tmp_path, capsys):
    a = _image(tmp_path / "a.png", (80, 120))
    b = _image(tmp_path / "b.jpg", (64, 64, 3))
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not an image")
    out = tmp_path / "out"
    code = main([str(a), str(bad), str(b), "--text", TEXT, "--checkpoint", str(checkpoint),
                 "--out", str(out), "--quiet"])
    assert code == 1
    err = capsys.readouterr().err
    assert "skipped" in err and "bad.png: not a readable image" in err and "2 of 3 images" in err
    mask = cv2.imread(str(out / "a_mask.png"), cv2.IMREAD_UNCHANGED)
    assert mask.shape == (80, 120) and set(np.unique(mask)) <= {0, 255}
    assert cv2.imread(str(out / "a_overlay.png")).shape == (80, 120, 3)
    record = json.loads((out / "a_findings.json").read_text())
    assert record["text"] == TEXT and record["modality"] == "xray"
    assert record["locations"] == [{"side": "left", "zones": ["lower"]}]
    assert record["image_size"] == [80, 120] and len(record["zones"]) == 8
    assert (out / "b_mask.png").exists() and not (out / "bad_mask.png").exists()


def test_dicom_and_all_good_exit_zero(checkpoint, tmp_path):
    from pydicom.data import get_testdata_file

    out = tmp_path / "out"
    code = main([get_testdata_file("CT_small.dcm"), "--text", "right lung", "--checkpoint", str(checkpoint),
                 "--out", str(out), "--window", "mediastinum"])
    assert code == 0
    record = json.loads((out / "CT_small_findings.json").read_text())
    assert record["modality"] == "ct" and [z["zone"] for z in record["zones"]] == ["whole", "whole"]
    assert cv2.imread(str(out / "CT_small_mask.png"), cv2.IMREAD_UNCHANGED).shape == (128, 128)


def test_bad_checkpoint_and_arguments(tmp_path, capsys):
    image = _image(tmp_path / "x.png", (32, 32))
    assert main([str(image), "--text", TEXT, "--checkpoint", str(tmp_path / "none"), "--out", str(tmp_path)]) == 2
    assert "cannot load checkpoint" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main([str(image), "--text", TEXT, "--threshold", "1.5", "--out", str(tmp_path)])


def test_unique_stems():
    from pathlib import Path

    assert unique_stems([Path("a/x.png"), Path("b/x.png"), Path("y.dcm"), Path("c/x.tif")]) == \
        ["x", "x-2", "y", "x-3"]
