"""The model card is a Hub model card whose figures are the evaluation JSONs', and the demo's
banner sentence comes from the checkpoint's own record of its training data."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ssa.model_card import UNKNOWN, training_data_sentence

ROOT = Path(__file__).resolve().parents[1]

DATA = {
    "dataset": "qata", "mode": "mixed",
    "text_convention": {"requested": "auto", "texts": "viewer", "model": "radiological", "converted": True,
                        "agreement": {"radiological": 0.034, "viewer": 0.966}, "n_compared": 1066, "note": ""},
    "text_convention_line": "text convention: viewer (auto); sides swapped",
    "shares": {"report": 0.595, "referring": 0.255, "synthetic": 0.15},
    "train_cases": {"report": 5716, "referring": 9279, "synthetic": 100000},
    "epoch_length": 9607, "val_split": "val", "val_cases": {"report": 200, "referring": 330, "synthetic": 35},
}


def _result(dice: float, iou: float, wsr: float | None, n: int) -> dict:
    return {"dice": dice, "iou": iou, "wrong_side_rate": wsr, "n": n, "n_one_side": n // 2}


@pytest.fixture()
def card(tmp_path, tiny_model):
    ckpt, run = tmp_path / "ckpt", tmp_path / "run"
    tiny_model.save_pretrained(ckpt)
    (ckpt / "eval").mkdir()
    results = {"qata_test_report": _result(0.8612, 0.77, 0.01, 2113),
               "qata_test_referring": _result(0.8301, 0.72, 0.02, 3343),
               "ct_report": _result(0.86, 0.78, 0.0, 200)}
    for name, r in results.items():
        (ckpt / "eval" / f"{name}.json").write_text(json.dumps(r))
    run.mkdir()
    (run / "data.json").write_text(json.dumps(DATA))
    (run / "train_args.json").write_text(json.dumps({"preset": "tiny", "dataset": "qata", "data_root": "/x",
                                                     "batch_size": 8, "steps": 20, "out": str(run)}))
    (run / "log.csv").write_text("step,images_per_s,val_dice\n10,9.5,0.70\n20,9.0,0.75\n")
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "write_model_card.py"), "--checkpoint", str(ckpt),
                           "--run", str(run)], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return ckpt


def test_card_front_matter_is_hub_metadata_with_the_measured_values(card):
    from huggingface_hub import ModelCard

    data = ModelCard.load(card / "README.md").data
    assert data.license == "other" and data.license_link == "LICENSE.md" and (card / "LICENSE.md").is_file()
    assert "QaTa-COV19" in data.datasets and "medical-imaging" in data.tags
    results = data.eval_results
    values = {r.metric_name: r.metric_value for r in results}
    assert values["Dice (report)"] == pytest.approx(0.8612)
    assert values["Dice (referring)"] == pytest.approx(0.8301)
    assert values["Wrong-side rate (referring)"] == pytest.approx(0.02)


def test_card_states_provenance_conversion_splits_and_use(card):
    text = (card / "README.md").read_text()
    for words in ("Not for clinical use", "QaTa-COV19", "LViT", "SGSeg", "5,716", "2,113", "viewer",
                  "terms carry over", "text convention: viewer (auto); sides swapped",
                  "| QaTa-COV19 test (real X-rays) | report | 0.861 |", "best validation Dice 0.750 at step 20"):
        assert words in text, words
    # The run's records travel with the weights, without this machine's data path.
    for name in ("training_data.json", "training_args.json"):
        assert json.loads((card / "eval" / name).read_text())["data_root"] == "DATA_ROOT"


def test_banner_sentence_follows_the_checkpoints_record(tmp_path):
    assert training_data_sentence(tmp_path) == UNKNOWN
    (tmp_path / "eval").mkdir()
    (tmp_path / "eval" / "training_data.json").write_text(json.dumps(DATA))
    sentence = training_data_sentence(tmp_path)
    assert "5,716 real QaTa-COV19 chest X-rays" in sentence and "patient's" in sentence and "synthetic CT" in sentence
    assert "steps" not in sentence  # no log recorded: no claim about how long
    (tmp_path / "eval" / "training_log.csv").write_text("step,images_per_s,val_dice\n10,8.0,\n3000,8.0,0.8\n")
    (tmp_path / "eval" / "training_args.json").write_text(json.dumps({"batch_size": 8}))
    assert "for 3,000 steps of 8 images (about 50 min of training)" in training_data_sentence(tmp_path)
    (tmp_path / "eval" / "training_data.json").write_text(json.dumps({"dataset": "synthetic"}))
    assert "synthetic images only" in training_data_sentence(tmp_path)
