"""SSA: Spatial-aware Symmetric Alignment for text-guided medical image segmentation.

Our implementation of our reading of arXiv 2512.22981 (only its abstract is public).

>>> import ssa
>>> model = ssa.create_model("tiny")
>>> pred = ssa.SSAPredictor(model)

The public names are imported on first use, so that light modules (``ssa.spatial``,
``ssa.data.readers``) do not pull in torch and transformers.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_PUBLIC = {
    "CheckpointError": "ssa.checkpoint",
    "create_model": "ssa.checkpoint",
    "load_model": "ssa.checkpoint",
    "save_pretrained": "ssa.checkpoint",
    "PRESETS": "ssa.config",
    "SSAConfig": "ssa.config",
    "preset_config": "ssa.config",
    "SSA": "ssa.model",
    "SSAOutput": "ssa.model",
    "build_model": "ssa.model",
    "Prediction": "ssa.predictor",
    "SSAPredictor": "ssa.predictor",
}

__all__ = [
    "PRESETS",
    "SSA",
    "CheckpointError",
    "Prediction",
    "SSAConfig",
    "SSAOutput",
    "SSAPredictor",
    "build_model",
    "create_model",
    "load_model",
    "preset_config",
    "save_pretrained",
]

if TYPE_CHECKING:  # pragma: no cover
    from ssa.checkpoint import CheckpointError, create_model, load_model, save_pretrained
    from ssa.config import PRESETS, SSAConfig, preset_config
    from ssa.model import SSA, SSAOutput, build_model
    from ssa.predictor import Prediction, SSAPredictor


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        value = getattr(importlib.import_module(_PUBLIC[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'ssa' has no attribute {name!r}")
