"""The model card is a Hub model card whose figures are the evaluation JSONs', and the demo's
banner sentence comes from the checkpoint's own record of its training data."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from ssa.model_card import UNKNOWN, training_data_sentence

ROOT = Path(__file__).resolve().parents[1]

CONVENTION = {"requested": "auto", "texts": "viewer", "model": "radiological", "converted": True,
              "agreement": {"radiological": 0.034, "viewer": 0.966}, "n_compared": 1066, "note": ""}

# A run's data.json before negatives and real CT (the previous checkpoint's shape).
DATA = {
    "dataset": "qata", "mode": "mixed",
    "text_convention": CONVENTION,
    "text_convention_line": "text convention: viewer (auto); sides swapped",
    "shares": {"report": 0.595, "referring": 0.255, "synthetic": 0.15},
    "train_cases": {"report": 5716, "referring": 9279, "synthetic": 100000},
    "epoch_length": 9607, "val_split": "val", "val_cases": {"report": 200, "referring": 330, "synthetic": 35},
}

# The new run's shape (runs/demo-v3/data.json): negatives, normal X-rays, real CT sets.
NEW_DATA = {
    "dataset": "qata", "data_root": "/root/data/data/QaTa", "mode": "mixed",
    "text_convention": CONVENTION,
    "text_convention_line": "text convention: viewer (auto); sides swapped",
    "shares": {"report": 0.385, "referring": 0.165, "synthetic": 0.08, "negative": 0.27, "ct": 0.1},
    "train_cases": {"report": 5716, "referring": 9279, "synthetic": 100000, "negative": 22417, "ct": 151},
    "negative_cases": {"wrong_side": 1027, "empty_zone": 2790, "healthy": 18600},
    "ct_cases": {"covid_semiseg": {"report": 45, "referring": 79, "wrong_side": 5, "val": 5},
                 "pyradiomics_lung": {"report": 11, "referring": 0, "wrong_side": 11, "val": 0}},
    "normals_root": "/root/data/normals/covid19-radiography",
    "epoch_length": 14847, "val_split": "val",
    "val_cases": {"report": 200, "referring": 301, "negative": 185, "ct": 5, "synthetic": 17},
}

OLD_ARGS = {"preset": "tiny", "dataset": "qata", "data_root": "/x", "batch_size": 8, "steps": 20, "out": "run"}
NEW_ARGS = {
    "preset": "tiny", "dataset": "qata", "data_root": "/root/data/data/QaTa", "out": "runs/demo-v3", "steps": 20,
    "batch_size": 8, "lr": 0.0003, "warmup": 100, "eval_every": 500, "seed": 0, "threads": 2, "time_budget": 4200.0,
    "init": "checkpoints/ssa-demo", "mode": "mixed", "text_convention": "auto", "referring_share": 0.3,
    "synthetic_share": 0.08, "negative_share": 0.27, "normals_root": "/root/data/normals/covid19-radiography",
    "ct_data": ["covid_semiseg=/root/data/ct/covid_semiseg", "pyradiomics_lung=/root/data/ct/pyradiomics_lung"],
    "ct_share": 0.1, "modality": "ct", "val_size": 200, "set": ["outside_region=sides", "lung_band=[0.05,0.8]"],
}

CALIBRATION = {"checkpoint": "x", "split": "val", "n_positive": 655, "n_negative": 1421,
               "presence_auc": 0.9712, "rule_auc": 0.9034,
               "chosen": {"threshold": 0.375, "dice_positive": 0.8123, "clean_rate": 0.9345, "positives_kept": 0.9567,
                          "objective": 0.87}}


def _result(dice: float, iou: float, wsr: float | None, n: int, pooled: float | None = None, **extra) -> dict:
    out = {"dice": dice, "iou": iou, "wrong_side_rate": wsr, "n": n, "n_one_side": n // 2, **extra}
    if pooled is not None:
        out.update(pooled_dice=pooled, truth_wrong_side_rate=0.039, presence_head=True, presence_threshold=0.375,
                   image_size=224)
    return out


def _negatives(kinds: dict[str, tuple[int, float, float]], **extra) -> dict:
    by_kind = {k: {"dice": c, "iou": c, "wrong_side_rate": None, "n": n, "n_one_side": 0, "pooled_dice": None,
                   "n_positive": 0, "n_negative": n, "clean_rate": c, "painted_median": p}
               for k, (n, c, p) in kinds.items()}
    n = sum(v[0] for v in kinds.values())
    return {"dice": 0.9, "iou": 0.9, "wrong_side_rate": None, "n": n, "n_one_side": 0, "pooled_dice": None,
            "n_positive": 0, "n_negative": n, "clean_rate": 0.9111, "painted_median": 0.0004, "by_kind": by_kind,
            "presence_head": True, "presence_threshold": 0.375, **extra}


NEW_RESULTS = {
    "qata_test_report": _result(0.8612, 0.77, 0.01, 2113, pooled=0.9012, gated_rate=0.004),
    "qata_test_referring": _result(0.8301, 0.72, 0.02, 3343, pooled=0.8555),
    "qata_test_referring_unseen": _result(0.8123, 0.70, 0.03, 3343, pooled=0.8444),
    "qata_test_negatives": _negatives({"wrong_side": (380, 0.8421, 0.0012), "empty_zone": (1012, 0.9032, 0.0),
                                       "healthy": (5310, 0.9876, 0.0)}, normals_root="/root/data/normals/x"),
    "ct_covid_semiseg_test_report": _result(0.6543, 0.50, 0.05, 48, pooled=0.7021),
    "ct_covid_semiseg_test_referring": _result(0.6111, 0.46, 0.06, 70, pooled=0.6789),
    "ct_covid_semiseg_test_negatives": _negatives({"wrong_side": (21, 0.7619, 0.0031)}),
    "xray_report": _result(0.50, 0.36, 0.0, 200, pooled=0.55),
    "ct_report": _result(0.86, 0.78, 0.0, 200, pooled=0.88),
}


def write_card(tmp_path: Path, model, results: dict, data: dict, train_args: dict, presence: bool = False,
               calibration: dict | None = None) -> Path:
    """A checkpoint folder (``model`` saved, ``results`` as eval JSONs) and a run folder, then the
    card written by the script; returns the checkpoint folder."""
    ckpt, run = tmp_path / "ckpt", tmp_path / "run"
    model.save_pretrained(ckpt)
    if presence:
        config = json.loads((ckpt / "config.json").read_text())
        (ckpt / "config.json").write_text(json.dumps({**config, "presence_head": True, "presence_threshold": 0.375}))
    if calibration is not None:
        (ckpt / "calibration.json").write_text(json.dumps(calibration))
    (ckpt / "eval").mkdir()
    for name, r in results.items():
        (ckpt / "eval" / f"{name}.json").write_text(json.dumps(r))
    run.mkdir()
    (run / "data.json").write_text(json.dumps(data))
    (run / "train_args.json").write_text(json.dumps(train_args))
    (run / "log.csv").write_text("step,images_per_s,val_dice\n10,9.5,0.70\n20,9.0,0.75\n")
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "write_model_card.py"), "--checkpoint", str(ckpt),
                           "--run", str(run), "--init-commit", "ba4c9fe"], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    return ckpt


@pytest.fixture()
def card(tmp_path, tiny_model):
    """The previous checkpoint's shapes: two QaTa JSONs without pooled Dice, one synthetic, no
    negatives, no real CT, no presence head."""
    results = {"qata_test_report": _result(0.8612, 0.77, 0.01, 2113),
               "qata_test_referring": _result(0.8301, 0.72, 0.02, 3343),
               "ct_report": _result(0.86, 0.78, 0.0, 200)}
    return write_card(tmp_path, tiny_model, results, DATA, OLD_ARGS)


@pytest.fixture()
def new_card(tmp_path, tiny_model):
    """The new run's shapes: every JSON, negatives, real CT, a calibrated presence head."""
    return write_card(tmp_path, tiny_model, NEW_RESULTS, NEW_DATA, NEW_ARGS, presence=True, calibration=CALIBRATION)


def _section(text: str, title: str) -> str:
    """The body of the ``## title`` section."""
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, flags=re.S | re.M)
    assert match, title
    return match.group(1)


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
    # Old JSONs have no pooled Dice and there were no negatives: no such metrics are invented.
    assert not any("Pooled" in name or "Clean" in name for name in values)
    # A run without normals or real CT does not name those sets.
    assert data.datasets == ["QaTa-COV19"]


def test_card_states_provenance_conversion_splits_and_use(card):
    text = (card / "README.md").read_text()
    for words in ("Not for clinical use", "QaTa-COV19", "LViT", "SGSeg", "5,716", "2,113", "viewer",
                  "terms carry over", "text convention: viewer (auto); sides swapped",
                  "| QaTa-COV19 test (real X-rays) | report | 0.861 | n/a |", "best validation Dice 0.750 at step 20",
                  "CT is synthetic-only", "has no presence head"):
        assert words in text, words
    # The run's records travel with the weights, without this machine's data path.
    for name in ("training_data.json", "training_args.json"):
        assert json.loads((card / "eval" / name).read_text())["data_root"] == "DATA_ROOT"
    # Sets the run did not train on are not claimed.
    for absent in ("Radiography Database", "medicalsegmentation.com", "pyradiomics", "non-commercial"):
        assert absent not in text, absent


def test_missing_jsons_drop_their_rows(card):
    text = (card / "README.md").read_text()
    evaluation = _section(text, "Evaluation")
    assert "| QaTa-COV19 test (real X-rays) | referring |" in evaluation
    assert "| synthetic ct | report |" in evaluation
    for absent in ("unseen phrasings |", "| synthetic xray |", "| synthetic ct | referring |", "real CT slices) |",
                   "clean rate", "Inf-Net", "--mode negatives", "--phrasing unseen", "UNSEEN_TEMPLATES", "presence decision applied"):
        assert absent not in evaluation, absent
    # Published QaTa figures stay beside ours; pooled Dice was not measured, so "n/a" stands beside it.
    assert "| QaTa-COV19 test | GuideDecoder | pooled Dice | 0.8978 | n/a |" in evaluation
    assert "could not be evaluated" in evaluation


def test_new_card_front_matter_has_pooled_dice_clean_rates_and_datasets(new_card):
    from huggingface_hub import ModelCard

    data = ModelCard.load(new_card / "README.md").data
    assert data.datasets == ["QaTa-COV19", "COVID-19 Radiography Database (normal X-rays)",
                             "COVID-19 CT segmentation dataset (Inf-Net copy)", "pyradiomics lung1/lung2 test data"]
    values = {r.metric_name: r.metric_value for r in data.eval_results}
    assert values["Dice (report)"] == pytest.approx(0.8612)
    assert values["Pooled Dice (report)"] == pytest.approx(0.9012)
    assert values["Pooled Dice (referring, unseen phrasings)"] == pytest.approx(0.8444)
    assert values["Clean rate (negatives, all kinds)"] == pytest.approx(0.9111)
    assert values["Clean rate (wrong side)"] == pytest.approx(0.8421)
    assert values["Clean rate (healthy X-rays)"] == pytest.approx(0.9876)
    assert values["Dice (real CT, report)"] == pytest.approx(0.6543)
    assert values["Pooled Dice (real CT, report)"] == pytest.approx(0.7021)
    assert values["Clean rate (real CT, wrong side)"] == pytest.approx(0.7619)
    datasets = {r.dataset_type for r in data.eval_results}
    assert datasets == {"QaTa-COV19", "COVID-19-CT-segmentation"}


def test_new_card_evaluation_has_both_dice_columns_and_published_numbers_beside_ours(new_card):
    text = (new_card / "README.md").read_text()
    evaluation = _section(text, "Evaluation")
    assert "| data | mode | Dice (per image) | Dice (pooled) | IoU | wrong-side rate | said no |" in evaluation
    for row in ("| QaTa-COV19 test (real X-rays) | report | 0.861 | 0.901 | 0.770 | 0.010 (ground truth 0.039) | "
                "0.004 | 2113 (1056) |",
                "| QaTa-COV19 test (real X-rays) | referring | 0.830 | 0.856 |",
                "| QaTa-COV19 test (real X-rays) | referring, unseen phrasings | 0.812 | 0.844 |",
                "| COVID-19 CT segmentation test (real CT slices) | report | 0.654 | 0.702 |",
                "| COVID-19 CT segmentation test (real CT slices) | referring | 0.611 | 0.679 |",
                "| synthetic xray | report | 0.500 | 0.550 |"):
        assert row in evaluation, row
    # Published numbers, each beside ours under the metric its code computes.
    for row in ("| LViT (Li et al., IEEE TMI 2023) | per-image mean Dice | 0.8366 | 0.8612 |",
                "| GuideDecoder | pooled Dice | 0.8978 | 0.9012 |",
                "| DD-CMD | pooled Dice | 0.9146 | 0.9012 |",
                "| Dice, metric not stated | 0.9165 | 0.8612 per image, 0.9012 pooled |",
                "| Inf-Net (Fan et al., IEEE TMI 2020) | per-image mean Dice (their evaluation code, at 352 px) | 0.682 | "
                "0.6543 (at 224 px) |",
                "| Semi-Inf-Net (Fan et al., IEEE TMI 2020) | per-image mean Dice (their evaluation code, at 352 px) | "
                "0.739 | 0.6543 (at 224 px) |"):
        assert row in evaluation, row
    assert "MosMedData+ (published Dice: SSA paper 0.8037, LViT 0.7457, DD-CMD 0.8195) could not be evaluated" in evaluation
    # The exact commands.
    for cmd in ("--dataset qata --data-root DATA_ROOT --split test --text-convention auto --mode referring --phrasing "
                f"unseen --n 0 --out {new_card}/eval/qata_test_referring_unseen.json",
                "--mode negatives --normals-root NORMALS_ROOT --n 0 "
                f"--out {new_card}/eval/qata_test_negatives.json",
                "--dataset covid_semiseg --data-root CT_ROOT --split test --mode report --n 0 "
                f"--out {new_card}/eval/ct_covid_semiseg_test_report.json",
                "--dataset covid_semiseg --data-root CT_ROOT --split test --mode negatives --kinds wrong_side --n 0"):
        assert cmd in evaluation, cmd


def test_new_card_negatives_table(new_card):
    evaluation = _section((new_card / "README.md").read_text(), "Evaluation")
    assert "| data | kind | n | clean rate | median painted share |" in evaluation
    for row in ("| QaTa-COV19 test X-rays | wrong side (the side without a lesion) | 380 | 0.842 | 0.12% |",
                "| QaTa-COV19 test X-rays | empty zone (a lesion-free zone of a side with a lesion) | 1012 | 0.903 | "
                "0.00% |",
                "| COVID-19 Radiography Database normals, held-out test split | healthy (held-out normal X-rays, 3 fixed "
                "texts each) | 5310 | 0.988 |",
                "| all of the above | all kinds | 6702 | 0.911 | 0.04% |",
                "| COVID-19 CT segmentation test (real CT slices) | wrong side (the side without a lesion) | 21 | 0.762 | "
                "0.31% |"):
        assert row in evaluation, row
    assert "less than 0.5% of the image painted" in evaluation


def test_new_card_credits_every_dataset_and_its_terms(new_card):
    text = (new_card / "README.md").read_text()
    data = _section(text, "Training data")
    for words in (
        # QaTa, as before
        "Degerli et al.", "ShuchangYe-bib/SGSeg", "LViT",
        # normal X-rays
        "COVID-19 Radiography Database", "Chowdhury et al.", "IEEE Access 8 (2020) 132665–132676",
        "T. Rahman", "arXiv:2012.02238", "RSNA Pneumonia", "NIH ChestX-ray14",
        "NIH Clinical Center without\n  use restrictions", "1,341 paediatric", "CC BY 4.0", "**excluded**",
        "rtchanon/Machine-Learning-for-COVID-19-detection-from-chest-X-RAYS", "224×224 px by that repository's",
        "states no licence", "70 / 10 / 20 %", "seeded hash",
        # real CT
        "medicalsegmentation.com", "Italian Society of\n  Medical and Interventional Radiology", "DengPingFan/Inf-Net",
        "IEEE TMI\n  2020", "non-commercial use only", "50 train slices (here 45 train + 5\n  validation",
        "48 test slices", "transposed", "radiological orientation", "QaTa's caption template",
        "thirds of the lung's\n  vertical extent", "pyradiomics", "BSD-3-Clause", "does not say where the scans come from",
        # negatives: how each kind is derived, and the counts
        "1,027 wrong-side, 2,790 empty-zone, 18,600 healthy-X-ray cases", "lesion valley", "safety margin of a third",
        "3 random texts",
        # MosMed, and the mix from data.json
        "MosMedData+ (not used)", "*opposite*", "38.5% QaTa report", "27.0% negative", "10.0% real CT",
        "151 real CT cases", "5 real CT",
    ):
        assert words in data, words
    assert "allows **non-commercial use only**" in text
    headline = text.split("# SSA demo checkpoint (`ssa-demo`)", 1)[1].split("\n\n")[1]
    for words in ("Research demo. Not for clinical use.", "QaTa-COV19", "converted to the patient's",
                  "real normal chest X-rays", "as negatives", "COVID-19 CT segmentation set, 45 train slices",
                  "pyradiomics' lung tumour CT, 11 train slices", "synthetic CT", "say **no**"):
        assert words in headline, words
    licence = (new_card / "LICENSE.md").read_text()
    for words in ("QaTa-COV19", "COVID-19 Radiography Database", "no licence", "Kermany", "NIH Clinical Center",
                  "COVID-19 CT segmentation dataset", "Non-commercial use only", "no commercial\nuse",
                  "BSD-3-Clause", "Research use only"):
        assert words in licence, words
    limitations = _section(text, "Limitations")
    assert "45 training slices of one set" in limitations and "cropped to its" in limitations
    assert "presence score" in limitations


def test_new_card_presence_section(new_card):
    section = _section((new_card / "README.md").read_text(), "Presence decision")
    for words in ("**0.375**", "`presence_threshold`", "stride-4 features", "top 1% of the mask logits",
                  "655 positive cases", "1421 negatives",
                  "| ROC AUC of the presence head (present vs absent) | 0.971 |",
                  "| ROC AUC of the weight-free rule (top 1% of mask probabilities in the region) | 0.903 |",
                  "| positives kept at it | 95.7% |", "| negatives clean at it | 93.5% |",
                  "| mean Dice of the positives at it (emptied ones score 0) | 0.812 |",
                  f"python -m ssa.calibrate --checkpoint {new_card} --data-root DATA_ROOT --normals-root NORMALS_ROOT "
                  "--write"):
        assert words in section, words


def test_new_card_training_command_is_complete_with_placeholders(new_card):
    from ssa.training import parse_args

    text = (new_card / "README.md").read_text()
    assert "/root/data" not in text
    block = _section(text, "Training").split("```")[1]
    assert "bash scripts/make_demo_checkpoint.sh DATA_ROOT NORMALS_ROOT CT_ROOT PYRADIOMICS_ROOT" in block
    command = next(line for line in block.splitlines() if line.startswith("python train.py "))
    for flag in ("--negative-share 0.27", "--normals-root NORMALS_ROOT",
                 "--ct-data covid_semiseg=CT_ROOT pyradiomics_lung=PYRADIOMICS_ROOT", "--ct-share 0.1",
                 "--set 'outside_region=sides' --set 'lung_band=[0.05,0.8]'", "--data-root DATA_ROOT"):
        assert flag in command, flag
    # Copy-pasteable: train.py's own parser reads it back to the run's arguments (roots as placeholders).
    args = vars(parse_args(shlex.split(command)[2:]))
    expected = {**NEW_ARGS, "data_root": "DATA_ROOT", "normals_root": "NORMALS_ROOT",
                "ct_data": ["covid_semiseg=CT_ROOT", "pyradiomics_lung=PYRADIOMICS_ROOT"]}
    for key, value in expected.items():
        assert args[key] == value, key
    # The records beside the weights hold no machine paths either.
    for name in ("training_data.json", "training_args.json"):
        assert "/root/data" not in (new_card / "eval" / name).read_text()
    record = json.loads((new_card / "eval" / "training_args.json").read_text())
    assert record["normals_root"] == "NORMALS_ROOT" and record["ct_data"][0] == "covid_semiseg=CT_ROOT"
    assert record["init_commit"] == "ba4c9fe"  # where the run started: the banner says it


def test_banner_sentence_follows_the_checkpoints_record(tmp_path):
    assert training_data_sentence(tmp_path) == UNKNOWN
    (tmp_path / "eval").mkdir()
    (tmp_path / "eval" / "training_data.json").write_text(json.dumps(DATA))
    sentence = training_data_sentence(tmp_path)
    assert sentence == ("Trained on 5,716 real QaTa-COV19 chest X-rays (COVID-19) with the captions' sides converted "
                        "to the patient's and synthetic CT slices.")
    assert "steps" not in sentence  # no log recorded: no claim about how long
    (tmp_path / "eval" / "training_log.csv").write_text("step,images_per_s,val_dice\n10,8.0,\n3000,8.0,0.8\n")
    (tmp_path / "eval" / "training_args.json").write_text(json.dumps({"batch_size": 8}))
    assert "for 3,000 steps of 8 images (about 50 min of training)" in training_data_sentence(tmp_path)
    # A run that continued an earlier checkpoint says so, and which one when recorded.
    (tmp_path / "eval" / "training_args.json").write_text(json.dumps({"batch_size": 8, "init": "runs/x/init"}))
    assert "(about 50 min of training, continuing an earlier checkpoint)" in training_data_sentence(tmp_path)
    (tmp_path / "eval" / "training_args.json").write_text(
        json.dumps({"batch_size": 8, "init": "runs/x/init", "init_commit": "8f2a40c"}))
    assert "training, continuing the checkpoint shipped at commit 8f2a40c)" in training_data_sentence(tmp_path)
    (tmp_path / "eval" / "training_data.json").write_text(json.dumps({"dataset": "synthetic"}))
    assert "synthetic images only" in training_data_sentence(tmp_path)
    (tmp_path / "eval" / "training_data.json").write_text("[1, 2]")
    assert training_data_sentence(tmp_path) == UNKNOWN


def test_banner_sentence_names_the_negatives_and_real_ct(tmp_path):
    (tmp_path / "eval").mkdir()
    (tmp_path / "eval" / "training_data.json").write_text(json.dumps(NEW_DATA))
    sentence = training_data_sentence(tmp_path)
    assert sentence == (
        "Trained on 5,716 real QaTa-COV19 chest X-rays (COVID-19) with the captions' sides converted to the "
        "patient's; 18,600 texts on real normal chest X-rays (COVID-19 Radiography Database) and 3,817 wrong-side "
        "or empty-zone texts as negatives; 45 real CT slices from the COVID-19 CT segmentation set and 11 from "
        "pyradiomics' lung tumour CT; and synthetic CT slices.")
    # Without normal X-rays (no --normals-root) or with a CT share of 0, those are not claimed.
    no_normals = {**NEW_DATA, "negative_cases": {"wrong_side": 1027, "empty_zone": 2790, "healthy": 0},
                  "normals_root": "None", "shares": {**NEW_DATA["shares"], "ct": 0.0}}
    (tmp_path / "eval" / "training_data.json").write_text(json.dumps(no_normals))
    sentence = training_data_sentence(tmp_path)
    assert "normal chest X-rays" not in sentence and "CT segmentation" not in sentence
    assert "3,817 wrong-side or empty-zone texts as negatives" in sentence


def test_presence_head_without_calibration_record(tmp_path, tiny_model):
    ckpt = write_card(tmp_path, tiny_model, {"qata_test_report": NEW_RESULTS["qata_test_report"]}, NEW_DATA, NEW_ARGS,
                      presence=True)
    text = (ckpt / "README.md").read_text()
    section = _section(text, "Presence decision")
    assert "**0.375**" in section and "No calibration record" in section and "python -m ssa.calibrate" in section
    evaluation = _section(text, "Evaluation")
    assert "presence decision applied" in evaluation
    assert "| QaTa-COV19 test (real X-rays) | report | 0.861 | 0.901 |" in evaluation
    for absent in ("| QaTa-COV19 test (real X-rays) | referring", "real CT slices) |", "| synthetic", "clean rate",
                   "Inf-Net (Fan", "--phrasing unseen"):
        assert absent not in evaluation, absent
