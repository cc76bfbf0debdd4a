"""SSA: Spatial-aware Symmetric Alignment for text-guided medical image segmentation.

Our implementation of our reading of arXiv 2512.22981 (only its abstract is public).

>>> import ssa
>>> model = ssa.create_model("tiny")
>>> pred = ssa.SSAPredictor(model)
"""

from ssa.checkpoint import CheckpointError, create_model, load_model, save_pretrained
from ssa.config import PRESETS, SSAConfig, preset_config
from ssa.model import SSA, SSAOutput, build_model
from ssa.predictor import Prediction, SSAPredictor

__version__ = "0.1.0"

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
