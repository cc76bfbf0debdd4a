"""Crash safety: a training run killed with SIGKILL loses at most the steps since its last
checkpoint, and the resumed run continues the log without duplicate steps."""

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import ssa

ROOT = Path(__file__).resolve().parents[1]
ARGS = ["--preset", "tiny", "--dataset", "synthetic", "--modality", "xray", "--batch-size", "2",
        "--val-size", "4", "--warmup", "2", "--log-every", "1", "--eval-every", "4", "--steps", "16",
        "--threads", "1", "--no-progress"]


def _steps(log: Path) -> list[int]:
    if not log.exists():
        return []
    with open(log, newline="") as f:
        return [int(r["step"]) for r in csv.DictReader(f) if r.get("step")]


def test_sigkill_then_resume(tmp_path):
    out = tmp_path / "run"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, str(ROOT / "train.py"), *ARGS, "--out", str(out)]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 180
    # Kill it between checkpoints: after step 6 is logged (last checkpoint: step 4).
    while time.time() < deadline and max(_steps(out / "log.csv"), default=0) < 6:
        assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    killed_at = max(_steps(out / "log.csv"))
    assert 6 <= killed_at < 16
    last = (out / "last").resolve()
    saved = int(last.name.split("-")[1])
    assert saved % 4 == 0 and killed_at - saved < 4 + 1  # only steps after the checkpoint are lost
    assert ssa.load_model(out / "last").config.preset == "tiny"  # what is on disk is whole
    kept = (out / "log.csv").read_text().splitlines()[: 1 + saved]  # header + rows up to the checkpoint
    weights = (last / "model.safetensors").read_bytes()

    subprocess.run([*cmd, "--resume"], cwd=ROOT, env=env, check=True, timeout=300,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    steps = _steps(out / "log.csv")
    assert steps == list(range(1, 17))  # continues from the checkpoint, no duplicates
    # What was written before the kill is untouched: the rows up to the checkpoint (a rerun
    # from scratch would rewrite them with other images/s) and the checkpoint it resumed from.
    assert (out / "log.csv").read_text().splitlines()[: 1 + saved] == kept
    if last.exists():  # still there when it is also the best checkpoint
        assert (last / "model.safetensors").read_bytes() == weights
    assert not list((out / "checkpoints").glob(".tmp-*"))  # no half-written checkpoint left


def test_resume_over_a_half_written_checkpoint_then_early_stop(tmp_path):
    """A run killed while writing a checkpoint leaves ``checkpoints/.tmp-*``; resuming must
    remove it and still count evaluations that do not improve (``--patience``) without error."""
    from ssa.training import main as train_main

    out = tmp_path / "run"
    base = [*ARGS, "--out", str(out), "--eval-every", "1", "--lr", "0"]  # later flags win
    train_main([*base, "--steps", "8", "--stop-after", "1"])
    leftover = out / "checkpoints" / ".tmp-step-0000002"
    leftover.mkdir()
    (leftover / "model.safetensors").write_bytes(b"half written")
    # lr 0: every evaluation after the first equals it, so none is better and patience runs out.
    summary = train_main([*base, "--steps", "8", "--resume", "--patience", "2"])
    assert summary["step"] == 3  # evaluations at steps 2 and 3 did not improve: early stop
    assert not leftover.exists()
    assert _steps(out / "log.csv") == [1, 2, 3]
