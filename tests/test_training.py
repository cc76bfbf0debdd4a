"""The training loop: checkpoints, exact resume, DDP, augmentation consistency."""

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import torch

import ssa
from bench.app_server import free_port
from ssa.data.augment import hflip
from ssa.training import main as train_main

ROOT = Path(__file__).resolve().parents[1]
BASE = ["--preset", "tiny", "--dataset", "synthetic", "--batch-size", "2", "--val-size", "4",
        "--warmup", "2", "--modality", "xray", "--no-progress", "--log-every", "1", "--threads", "1"]


def _weights(run: Path) -> dict:
    from safetensors.torch import load_file

    return load_file(str(run / "last" / "model.safetensors"))


def test_few_steps_write_loadable_checkpoints(tmp_path):
    summary = train_main([*BASE, "--out", str(tmp_path), "--steps", "3", "--eval-every", "2"])
    assert summary["step"] == 3
    for name in ("last", "best"):
        model = ssa.load_model(tmp_path / name)
        assert model.config.preset == "tiny"
    assert (tmp_path / "curves.png").stat().st_size > 1000
    rows = list(csv.DictReader(open(tmp_path / "log.csv")))
    assert [int(r["step"]) for r in rows] == [1, 2, 3]
    assert rows[1]["val_dice"] != "" and rows[2]["val_dice"] != ""
    # Release weights and training state load without pickled code.
    state = torch.load((tmp_path / "last").resolve() / "training_state.pt", weights_only=True)
    assert state["step"] == 3


def _log_lines(run: Path) -> list[str]:
    return (run / "log.csv").read_text().splitlines()


def test_resume_equals_uninterrupted(tmp_path):
    straight, split2 = tmp_path / "straight", tmp_path / "split"
    train_main([*BASE, "--out", str(straight), "--steps", "6", "--eval-every", "3"])
    # The split run stops after 3 steps (the total stays 6, so the LR schedule is the same).
    train_main([*BASE, "--out", str(split2), "--steps", "6", "--eval-every", "3", "--stop-after", "3"])
    before = _log_lines(split2)
    assert int(before[-1].split(",")[0]) == 3
    args_before = (split2 / "train_args.json").read_text()
    summary = train_main([*BASE, "--out", str(split2), "--steps", "6", "--eval-every", "3", "--resume"])
    assert summary["resumed_from"] == 3
    a, b = _weights(straight), _weights(split2)
    assert a.keys() == b.keys()
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=1e-5, atol=1e-6, msg=k)
    after = _log_lines(split2)
    assert [int(r.split(",")[0]) for r in after[1:]] == [1, 2, 3, 4, 5, 6]  # no duplicates
    # The rows before the resume are the ones the first start wrote (their images/s column
    # would differ in a rerun from scratch), and the first start's arguments are kept.
    assert after[: len(before)] == before
    assert (split2 / "train_args.json").read_text() == args_before


def test_resume_with_changed_arguments_says_what_differs(tmp_path, capsys):
    train_main([*BASE, "--out", str(tmp_path), "--steps", "4", "--eval-every", "2", "--stop-after", "2"])
    saved = (tmp_path / "train_args.json").read_text()
    train_main([*BASE, "--out", str(tmp_path), "--steps", "4", "--eval-every", "2", "--resume", "--lr", "0.001",
                "--threads", "1"])
    err = capsys.readouterr().err
    assert "resuming" in err and "--lr 0.0003 -> 0.001" in err
    assert "--threads" not in err.split("differ", 1)[-1]  # operational arguments may change
    assert (tmp_path / "train_args.json").read_text() == saved
    record = [json.loads(line) for line in (tmp_path / "resumes.jsonl").read_text().splitlines()]
    assert record == [{"step": 2, "changed": ["--lr 0.0003 -> 0.001"]}]


def test_two_process_gloo_ddp_matches_one_process_at_the_same_global_batch(tmp_path):
    """2 processes x 2 images == 1 process x 2 micro-steps of 2 (same samples, averaged
    gradients): the trained parameters agree. Without DDP's all-reduce each process would
    step on its own half of the batch and rank 0's weights would differ."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MASTER_ADDR": "127.0.0.1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--nnodes", "1",
           "--master_addr", "127.0.0.1", "--master_port", str(free_port()),
           str(ROOT / "train.py"), *BASE, "--out", str(tmp_path / "ddp"), "--steps", "3", "--eval-every", "3"]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert int(list(csv.DictReader(open(tmp_path / "ddp" / "log.csv")))[-1]["step"]) == 3
    train_main([*BASE, "--out", str(tmp_path / "one"), "--steps", "3", "--eval-every", "3", "--grad-accum", "2"])
    ddp, one = _weights(tmp_path / "ddp"), _weights(tmp_path / "one")
    params = {name for name, _ in ssa.load_model(tmp_path / "one" / "last").named_parameters()}
    compared = 0
    for k in sorted(params & one.keys()):  # parameters; BatchNorm running stats are per process
        torch.testing.assert_close(ddp[k], one[k], rtol=1e-4, atol=1e-5, msg=k)
        compared += 1
    assert compared > 10
    start = ssa.create_model("tiny")  # and training moved them: the comparison is not vacuous
    assert any(not torch.allclose(v, one[k]) for k, v in start.state_dict().items() if k in params & one.keys())


def test_flip_swaps_the_words_and_the_mask_together():
    image = np.zeros((8, 8), np.float32)
    mask = np.zeros((8, 8), bool)
    mask[5:, 6:] = True  # image right = patient left (radiological)
    image[mask] = 1
    img2, mask2, text2 = hflip(image, mask, "Unilateral pulmonary infection, one infected area, lower Left lung.")
    assert text2 == "Unilateral pulmonary infection, one infected area, lower Right lung."
    assert mask2[5:, :2].all() and mask2.sum() == mask.sum()
    np.testing.assert_array_equal(img2, mask2.astype(np.float32))
    # The flipped pair is still consistent: the text's side is where the mask is.
    from ssa.metrics import other_side_fraction

    assert other_side_fraction(mask2, "right") == 0.0


def test_resume_from_a_damaged_checkpoint_is_a_clear_error(tmp_path):
    train_main([*BASE, "--out", str(tmp_path), "--steps", "2", "--eval-every", "2"])
    state = (tmp_path / "last").resolve() / "training_state.pt"
    state.write_bytes(state.read_bytes()[:200])
    cmd = [sys.executable, str(ROOT / "train.py"), *BASE, "--out", str(tmp_path), "--steps", "4", "--resume"]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=240,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert proc.returncode == 2
    assert "training_state.pt: not a readable training state" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_repeated_set_flags_all_apply(tmp_path):
    """``--set a=1 --set b=2`` overrides both fields (argparse's default would keep only b)."""
    from ssa.training import parse_args

    args = parse_args(["--out", str(tmp_path), "--set", "outside_region=sides", "--set", "lung_band=[0.05,0.8]",
                       "dim=48"])
    assert args.set == ["outside_region=sides", "lung_band=[0.05,0.8]", "dim=48"]
    train_main([*BASE, "--out", str(tmp_path), "--steps", "1", "--eval-every", "1",
                "--set", "outside_region=sides", "--set", "lung_band=[0.05,0.8]"])
    config = ssa.load_model(tmp_path / "last").config
    assert config.outside_region == "sides" and config.lung_band == (0.05, 0.8)
