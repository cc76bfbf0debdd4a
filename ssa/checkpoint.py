"""Release checkpoints: ``config.json`` + ``model.safetensors`` in a directory or a hub repo.

Only safetensors and JSON are ever read here, so loading a checkpoint runs no code. Frozen
text encoders with named weights (MiniLM, CXR-BERT) are not stored: they are rebuilt from
their source, which keeps the demo checkpoint small. Writing one (:func:`save_pretrained`,
the file names, :func:`stored_state`) lives in :mod:`ssa.weights`, below :mod:`ssa.model`,
and is re-exported here.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import torch

from ssa.config import SSAConfig, preset_config
from ssa.model import SSA, build_model
from ssa.weights import CONFIG_NAME, WEIGHTS_NAME, save_pretrained, stored_state

__all__ = [
    "CONFIG_NAME",
    "WEIGHTS_NAME",
    "CheckpointError",
    "build_model",
    "create_model",
    "load_model",
    "load_state",
    "read_config",
    "resolve_checkpoint",
    "save_pretrained",
    "stored_state",
]

_stored_state = stored_state  # the name load_state uses


class CheckpointError(ValueError):
    """A checkpoint that cannot be loaded; the message names the file and the problem."""


def create_model(name: str = "tiny", pretrained: bool | None = None, **overrides: Any) -> SSA:
    """Build a preset (``"tiny"``, ``"demo"``, ``"paper"``) with config overrides.

    ``pretrained`` defaults to True for ``demo`` and ``paper`` (encoder weights from the
    offline packages / the hub) and False for ``tiny``.
    """
    config = preset_config(name, **overrides)
    if pretrained is None:
        pretrained = name != "tiny"
    return build_model(config, pretrained=pretrained)


def resolve_checkpoint(path_or_repo: str | os.PathLike) -> Path:
    """A local directory as is; otherwise a hub repo id through huggingface_hub (which
    honours ``HF_HUB_OFFLINE`` and its cache)."""
    path = Path(path_or_repo)
    if path.is_dir():
        return path
    name = str(path_or_repo)
    if path.exists() or name.startswith((".", "/")) or name.count("/") != 1:
        raise CheckpointError(f"{name}: not a checkpoint directory (expected {CONFIG_NAME} + {WEIGHTS_NAME})")
    from huggingface_hub import snapshot_download

    try:
        # eval/training_data.json: what the checkpoint was trained on, for the demo's banner.
        patterns = [CONFIG_NAME, WEIGHTS_NAME, "README.md", "LICENSE.md", "eval/training_data.json"]
        return Path(snapshot_download(name, allow_patterns=patterns))
    except Exception as err:
        raise CheckpointError(f"{name}: could not get this hub repo ({type(err).__name__}: {err})") from err


def read_config(directory: Path) -> SSAConfig:
    file = directory / CONFIG_NAME
    try:
        data = json.loads(file.read_text())
    except FileNotFoundError as err:
        raise CheckpointError(f"{file}: missing") from err
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise CheckpointError(f"{file}: not valid JSON ({err})") from err
    if not isinstance(data, dict):
        raise CheckpointError(f"{file}: expected a JSON object")
    try:
        return SSAConfig.from_dict(data)
    except (TypeError, ValueError) as err:
        raise CheckpointError(f"{file}: {err}") from err


def load_state(model: SSA, file: Path, new_modules: tuple[str, ...] = ()) -> list[str]:
    """Load ``file`` into ``model``; every missing, unexpected or mis-shaped key is named.

    ``new_modules``: key prefixes (e.g. ``"presence."``) that may be missing from ``file``
    because the model adds them (``train.py --init`` from a checkpoint without a presence
    head); they keep their fresh initialisation. Returns the keys left so.
    """
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        state = load_file(str(file))
    except FileNotFoundError as err:
        raise CheckpointError(f"{file}: missing") from err
    except (SafetensorError, OSError, ValueError) as err:
        raise CheckpointError(f"{file}: not a readable safetensors file ({err})") from err
    expected = _stored_state(model)
    missing = sorted(set(expected) - set(state))
    fresh = [k for k in missing if k.startswith(new_modules)] if new_modules else []
    missing = [k for k in missing if k not in fresh]
    unexpected = sorted(set(state) - set(expected))
    mismatched = sorted(
        f"{k} (checkpoint {tuple(state[k].shape)}, model {tuple(expected[k].shape)})"
        for k in set(state) & set(expected)
        if state[k].shape != expected[k].shape
    )
    problems = []
    for label, keys in (("missing keys", missing), ("unexpected keys", unexpected), ("shape mismatches", mismatched)):
        if keys:
            shown = ", ".join(keys[:20]) + (f", ... and {len(keys) - 20} more" if len(keys) > 20 else "")
            problems.append(f"{label}: {shown}")
    if problems:
        raise CheckpointError(f"{file} does not match its config: " + "; ".join(problems))
    model.load_state_dict(state, strict=False)
    if model.text_encoder is not None:
        model.text_encoder.clear_cache()
    return fresh


def load_model(path_or_repo: str | os.PathLike, device: str | torch.device = "cpu") -> SSA:
    """Rebuild a model from a checkpoint directory or hub repo id, in eval mode."""
    directory = resolve_checkpoint(path_or_repo)
    config = read_config(directory)
    model = build_model(config, pretrained=False)
    load_state(model, directory / WEIGHTS_NAME)
    return model.to(device).eval()
