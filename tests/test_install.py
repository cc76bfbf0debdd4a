"""The package works from any folder: ``make setup`` installs it editable, with console scripts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
SCRIPTS = ("ssa-train", "ssa-evaluate", "ssa-predict", "ssa-demo")


def run_elsewhere(cmd: list[str], folder: Path) -> subprocess.CompletedProcess:
    """``cmd`` in ``folder``, outside the checkout, with no PYTHONPATH pointing at it."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run(cmd, cwd=folder, env={**env, "HF_HUB_OFFLINE": "1"}, capture_output=True,
                          text=True, timeout=120)


@pytest.mark.parametrize("module", ["ssa.evaluate", "ssa.predict", "ssa.data.check_laterality"])
def test_modules_run_from_another_folder(module: str, tmp_path: Path) -> None:
    proc = run_elsewhere([sys.executable, "-m", module, "--help"], tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "usage:" in proc.stdout


@pytest.mark.parametrize("script", SCRIPTS)
def test_console_scripts_are_installed(script: str, tmp_path: Path) -> None:
    path = BIN / script
    assert path.exists(), f"{path} missing: run `make setup` (it installs the package editable)"
    proc = run_elsewhere([str(path), "--help"], tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "usage:" in proc.stdout


def test_ssa_train_names_a_missing_data_root(tmp_path: Path) -> None:
    proc = run_elsewhere([str(BIN / "ssa-train"), "--dataset", "qata", "--data-root", str(tmp_path / "nowhere"),
                          "--out", str(tmp_path / "run")], tmp_path)
    assert proc.returncode == 2
    assert "error:" in proc.stderr and "nowhere" in proc.stderr and "Traceback" not in proc.stderr
