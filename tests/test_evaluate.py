"""python -m ssa.evaluate on a checkpoint: JSON + per-case CSV + worst-case plots."""

import csv
import json

import pytest

import ssa.evaluate


def test_evaluate_cli_writes_results(tmp_path, tiny_model):
    tiny_model.save_pretrained(tmp_path / "ckpt")
    out = tmp_path / "results.json"
    rc = ssa.evaluate.main([
        "--checkpoint", str(tmp_path / "ckpt"), "--dataset", "synthetic", "--n", "6", "--seed", "3",
        "--mode", "referring", "--modality", "xray", "--out", str(out), "--plots", str(tmp_path / "plots"),
    ])
    assert rc == 0
    results = json.loads(out.read_text())
    for key in ("dice", "iou", "wrong_side_rate", "n"):
        assert key in results
    assert results["n"] == 6 and 0 <= results["dice"] <= 1
    rows = list(csv.DictReader(open(tmp_path / "results_cases.csv")))
    assert len(rows) == 6 and {"dice", "iou", "wrong_side", "text"} <= set(rows[0])
    # The summary is the mean of the per-case rows (wrong side: over the one-side texts).
    assert results["dice"] == pytest.approx(sum(float(r["dice"]) for r in rows) / 6)
    assert results["iou"] == pytest.approx(sum(float(r["iou"]) for r in rows) / 6)
    one_side = [r["wrong_side"] in ("1", "True") for r in rows if r["wrong_side"] not in ("", "None")]
    assert results["n_one_side"] == len(one_side) > 0
    assert results["wrong_side_rate"] == pytest.approx(sum(one_side) / len(one_side))
    assert len(list((tmp_path / "plots").glob("worst_*.png"))) == 6


def test_evaluate_reports_a_missing_dataset(tmp_path, tiny_model, capsys):
    tiny_model.save_pretrained(tmp_path / "ckpt")
    rc = ssa.evaluate.main([
        "--checkpoint", str(tmp_path / "ckpt"), "--dataset", "qata", "--data-root", str(tmp_path / "nowhere"),
        "--out", str(tmp_path / "r.json"),
    ])
    assert rc == 2
    assert "nowhere" in capsys.readouterr().err
