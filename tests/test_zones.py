"""Zones versus sides: the outside-region penalty on the named sides only
(``SSAConfig.outside_region``) and the zone check of a dataset (``ssa.data.check_zones``)."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
import torch

from ssa.config import SSAConfig, preset_config
from ssa.data.check_zones import main as check_zones_main
from ssa.losses import side_region, ssa_loss
from tests.sgseg_fixture import make_sgseg

H = W = 32


def _lower_right_guidance() -> torch.Tensor:
    """``[1, 1, H, W]``: the lower rows of the image's right half, as a one-zone text gives."""
    g = torch.zeros(1, 1, H, W)
    g[..., 22:, W // 2 :] = 1.0
    return g


def _prediction(rows: slice, cols: slice) -> torch.Tensor:
    logits = torch.full((1, 1, H, W), -12.0)
    logits[..., rows, cols] = 12.0
    return logits


def _outside(config: SSAConfig, logits: torch.Tensor) -> float:
    output = SimpleNamespace(logits=logits, guidance=_lower_right_guidance(), plans=[], prompt=None, presence=None)
    return float(ssa_loss(output, (logits > 0).float(), config)["outside"])


def test_side_region_keeps_the_columns_and_drops_the_rows():
    region = side_region(_lower_right_guidance())
    assert region.shape == (1, 1, H, W)
    assert bool((region[..., :, W // 2 :] == 1).all()) and bool((region[..., :, : W // 2] == 0).all())


def test_sides_mode_spares_a_lesion_outside_the_named_zone_but_not_one_on_the_other_side():
    zones = preset_config("tiny", outside_dilation=0.0)
    sides = preset_config("tiny", outside_dilation=0.0, outside_region="sides")
    upper_right = _prediction(slice(2, 10), slice(W // 2 + 2, W - 2))  # the named side, another zone
    lower_left = _prediction(slice(22, 30), slice(2, W // 2 - 2))  # the named zone's rows, other side
    assert _outside(zones, upper_right) > 0.9
    assert _outside(sides, upper_right) < 0.01
    assert _outside(zones, lower_left) > 0.9 and _outside(sides, lower_left) > 0.9


def test_outside_region_is_checked():
    with pytest.raises(ValueError, match="outside_region"):
        SSAConfig(outside_region="rows")
    assert SSAConfig.from_dict(SSAConfig(outside_region="sides").to_dict()).outside_region == "sides"


def test_check_zones_measures_sides_and_zones_and_fits_a_band(tmp_path, capsys):
    root = make_sgseg(tmp_path / "QaTa")
    out = tmp_path / "zones.json"
    assert check_zones_main(["--dataset", "qata", "--data-root", str(root), "--split", "train", "--fit",
                             "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    measured, fitted = report["measured"], report["fitted"]
    assert measured["n_cases"] == 9 and measured["lung_band"] == [0.1, 0.9]
    # The fixture's lesions lie on the side their (converted) captions name, always.
    assert measured["off_named_sides"] == pytest.approx(0.0)
    shares = measured["inside_region"] + measured["off_named_sides"] + measured["off_named_zones"]
    assert shares == pytest.approx(1.0)
    assert fitted["inside_region"] >= measured["inside_region"]
    assert "best fit" in capsys.readouterr().out


def test_check_zones_names_a_missing_dataset(tmp_path, capsys):
    assert check_zones_main(["--dataset", "qata", "--data-root", str(tmp_path / "nowhere")]) == 2
    assert "nowhere" in capsys.readouterr().err
