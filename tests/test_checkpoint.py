"""Save -> load round trips exactly; bad checkpoints are named and explained."""

import json
from pathlib import Path

import pytest
import torch

import ssa
from ssa.checkpoint import CheckpointError

TEXT = ["Bilateral pulmonary infection, two infected areas, upper left lung and lower right lung."]


def _outputs(model):
    torch.manual_seed(1)
    images = torch.rand(1, 1, model.config.image_size, model.config.image_size)
    with torch.no_grad():
        return model(images, TEXT).logits


def test_round_trip_reproduces_outputs_exactly(tmp_path, tiny_model):
    tiny_model.save_pretrained(tmp_path / "ckpt")
    assert sorted(p.name for p in (tmp_path / "ckpt").iterdir()) == ["config.json", "model.safetensors"]
    loaded = ssa.load_model(tmp_path / "ckpt")
    assert loaded.config == tiny_model.config
    assert torch.equal(_outputs(loaded), _outputs(tiny_model))


def test_demo_checkpoint_does_not_carry_the_frozen_text_encoder(tmp_path):
    torch.manual_seed(0)
    model = ssa.create_model("demo").eval()
    model.save_pretrained(tmp_path)
    size_mb = (tmp_path / "model.safetensors").stat().st_size / 1e6
    assert size_mb < 25
    loaded = ssa.load_model(tmp_path)
    assert torch.equal(_outputs(loaded), _outputs(model))


def test_mismatched_shapes_name_the_keys(tmp_path, tiny_model):
    tiny_model.save_pretrained(tmp_path)
    cfg = json.loads((tmp_path / "config.json").read_text())
    cfg["decoder_dim"] = 48
    (tmp_path / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(CheckpointError) as err:
        ssa.load_model(tmp_path)
    msg = str(err.value)
    assert "model.safetensors" in msg and "shape mismatches" in msg and "decoder." in msg


def test_missing_and_unexpected_keys_are_named(tmp_path, tiny_model):
    tiny_model.save_pretrained(tmp_path)
    cfg = json.loads((tmp_path / "config.json").read_text())
    cfg["use_text"] = False  # no alignment modules: their keys become unexpected
    (tmp_path / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(CheckpointError, match=r"unexpected keys: align3\."):
        ssa.load_model(tmp_path)


def test_unknown_config_field_is_named(tmp_path, tiny_model):
    tiny_model.save_pretrained(tmp_path)
    cfg = json.loads((tmp_path / "config.json").read_text())
    cfg["flux_capacitor"] = 1
    (tmp_path / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(CheckpointError, match="config.json.*flux_capacitor"):
        ssa.load_model(tmp_path)


def test_truncated_weights_name_the_file(tmp_path, tiny_model):
    tiny_model.save_pretrained(tmp_path)
    weights = tmp_path / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])
    with pytest.raises(CheckpointError, match="model.safetensors"):
        ssa.load_model(tmp_path)


def test_missing_directory_is_a_clear_error(tmp_path):
    with pytest.raises(CheckpointError, match="not a checkpoint directory"):
        ssa.load_model(tmp_path / "nope")


def test_hub_repo_id_goes_through_huggingface_hub(tmp_path, tiny_model, monkeypatch):
    # A hub cache laid out as huggingface_hub writes it; HF_HUB_OFFLINE=1 makes the real
    # snapshot_download resolve the repo id from it without any network.
    from huggingface_hub import constants

    revision = "0123456789abcdef0123456789abcdef01234567"
    repo = tmp_path / "hub" / "models--ssa-team--ssa-demo"
    tiny_model.save_pretrained(repo / "snapshots" / revision)
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(revision)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    loaded = ssa.load_model("ssa-team/ssa-demo")
    assert torch.equal(_outputs(loaded), _outputs(tiny_model))


def test_writes_are_atomic_no_temp_files_left(tmp_path, tiny_model):
    tiny_model.save_pretrained(tmp_path)
    tiny_model.save_pretrained(tmp_path)  # overwrite in place
    assert not [p for p in Path(tmp_path).iterdir() if p.name.startswith(".")]


def test_corrupted_weights_name_the_file(tmp_path, tiny_model):
    tiny_model.save_pretrained(tmp_path)
    weights = tmp_path / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[8:40] = b"\xff" * 32  # the JSON header of the safetensors file, overwritten
    weights.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="model.safetensors: not a readable safetensors file"):
        ssa.load_model(tmp_path)


def test_config_that_is_not_json_names_the_file(tmp_path, tiny_model):
    tiny_model.save_pretrained(tmp_path)
    (tmp_path / "config.json").write_text('{"preset": "tiny", ')
    with pytest.raises(CheckpointError, match="config.json: not valid JSON"):
        ssa.load_model(tmp_path)


def test_training_state_round_trip(tmp_path):
    from ssa.training_state import TrainingState

    model = torch.nn.Linear(3, 2)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: 0.5 ** s)
    model(torch.ones(1, 3)).sum().backward()
    optimizer.step()
    scheduler.step()
    TrainingState.capture(7, 0.25, 2, optimizer, scheduler).save(tmp_path)
    expected = torch.rand(3)  # what the RNG gives right after the capture

    optimizer2 = torch.optim.AdamW(model.parameters(), lr=1e-3)
    scheduler2 = torch.optim.lr_scheduler.LambdaLR(optimizer2, lambda s: 0.5 ** s)
    state = TrainingState.load(tmp_path)
    assert (state.step, state.best_dice, state.stale) == (7, 0.25, 2)
    state.restore(optimizer2, scheduler2)
    assert scheduler2.get_last_lr() == scheduler.get_last_lr() == [5e-4]
    torch.testing.assert_close(optimizer2.state_dict()["state"][0]["exp_avg"], optimizer.state_dict()["state"][0]["exp_avg"])
    torch.testing.assert_close(torch.rand(3), expected)


@pytest.mark.parametrize("damage", ["truncated", "garbage", "foreign", "missing"])
def test_damaged_training_state_names_the_file(tmp_path, damage):
    from ssa.training_state import TrainingState

    state = tmp_path / "training_state.pt"
    torch.save({"optimizer": {}, "scheduler": {}, "torch_rng": torch.get_rng_state(), "step": 3,
                "best_dice": 0.5, "stale": 0}, state)
    assert TrainingState.load(tmp_path).step == 3
    if damage == "truncated":
        state.write_bytes(state.read_bytes()[:100])
    elif damage == "garbage":
        state.write_bytes(b"not a torch file" * 10)
    elif damage == "foreign":
        torch.save({"weights": torch.zeros(2)}, state)
    else:
        state.unlink()
    problem = {"foreign": "not a training state", "missing": "missing"}.get(damage, "not a readable training state")
    with pytest.raises(CheckpointError, match=f"training_state.pt: {problem}"):
        TrainingState.load(tmp_path)
