"""The files of a release checkpoint and how a model's weights are written to them.

``config.json`` (the :class:`~ssa.config.SSAConfig`) and ``model.safetensors`` (the
weights) in one directory. Frozen text encoders with named weights (MiniLM, CXR-BERT) are not
stored: they are rebuilt from their source, which keeps the demo checkpoint small.

This module sits below :mod:`ssa.model` (whose ``SSA.save_pretrained`` calls
:func:`save_pretrained`); reading checkpoints back is :mod:`ssa.checkpoint`, above both.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from ssa.encoders.text import text_weights_are_external
from ssa.files import atomic_write_bytes

if TYPE_CHECKING:  # pragma: no cover
    import torch

    from ssa.model import SSA

CONFIG_NAME = "config.json"
WEIGHTS_NAME = "model.safetensors"


def stored_state(model: SSA) -> dict[str, torch.Tensor]:
    """The tensors a checkpoint holds for ``model``: its state dict without external text
    encoder weights, detached, on the CPU, contiguous and unshared."""
    state = model.state_dict()
    if text_weights_are_external(model.config):
        state = {k: v for k, v in state.items() if not k.startswith("text_encoder.")}
    # safetensors refuses shared or non-contiguous storage.
    return {k: v.detach().cpu().contiguous().clone() for k, v in state.items()}


def save_pretrained(model: SSA, directory: str | os.PathLike, metadata: dict[str, str] | None = None) -> Path:
    """Write ``config.json`` and ``model.safetensors`` atomically; returns the directory."""
    from safetensors.torch import save

    directory = Path(directory)
    meta = {"format": "pt", "ssa_preset": model.config.preset, **(metadata or {})}
    atomic_write_bytes(directory / WEIGHTS_NAME, save(stored_state(model), metadata=meta))
    text = json.dumps(model.config.to_dict(), indent=2) + "\n"
    atomic_write_bytes(directory / CONFIG_NAME, text.encode())
    return directory
